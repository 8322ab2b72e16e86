// Small helpers the suites and peers share: a seeded generator, the typed-array book form and the
// backtest studies' 2 x 64 policy.
'use strict';

// mulberry32: a tiny seeded generator, uniform in (0, 1).
function makeRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

// A fixture case ({ bids, asks } of [price, size]) as four Float64Array columns.
function typedBook(c) {
  return {
    bidPx: Float64Array.from(c.bids, (l) => l[0]),
    bidSz: Float64Array.from(c.bids, (l) => l[1]),
    askPx: Float64Array.from(c.asks, (l) => l[0]),
    askSz: Float64Array.from(c.asks, (l) => l[1]),
  };
}

// The 2 x 64 actor the backtest and distributed suites' studies use: deterministic weights, input normalisation in the metadata.
function policyBytes() {
  let a = 12345;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const widths = [3, 64, 64, 2];
  const header = { __metadata__: { input_mean: '[0, 2, 0]', input_std: '[5, 2, 10]', output_activation: 'tanh', output_scale: '[2, 2]', output_offset: '[2, 2]' } };
  const chunks = [];
  let off = 0;
  for (let l = 0; l < 3; l++) {
    for (const [name, shape] of [[`layers.${l}.weight`, [widths[l + 1], widths[l]]], [`layers.${l}.bias`, [widths[l + 1]]]]) {
      const n = shape.reduce((x, y) => x * y, 1);
      const f = new Float32Array(n).map(() => rnd() * 0.5);
      header[name] = { dtype: 'F32', shape, data_offsets: [off, off + 4 * n] };
      off += 4 * n;
      chunks.push(Buffer.from(f.buffer));
    }
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return new Uint8Array(Buffer.concat([len, h, ...chunks]));
}

module.exports = { makeRandom, typedBook, policyBytes };

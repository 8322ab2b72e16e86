// Small helpers the suites and peers share: a seeded generator and the typed-array book form.
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

module.exports = { makeRandom, typedBook };

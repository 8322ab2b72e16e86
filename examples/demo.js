#!/usr/bin/env node
// `npm run demo`: streams a held-out simulated feed (DepthModel, a seed the example model never saw)
// through the example model, and prints each prediction beside the move that followed, with the
// running accuracy of the model and of the top-of-book imbalance rule; then the per-call latency.
'use strict';
const { DepthModel, createEngine, exampleModelPath, runtime } = require('..');

const engine = createEngine({ model: exampleModelPath });
const rt = runtime();
const meta = engine.info.metadata ?? {};
console.log(`hawkgraph demo: ${engine.info.attention} GNN "${meta.name ?? 'unnamed'}", ${engine.info.levels} levels, hidden ${engine.info.hidden}, ` +
  `${engine.info.heads} heads on ${engine.info.backend} (${engine.info.precision})`);
const gpu = rt.cuda.devices.length ? rt.cuda.devices[0].name : rt.cuda.compiled ? `compiled in, no usable device (${rt.cuda.status})` : 'not compiled in';
console.log(`CPU: ${rt.cpu.model || rt.cpu.arch}; CUDA: ${gpu}`);
console.log(`binary: ${rt.binary.path} (${rt.binary.source})\n`);

// The feed: a full-depth book every 100 ms; each labelled with the mid move over the next second
// (what the example model was trained to predict).
const feed = new DepthModel().simulate({ paths: 1, seed: 20261203, duration: 120, interval: 0.1, horizon: { seconds: 1 } });
const L = feed.levels;
const DIRECTIONS = ['down', 'flat', 'up'];
const book = (i) => {
  const base = i * 4 * L, nb = feed.counts[2 * i], na = feed.counts[2 * i + 1];
  const side = (px, sz, n) => Array.from({ length: n }, (_, k) => [feed.columns[base + px + k], feed.columns[base + sz + k]]);
  return { bids: side(0, L, nb), asks: side(2 * L, 3 * L, na) };
};
// The baseline a trader reaches for first: the sign of the top-of-book queue imbalance.
const imbalanceRule = (b) => {
  const d = b.bids[0][1] - b.asks[0][1];
  return d > 0 ? 'up' : d < 0 ? 'down' : 'flat';
};

let right = 0, rightRule = 0;
console.log('   t      mid     predicted  p(down)  p(flat)  p(up)   realised (ticks)   model acc  imbalance acc');
for (let i = 0; i < feed.length; i++) {
  const b = book(i);
  const p = engine.predict(b);
  const truth = DIRECTIONS[feed.labels.direction[i]];
  right += Number(p.direction === truth);
  rightRule += Number(imbalanceRule(b) === truth);
  if (i % 60 === 0 || i === feed.length - 1) {
    console.log(
      `${feed.time[i].toFixed(1).padStart(6)}  ${feed.mid[i].toFixed(3).padStart(8)}  ${p.direction.padEnd(9)}  ` +
        `${p.probs.map((v) => v.toFixed(3).padStart(7)).join('  ')}   ${truth.padEnd(5)} ${feed.labels.move[i].toFixed(1).padStart(6)}      ` +
        `${((100 * right) / (i + 1)).toFixed(1).padStart(6)} %     ${((100 * rightRule) / (i + 1)).toFixed(1).padStart(6)} %`,
    );
  }
}
console.log(`\nover ${feed.length} books: the model ${((100 * right) / feed.length).toFixed(1)} % right, the imbalance rule ${((100 * rightRule) / feed.length).toFixed(1)} %`);

// Steady-state latency: many calls on one book, allocation-free result reuse.
const one = book(0);
const result = engine.predict(one);
const samples = new Float64Array(5000);
for (let i = 0; i < samples.length; i++) {
  const t0 = process.hrtime.bigint();
  engine.predict(one, { into: result });
  samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
}
samples.sort();
const pct = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))].toFixed(1);
console.log(`predict() over ${samples.length} calls: p50 ${pct(0.5)} µs, p99 ${pct(1 - 0.01)} µs, max ${pct(1)} µs`);
engine.close();

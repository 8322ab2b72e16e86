#!/usr/bin/env node
// `npm run demo`: loads the example model shipped with the package, predicts a few order books
// from a simulated feed, and prints the predictions and the per-call latency.
'use strict';
const { createEngine, exampleModelPath, runtime } = require('..');

// A small random-walk feed: 20 levels a side, sizes log-normal, prices on a 0.5 tick grid.
function makeFeed(seed) {
  let s = seed >>> 0;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  let mid = 30_000;
  return () => {
    mid += (rand() - 0.5) * 5;
    const tick = 0.5;
    const bestBid = Math.floor(mid / tick) * tick;
    const bestAsk = bestBid + tick * (1 + Math.floor(rand() * 3));
    const level = (px) => [px, Math.exp(2 + 1.5 * rand())];
    return {
      bids: Array.from({ length: 20 }, (_, i) => level(bestBid - i * tick)),
      asks: Array.from({ length: 20 }, (_, i) => level(bestAsk + i * tick)),
    };
  };
}

const engine = createEngine({ model: exampleModelPath });
const rt = runtime();
console.log(`hawkgraph demo: ${engine.info.attention} GNN, ${engine.info.levels} levels, hidden ${engine.info.hidden}, ` +
  `${engine.info.heads} heads on ${engine.info.backend} (${engine.info.precision})`);
const gpu = rt.cuda.devices.length ? rt.cuda.devices[0].name : rt.cuda.compiled ? `compiled in, no usable device (${rt.cuda.status})` : 'not compiled in';
console.log(`CPU: ${rt.cpu.model || rt.cpu.arch}; CUDA: ${gpu}`);
console.log(`binary: ${rt.binary.path} (${rt.binary.source})\n`);

const next = makeFeed(7);
console.log('book  best bid   best ask   direction  p(down)  p(flat)  p(up)   magnitude  volatility  latency');
for (let i = 0; i < 8; i++) {
  const book = next();
  const t0 = process.hrtime.bigint();
  const p = engine.predict(book);
  const us = Number(process.hrtime.bigint() - t0) / 1e3;
  console.log(
    `${String(i).padStart(4)}  ${book.bids[0][0].toFixed(1).padStart(8)}  ${book.asks[0][0].toFixed(1).padStart(9)}   ` +
      `${p.direction.padEnd(9)}  ${p.probs.map((v) => v.toFixed(3).padStart(7)).join('  ')}  ` +
      `${p.magnitude.toFixed(4).padStart(9)}  ${p.volatility.toFixed(4).padStart(10)}  ${us.toFixed(1).padStart(6)} µs`,
  );
}

// Steady-state latency: many calls on one book, allocation-free result reuse.
const book = next();
const result = engine.predict(book);
const samples = new Float64Array(5000);
for (let i = 0; i < samples.length; i++) {
  const t0 = process.hrtime.bigint();
  engine.predict(book, { into: result });
  samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
}
samples.sort();
const pct = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))].toFixed(1);
console.log(`\npredict() over ${samples.length} calls: p50 ${pct(0.5)} µs, p99 ${pct(0.99)} µs, max ${pct(1)} µs`);
engine.close();

#!/usr/bin/env node
// A bot that scores a whole universe of symbols every tick: their books live in one BookBatch
// (engine.createBatch), each tick writes the changed levels into the slots in place, and one
// predictBatch call with `into` scores them all without allocating. Prints the strongest signals
// and the time per tick. `node examples/many-symbols.js [symbols] [ticks] [cpu|cuda|auto]`.
'use strict';
const { createEngine, exampleModelPath, DIRECTIONS } = require('..');

const symbols = Number(process.argv[2] ?? 256);
const ticks = Number(process.argv[3] ?? 50);
const backend = process.argv[4] ?? 'auto';

// threads: CPU batch threads, or on CUDA the host threads that validate and stage the books.
const engine = createEngine({ model: exampleModelPath, backend, threads: 2, ...(backend === 'cuda' ? { fallback: 'cpu' } : {}) });
if (engine.info.fallbackReason) console.log(`running on the CPU: ${engine.info.fallbackReason}`);
const L = engine.info.levels;
const batch = engine.createBatch(symbols);

// Each symbol's mid follows its own random walk; its slot's columns are rewritten in place.
let seed = 12345;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const mids = Array.from({ length: symbols }, () => 50 + rand() * 5000);
function updateSlot(i) {
  mids[i] *= 1 + (rand() - 0.5) * 1e-3;
  const tick = mids[i] * 1e-4;
  const bestBid = mids[i] - tick * (0.5 + Math.floor(rand() * 2));
  const bestAsk = mids[i] + tick * (0.5 + Math.floor(rand() * 2));
  const { bidPx, bidSz, askPx, askSz } = batch.slot(i);
  for (let l = 0; l < L; l++) {
    bidPx[l] = bestBid - l * tick;
    askPx[l] = bestAsk + l * tick;
    bidSz[l] = Math.exp(1 + 2 * rand());
    askSz[l] = Math.exp(1 + 2 * rand());
  }
  batch.setCounts(i, L, L);
}

for (let i = 0; i < symbols; i++) updateSlot(i);
let scores = engine.predictBatch(batch);  // once, to get result arrays to reuse
const times = [];
for (let t = 0; t < ticks; t++) {
  for (let i = 0; i < symbols; i++) if (rand() < 0.3) updateSlot(i);  // about a third of the books move
  const t0 = process.hrtime.bigint();
  scores = engine.predictBatch(batch, { into: scores });
  times.push(Number(process.hrtime.bigint() - t0) / 1e3);
}

// The strongest signals of the last tick: highest confidence away from 'flat'.
const ranked = Array.from({ length: symbols }, (_, i) => i)
  .filter((i) => DIRECTIONS[scores.direction[i]] !== 'flat')
  .sort((a, b) => scores.confidence[b] - scores.confidence[a])
  .slice(0, 5);
console.log(`${symbols} symbols on ${engine.info.backend} (${engine.info.precision}); strongest signals of the last tick:`);
for (const i of ranked) {
  console.log(`  symbol ${String(i).padStart(4)}  ${DIRECTIONS[scores.direction[i]].padEnd(4)}  confidence ${scores.confidence[i].toFixed(3)}  magnitude ${scores.magnitude[i].toFixed(4)}`);
}
times.sort((a, b) => a - b);
const p50 = times[Math.floor(times.length / 2)];
console.log(`predictBatch of ${symbols} books: p50 ${p50.toFixed(0)} µs a tick (${((symbols / p50) * 1e6).toFixed(0)} books/s), max ${times.at(-1).toFixed(0)} µs`);
engine.close();

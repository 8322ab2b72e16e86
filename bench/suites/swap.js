// Hot swap: what swapModel() every 100 ms costs the stream. The open-loop feed of the stream suite
// (100 symbols, 10k books/s, latency from each book's due time to its 'prediction' listener), run
// with and without swaps between two models of the same cost (the pooled fixture, and the same
// weights under another metadata name: other bytes, so another modelId), in alternating runs so
// drift on a shared machine hits both alike. The swap is given
// a path, as a bot would: the read, hash, parse and weight preparation run on a pool thread; the
// JS thread only installs the prepared run and the stream thread takes it between two batches.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { typedBook } = require('../shared');
const { openLoop } = require('./stream');

const RATE = 10_000;
const SWAP_EVERY_MS = 100;

// The model file at `from` with `name` added to its metadata, written to a temporary file.
function renamedCopy(from, name) {
  const bytes = fs.readFileSync(from);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  header.__metadata__ = { ...header.__metadata__, name };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-bench-swap-')), `${name}.safetensors`);
  fs.writeFileSync(file, Buffer.concat([length, json, bytes.subarray(8 + headerLength)]));
  return file;
}

module.exports = {
  name: 'swap',
  title: 'Hot swap: submit-to-event latency at 10k books/s with swapModel() every 100 ms (CPU)',
  async run(ctx) {
    const { createEngine } = ctx.hawkgraph;
    const pooled = path.join(ctx.fixtures, 'gnn_pooled.safetensors');
    const models = [pooled, renamedCopy(pooled, 'pooled-renamed')];
    const typed = require(path.join(ctx.fixtures, 'gnn_pooled_cases.json')).cases.map(typedBook);
    const seconds = ctx.quick ? 1 : 3;
    const warmup = ctx.quick ? 0.2 : 0.5;
    const rounds = ctx.quick ? 1 : 3;

    const feed = async (swapping) => {
      const engine = createEngine({ model: models[0], backend: 'cpu', stream: { statsIntervalMs: 0 } });
      let swaps = 0;
      let failed = null;
      const byModel = new Map();
      engine.on('prediction', (e) => byModel.set(e.modelId, (byModel.get(e.modelId) || 0) + 1));
      let inFlight = Promise.resolve();
      const timer = swapping
        ? setInterval(() => {
            inFlight = engine.swapModel(models[++swaps % 2]).catch((err) => (failed = err));
          }, SWAP_EVERY_MS)
        : null;
      const r = await openLoop(engine, typed, RATE, seconds, warmup);
      if (timer) clearInterval(timer);
      await inFlight; // a swap still being prepared finishes before the engine closes
      await engine.close();
      if (failed) throw failed;
      return { r, swaps, models: byModel.size };
    };

    const runs = { steady: [], swapping: [] };
    for (let k = 0; k < rounds; k++) {
      runs.steady.push(await feed(false));
      runs.swapping.push(await feed(true));
    }
    // The median run by p99, of each kind.
    const median = (list) => [...list].sort((a, b) => a.r.stats.p99 - b.r.stats.p99)[Math.floor(list.length / 2)];
    const steady = median(runs.steady), swapping = median(runs.swapping);
    ctx.addRow({
      name: `submit -> 'prediction', ${RATE / 1000}k books/s, no swaps`,
      stats: steady.r.stats,
      note: `median of ${rounds} runs by p99; p99 of each: ${runs.steady.map((x) => x.r.stats.p99.toFixed(0)).join(', ')} µs`,
    });
    const added = swapping.r.stats.p99 - steady.r.stats.p99;
    ctx.addRow({
      name: `submit -> 'prediction', ${RATE / 1000}k books/s, swapModel() every ${SWAP_EVERY_MS} ms`,
      stats: swapping.r.stats,
      ratio: swapping.r.stats.p99 / steady.r.stats.p99,
      note: `${swapping.swaps} swaps, events from ${swapping.models} models; p99 ${added >= 0 ? '+' : ''}${added.toFixed(1)} µs vs no swaps (target < +50); p99 of each: ${runs.swapping.map((x) => x.r.stats.p99.toFixed(0)).join(', ')} µs; ratio: p99 vs no swaps`,
    });
    ctx.record('runs', { steady: runs.steady.map((x) => x.r), swapping: runs.swapping.map((x) => ({ ...x.r, swaps: x.swaps })) });
  },
};

// GNN inference on the CPU: hawkgraph's predict() and predictBatch() on both fixtures (every
// kernel table this CPU runs, fp32 / fp16 / bf16, folds on and off, 1 and 2 threads) against the
// peers a Node developer would otherwise pick, all in one run: onnxruntime-node (ONNX fixtures,
// precomputed features in), a hand-written JavaScript implementation, and numpy in a python3
// subprocess. Every peer is checked against the fixtures before it is timed. Floors are the
// multiply-adds of a pass x 2 / the peak measured here on one thread (FP32 FMAs; for bf16 rows the
// BF16 peak of the table where it has one), divided by the threads for batch rows.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { typedBook } = require('../shared');

const { GnnJs } = require('../peers/gnn-js');

const MODES = ['pooled', 'levels'];
const FP32_TOLERANCE = 1e-4;
const HALF_TOLERANCE = 2e-2;

function loadCases(ctx, mode) {
  return JSON.parse(fs.readFileSync(path.join(ctx.fixtures, `gnn_${mode}_cases.json`), 'utf8')).cases;
}

// Worst absolute error of logits, magnitude, volatility and (when given) the embedding.
function worstError(cases, predict) {
  let worst = 0;
  for (const c of cases) {
    const p = predict(c);
    const e = c.expected;
    for (let i = 0; i < 3; i++) worst = Math.max(worst, Math.abs(p.logits[i] - e.direction[i]));
    worst = Math.max(worst, Math.abs(p.magnitude - e.magnitude[0]), Math.abs(p.volatility - e.volatility[0]));
    if (p.embedding) for (let i = 0; i < e.embeddings.length; i++) worst = Math.max(worst, Math.abs(p.embedding[i] - e.embeddings[i]));
  }
  return worst;
}

function check(name, worst, tolerance) {
  if (!(worst < tolerance)) throw new Error(`${name} disagrees with the fixtures: worst abs error ${worst} >= ${tolerance}`);
  return worst;
}

function hasNumpy() {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function onnxPeer(ctx, mode, cases) {
  let ort;
  let binding;
  try {
    ort = require('onnxruntime-node');
    binding = require('onnxruntime-node/dist/binding');
  } catch (err) {
    return { skip: `onnxruntime-node not installed (${err.message.split('\n')[0]})` };
  }
  const file = path.join(ctx.benchFixtures, `gnn_${mode}.onnx`);
  const sessions = [];
  for (const threads of [1, 2]) {
    const options = { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
    const session = await ort.InferenceSession.create(file, options);
    // The same native session without the public API's Promise + setImmediate wrapper.
    binding.initOrt();
    const raw = new binding.binding.InferenceSession();
    raw.loadModel(file, options);
    sessions.push({ threads, session, raw });
  }
  const fetches = { direction: null, magnitude: null, volatility: null };
  const tensors = cases.map((c) => new ort.Tensor('float32', Float32Array.from(c.features.flat()), [c.features.length, 8]));
  let worst = 0;
  for (const { session } of sessions) {
    for (let k = 0; k < cases.length; k++) {
      const out = await session.run({ x: tensors[k] });
      const e = cases[k].expected;
      for (let i = 0; i < 3; i++) worst = Math.max(worst, Math.abs(out.direction.data[i] - e.direction[i]));
      worst = Math.max(worst, Math.abs(out.magnitude.data[0] - e.magnitude[0]), Math.abs(out.volatility.data[0] - e.volatility[0]));
    }
  }
  check(`onnxruntime-node (${mode})`, worst, FP32_TOLERANCE);
  const x = tensors[0];
  return {
    sessions,
    worst,
    version: require('onnxruntime-node/package.json').version,
    runAsync: (s) => () => s.session.run({ x }),
    runSync: (s) => () => s.raw.run({ x }, fetches, {}),
  };
}

module.exports = {
  name: 'gnn-cpu',
  title: 'GNN inference on the CPU (hawkgraph vs onnxruntime-node, JavaScript, numpy)',
  async run(ctx) {
    const { createEngine } = ctx.hawkgraph;
    const { cpuKernels, measureCpuPeak } = require(path.join(ctx.root, 'dist', 'internal.js'));
    const kernels = cpuKernels();
    const peakSeconds = ctx.quick ? 0.1 : 0.5;
    const peaks = {};
    for (const k of kernels) peaks[k] = measureCpuPeak(k, peakSeconds);
    const best = kernels[0];
    ctx.record('peaks', peaks);
    ctx.note(
      `single-thread peak measured here: ${kernels.map((k) => `${k} ${peaks[k].fp32GFlops.toFixed(0)} GFLOP/s FP32${peaks[k].bf16GFlops ? `, ${peaks[k].bf16GFlops.toFixed(0)} BF16 dot` : ''}`).join('; ')}`,
    );
    const floorUs = (macs, k = best, threads = 1) => (macs * 2) / (peaks[k].fp32GFlops * 1e3 * threads);
    // bf16 runs at the table's BF16 peak where it has one (AMX tiles, AVX-512 BF16 dot products).
    const bf16FloorUs = (macs, k = best, threads = 1) =>
      peaks[k].bf16GFlops > 0 ? (macs * 2) / (peaks[k].bf16GFlops * 1e3 * threads) : floorUs(macs, k, threads);
    const halfNote = (precision) =>
      precision === 'fp16'
        ? 'fp16 weights widened to fp32 in registers, fp32 FMAs'
        : peaks[best].bf16GFlops > 0
          ? `bf16 operands, fp32 accumulation (${best === 'amx' ? 'AMX tiles' : 'AVX-512 BF16 dot products'}; floor at the BF16 peak)`
          : 'bf16 weights widened to fp32 in registers, fp32 FMAs';
    const quickOpts = ctx.quick ? { minSamples: 1_500, minTimeMs: 120, maxTimeMs: 600, warmup: 200 } : {};
    const slowOpts = ctx.quick ? { minSamples: 100, minTimeMs: 200, maxTimeMs: 800, warmup: 20 } : { minSamples: 2_000, minTimeMs: 2_000, maxTimeMs: 8_000, warmup: 200 };
    const modelPath = (mode) => path.join(ctx.fixtures, `gnn_${mode}.safetensors`);
    const numpy = hasNumpy();
    if (!numpy) ctx.note('numpy rows skipped: `python3 -c "import numpy"` fails on this machine');

    for (const mode of MODES) {
      const cases = loadCases(ctx, mode);
      const nested = { bids: cases[0].bids, asks: cases[0].asks };
      const typed = typedBook(cases[0]);
      const engines = [];
      const make = (options) => {
        const e = createEngine({ model: modelPath(mode), backend: 'cpu', ...options });
        engines.push(e);
        const tolerance = options.precision && options.precision !== 'fp32' ? HALF_TOLERANCE : FP32_TOLERANCE;
        check(`hawkgraph ${mode} ${JSON.stringify(options)}`, worstError(cases, (c) => e.predict({ bids: c.bids, asks: c.asks }, { embedding: true })), tolerance);
        return e;
      };
      const base = make({});
      const macs = base.info.macs;
      ctx.record(`${mode}.macs`, macs);
      const into = base.predict(nested);
      const baseStats = await ctx.measure(() => base.predict(nested, { into }), quickOpts);
      const baseRow = ctx.addRow({
        name: `${mode} predict() fp32 ${best}, nested book`,
        stats: baseStats,
        floorUs: floorUs(macs.folded),
        note: `${(macs.folded / 1e6).toFixed(2)} M MACs folded (${(macs.asWritten / 1e6).toFixed(2)} M as written)${best === 'amx' ? '; large layers as split bf16 on AMX' : ''}`,
      });
      const ratio = (stats) => stats.p50 / baseRow.stats.p50;
      ctx.addRow({ name: `${mode} predict() fp32 ${best}, typed-array book`, stats: await ctx.measure(() => base.predict(typed, { into }), quickOpts), floorUs: floorUs(macs.folded) });
      for (const k of kernels.slice(1)) {
        const e = make({ kernels: k });
        ctx.addRow({ name: `${mode} predict() fp32 ${k}, nested book`, stats: await ctx.measure(() => e.predict(nested, { into }), quickOpts), floorUs: floorUs(macs.folded, k) });
      }
      for (const precision of ['fp16', 'bf16']) {
        const e = make({ precision });
        ctx.addRow({
          name: `${mode} predict() ${precision} ${best}, nested book`,
          stats: await ctx.measure(() => e.predict(nested, { into }), quickOpts),
          floorUs: precision === 'bf16' ? bf16FloorUs(macs.folded) : floorUs(macs.folded),
          note: halfNote(precision),
        });
      }
      const unfused = make({ folds: false });
      ctx.addRow({
        name: `${mode} predict() fp32 ${best}, folds off (layers as written)`,
        stats: await ctx.measure(() => unfused.predict(nested, { into }), quickOpts),
        floorUs: floorUs(macs.asWritten),
      });

      // Batches: one predictBatch call of n books; throughput counts books.
      const sizes = [8, 64, 512];
      const threaded = make({ threads: 2 });
      const threadedBf16 = make({ threads: 2, precision: 'bf16' });
      for (const n of sizes) {
        const books = Array.from({ length: n }, (_, i) => ({ bids: cases[i % cases.length].bids, asks: cases[i % cases.length].asks }));
        const batchOpts = { ...quickOpts, itemsPerCall: n, minSamples: ctx.quick ? 50 : Math.max(200, 20_000 / n) };
        ctx.addRow({ name: `${mode} predictBatch(${n}) fp32, 1 thread`, stats: await ctx.measure(() => base.predictBatch(books), batchOpts), floorUs: floorUs(macs.folded * n) });
        ctx.addRow({ name: `${mode} predictBatch(${n}) fp32, 2 threads`, stats: await ctx.measure(() => threaded.predictBatch(books), batchOpts), floorUs: floorUs(macs.folded * n, best, 2) });
        if (n === 512) {
          ctx.addRow({ name: `${mode} predictBatch(${n}) bf16, 2 threads`, stats: await ctx.measure(() => threadedBf16.predictBatch(books), batchOpts), floorUs: bf16FloorUs(macs.folded * n, best, 2) });
        }
      }

      // predictBatch over a BookBatch (engine.createBatch): the books stay in the engine's packed
      // columns and no JS walks them per call; the same books as nested arrays beside it, timed
      // back to back. On the CPU the forward pass dominates both; the set() row is the per-call JS
      // packing a BookBatch skips (on a GPU it is about as long as the device work: native/backends/cuda/NOTES.md).
      for (const n of [512, 4096]) {
        const books = Array.from({ length: n }, (_, i) => ({ bids: cases[i % cases.length].bids, asks: cases[i % cases.length].asks }));
        const batch = base.createBatch(n);
        books.forEach((b, i) => batch.set(i, b));
        const check = base.predictBatch(batch);
        const reference = base.predictBatch(books);
        if (check.logits.some((v, i) => !Object.is(v, reference.logits[i]))) throw new Error(`BookBatch (${mode}, ${n}) disagrees with predictBatch of the same books`);
        const batchOpts = { ...quickOpts, itemsPerCall: n, minSamples: ctx.quick ? 10 : 40, warmup: 2 };
        const nestedStats = await ctx.measure(() => base.predictBatch(books), batchOpts);
        ctx.addRow({ name: `${mode} predictBatch(${n}) fp32, 1 thread, nested books`, stats: nestedStats, floorUs: floorUs(macs.folded * n) });
        const packedStats = await ctx.measure(() => base.predictBatch(batch, { into: check }), batchOpts);
        ctx.addRow({
          name: `${mode} predictBatch(${n}) fp32, 1 thread, BookBatch + into`,
          stats: packedStats,
          floorUs: floorUs(macs.folded * n),
          note: `mean ${((packedStats.mean / nestedStats.mean) * 100).toFixed(1)} % of nested books'`,
        });
        const setStats = await ctx.measure(() => {
          for (let i = 0; i < n; i++) batch.set(i, books[i]);
        }, { ...quickOpts, itemsPerCall: n, minSamples: ctx.quick ? 50 : 500 });
        ctx.addRow({
          name: `${mode} BookBatch.set() of ${n} nested books (the JS packing a BookBatch skips)`,
          stats: setStats,
          note: `${((setStats.mean * 1e3) / n).toFixed(0)} ns a book`,
        });
      }

      // Peers, each checked before timing.
      const ort = await onnxPeer(ctx, mode, cases);
      if (ort.skip) {
        ctx.note(`onnxruntime-node rows skipped: ${ort.skip}`);
      } else {
        for (const s of ort.sessions) {
          const sync = await ctx.measure(ort.runSync(s), quickOpts);
          ctx.addRow({ name: `${mode} onnxruntime-node ${ort.version}, ${s.threads} thread${s.threads > 1 ? 's' : ''}, sync binding run()`, stats: sync, ratio: ratio(sync), note: 'features precomputed (easier job); no Promise' });
          const promise = await ctx.measure(ort.runAsync(s), { ...quickOpts, async: true });
          ctx.addRow({ name: `${mode} onnxruntime-node ${ort.version}, ${s.threads} thread${s.threads > 1 ? 's' : ''}, session.run()`, stats: promise, ratio: ratio(promise), note: 'features precomputed; public API: Promise + setImmediate' });
        }
        for (const s of ort.sessions) await s.session.release();
      }

      const js = new GnnJs(modelPath(mode));
      const jsWorst = check(`JavaScript peer (${mode})`, worstError(cases, (c) => js.predict(c)), FP32_TOLERANCE);
      const jsStats = await ctx.measure(() => js.predict(nested), slowOpts);
      ctx.addRow({ name: `${mode} hand-written JavaScript (Float32Array)`, stats: jsStats, ratio: ratio(jsStats), note: `raw book in; worst error ${jsWorst.toExponential(1)}` });

      if (numpy) {
        const iterations = ctx.quick ? 500 : 10_000;
        const out = execFileSync('python3', [path.join(__dirname, '..', 'peers', 'gnn_numpy.py'), modelPath(mode), path.join(ctx.fixtures, `gnn_${mode}_cases.json`), String(iterations)], { encoding: 'utf8' });
        const r = JSON.parse(out);
        check(`numpy peer (${mode})`, r.worst, FP32_TOLERANCE);
        ctx.addRow({ name: `${mode} numpy ${r.numpy} float32 (python3 subprocess)`, stats: r, ratio: ratio(r), note: 'raw book in; timed in-process with perf_counter_ns' });
      }
      for (const e of engines) e.close();
    }
  },
};

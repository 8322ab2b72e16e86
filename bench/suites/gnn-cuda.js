// GNN inference on a CUDA device: predict() from JS to JS with a raw book in (the persistent
// kernel and the batch-1 graph, fp16 and fp32), predictBatch() throughput at 64 / 512 / 4096 /
// 16384 books (nested books; typed books and a BookBatch at 4096, a BookBatch at 512 too), and
// the floors the backend measures at creation (an empty round trip on each single-book path) and
// the PCIe bytes a book moves. Every engine is checked against the fixtures
// before it is timed. The PyTorch reference is the figure measured on an H100 in
// ../shared/tools/gpu.md (FP16 + CUDA graph + static buffers: 131 µs p50 at batch 1, 1.75 M
// books/s at batch 4096); it is quoted, not rerun. Skipped, with a note, where no device is found.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const TOLERANCE = { fp16: 2e-2, fp32: 1e-4 };
const TORCH_BATCH1_P50_US = 131;
const TORCH_BATCH4096_BOOKS_PER_S = 1.75e6;

function loadCases(ctx, mode) {
  return JSON.parse(fs.readFileSync(path.join(ctx.fixtures, `gnn_${mode}_cases.json`), 'utf8')).cases;
}

function check(name, engine, cases, tolerance) {
  let worst = 0;
  for (const c of cases) {
    const p = engine.predict({ bids: c.bids, asks: c.asks }, { embedding: true });
    const e = c.expected;
    for (let i = 0; i < 3; i++) worst = Math.max(worst, Math.abs(p.logits[i] - e.direction[i]));
    worst = Math.max(worst, Math.abs(p.magnitude - e.magnitude[0]), Math.abs(p.volatility - e.volatility[0]));
    for (let i = 0; i < e.embeddings.length; i++) worst = Math.max(worst, Math.abs(p.embedding[i] - e.embeddings[i]));
  }
  if (!(worst < tolerance)) throw new Error(`${name} disagrees with the fixtures: worst abs error ${worst} >= ${tolerance}`);
  return worst;
}

// predictBatch through the native call with books already in its packed columns (what a caller
// holding typed columns per symbol could hand over without the JS packing loop), and the graph
// replay alone (copy in, kernel, copy out: the device side's books/s), from the backend's counters.
async function packedRows(ctx, model, mode, precision, cases) {
  const { addon } = require(path.join(ctx.root, 'dist', 'internal.js')).native();
  const engine = new addon.GnnEngine(new Uint8Array(fs.readFileSync(model)), 'cuda', { precision, singleBook: 'persistent' }, () => {});
  try {
    const info = engine.info();
    const L = info.levels;
    for (const n of [4096, 16384]) {
      const packed = new Float64Array(n * 4 * L);
      const counts = new Int32Array(2 * n);
      const out = {
        direction: new Uint8Array(n),
        logits: new Float64Array(3 * n),
        probs: new Float64Array(3 * n),
        confidence: new Float64Array(n),
        magnitude: new Float64Array(n),
        volatility: new Float64Array(n),
        levelsUsed: new Int32Array(n),
      };
      for (let k = 0; k < n; k++) {
        const c = cases[k & 63];
        for (let i = 0; i < L; i++) {
          packed[k * 4 * L + i] = c.bids[i][0];
          packed[k * 4 * L + L + i] = c.bids[i][1];
          packed[k * 4 * L + 2 * L + i] = c.asks[i][0];
          packed[k * 4 * L + 3 * L + i] = c.asks[i][1];
        }
        counts[2 * k] = L;
        counts[2 * k + 1] = L;
      }
      const stats = await ctx.measure(() => engine.predictBatch(packed, counts, n, out), {
        itemsPerCall: n,
        minSamples: 30,
        minTimeMs: ctx.quick ? 100 : 600,
        warmup: 5,
      });
      ctx.addRow({ name: `${mode} native predictBatch ${n}, packed columns, ${precision}`, stats, note: `${(stats.throughput / 1e6).toFixed(2)} M books/s` });
      const replayNs = engine.info().backendStats[`replayMeanNs${n}`];
      const us = replayNs / 1e3;
      ctx.addRow({
        name: `${mode} graph replay ${n} (copy in, kernel, copy out), ${precision}`,
        stats: { samples: stats.samples, p50: us, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: us, throughput: (n * 1e9) / replayNs, itemsPerCall: n },
        note: `${((n * 1e3) / replayNs).toFixed(2)} M books/s on the device side (mean over the calls above)`,
      });
    }
  } finally {
    engine.close();
  }
}

module.exports = {
  name: 'gnn-cuda',
  title: 'GNN inference on a CUDA device',
  async run(ctx) {
    const hg = ctx.hawkgraph;
    const cuda = hg.runtime().cuda;
    if (!cuda.compiled || cuda.devices.length === 0) {
      ctx.note(`gnn-cuda skipped: ${!cuda.compiled ? 'CUDA support not compiled in' : `no CUDA device (${cuda.status})`}`);
      return;
    }
    const device = cuda.devices[0].name;
    ctx.log(`gnn-cuda on ${device}`);
    const modes = ctx.quick ? ['pooled'] : ['pooled', 'levels'];
    for (const mode of modes) {
      const model = path.join(ctx.fixtures, `gnn_${mode}.safetensors`);
      const cases = loadCases(ctx, mode);
      const nested = cases.map((c) => ({ bids: c.bids, asks: c.asks }));
      const typed = cases.map((c) => ({
        bidPx: Float64Array.from(c.bids, (l) => l[0]),
        bidSz: Float64Array.from(c.bids, (l) => l[1]),
        askPx: Float64Array.from(c.asks, (l) => l[0]),
        askSz: Float64Array.from(c.asks, (l) => l[1]),
      }));

      const variants = [
        ['fp16', 'persistent'],
        ['fp16', 'graph'],
        ['fp32', 'persistent'],
      ];
      for (const [precision, singleBook] of variants) {
        const engine = hg.createEngine({ model, backend: 'cuda', precision, singleBook });
        try {
          const worst = check(`cuda ${mode} ${precision} ${singleBook}`, engine, cases, TOLERANCE[precision]);
          const s = engine.info.backendStats;
          const into = engine.predict(nested[0]);
          let k = 0;
          const nestedStats = await ctx.measure(() => engine.predict(nested[k++ & 63], { into }));
          ctx.addRow({
            name: `${mode} predict() batch 1, nested book, ${precision}, ${singleBook}`,
            stats: nestedStats,
            ratio: precision === 'fp16' ? TORCH_BATCH1_P50_US / nestedStats.p50 : undefined,
            note: `worst error ${worst.toExponential(1)}; vs PyTorch's 131 µs p50 (gpu.md)`,
          });
          const typedStats = await ctx.measure(() => engine.predict(typed[k++ & 63], { into }));
          ctx.addRow({ name: `${mode} predict() batch 1, typed book, ${precision}, ${singleBook}`, stats: typedStats });
          if (precision === 'fp16' && singleBook === 'persistent') {
            // Floors measured natively at creation only in 'auto' mode; take them from an auto engine.
            const auto = hg.createEngine({ model, backend: 'cuda', precision });
            const a = auto.info.backendStats;
            auto.close();
            const bytes = s.inputBytesPerBook + s.outputBytesPerBook;
            ctx.note(
              `${mode}: empty round trip (native, no JS): persistent ${(a.emptyPersistentRoundTripNs / 1e3).toFixed(2)} µs, ` +
                `graph ${(a.emptyGraphRoundTripNs / 1e3).toFixed(2)} µs; a full single book (native): persistent ` +
                `${(a.singlePersistentMedianNs / 1e3).toFixed(2)} µs, graph ${(a.singleGraphMedianNs / 1e3).toFixed(2)} µs; ` +
                `'auto' chose ${a.persistentSingle ? 'persistent' : 'graph'}; PCIe bytes per book ${bytes} ` +
                `(${s.inputBytesPerBook} in, ${s.outputBytesPerBook} out); tile ${s.tileBooks} books, ${s.sharedMemoryBytes} B shared memory`,
            );
            ctx.record(`gnn-cuda.${mode}.floors`, { device, ...a, pcieBytesPerBook: bytes });
            ctx.addRow({
              name: `${mode} floor: empty persistent round trip (native)`,
              stats: { samples: 200, p50: a.emptyPersistentRoundTripNs / 1e3, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: a.emptyPersistentRoundTripNs / 1e3, throughput: 1e9 / a.emptyPersistentRoundTripNs, itemsPerCall: 1 },
            });
          }
          if (singleBook === 'persistent') {
            await packedRows(ctx, model, mode, precision, cases);
            for (const n of [64, 512, 4096, 16384]) {
              const books = Array.from({ length: n }, (_, i) => nested[i & 63]);
              const stats = await ctx.measure(() => engine.predictBatch(books), {
                itemsPerCall: n,
                minSamples: 30,
                minTimeMs: ctx.quick ? 100 : 600,
                warmup: 5,
              });
              ctx.addRow({
                name: `${mode} predictBatch ${n}, nested books, ${precision}`,
                stats,
                ratio: n === 4096 && precision === 'fp16' ? stats.throughput / TORCH_BATCH4096_BOOKS_PER_S : undefined,
                note: `${(stats.throughput / 1e6).toFixed(2)} M books/s`,
              });
              if (n === 512 || n === 4096) {
                // The same books in a BookBatch (packed columns, read in place, result into
                // caller-owned arrays): what is left of the host side once no JS walks the books.
                const batch = engine.createBatch(n);
                books.forEach((b, i) => batch.set(i, b));
                const into = engine.predictBatch(batch);
                const same = engine.predictBatch(books);
                if (into.logits.some((v, i) => !Object.is(v, same.logits[i]))) {
                  throw new Error(`BookBatch (${mode}, ${precision}, ${n}) disagrees with predictBatch of the same books`);
                }
                const p = await ctx.measure(() => engine.predictBatch(batch, { into }), {
                  itemsPerCall: n,
                  minSamples: 30,
                  minTimeMs: ctx.quick ? 100 : 600,
                  warmup: 5,
                });
                ctx.addRow({
                  name: `${mode} predictBatch ${n}, BookBatch + into, ${precision}`,
                  stats: p,
                  ratio: n === 4096 && precision === 'fp16' ? p.throughput / TORCH_BATCH4096_BOOKS_PER_S : undefined,
                  note: `${(p.throughput / 1e6).toFixed(2)} M books/s`,
                });
                if (n === 4096) {
                  // Validation and staging spread over host threads (the engine's `threads`).
                  const threads = Math.min(4, require('node:os').availableParallelism());
                  const threaded = hg.createEngine({ model, backend: 'cuda', precision, singleBook, threads });
                  try {
                    const intoThreaded = threaded.predictBatch(batch);
                    const q = await ctx.measure(() => threaded.predictBatch(batch, { into: intoThreaded }), {
                      itemsPerCall: n,
                      minSamples: 30,
                      minTimeMs: ctx.quick ? 100 : 600,
                      warmup: 5,
                    });
                    ctx.addRow({
                      name: `${mode} predictBatch ${n}, BookBatch + into, ${precision}, ${threads} host threads`,
                      stats: q,
                      ratio: precision === 'fp16' ? q.throughput / TORCH_BATCH4096_BOOKS_PER_S : undefined,
                      note: `${(q.throughput / 1e6).toFixed(2)} M books/s`,
                    });
                  } finally {
                    threaded.close();
                  }
                }
              }
              if (n === 4096) {
                const typedBooks = Array.from({ length: n }, (_, i) => typed[i & 63]);
                const t = await ctx.measure(() => engine.predictBatch(typedBooks), {
                  itemsPerCall: n,
                  minSamples: 30,
                  minTimeMs: ctx.quick ? 100 : 600,
                  warmup: 5,
                });
                ctx.addRow({ name: `${mode} predictBatch ${n}, typed books, ${precision}`, stats: t, note: `${(t.throughput / 1e6).toFixed(2)} M books/s` });
              }
            }
          }
        } finally {
          engine.close();
        }
      }
    }
    ctx.note(`gnn-cuda: ratio = PyTorch figure from ../shared/tools/gpu.md (H100) / hawkgraph on ${device}`);
  },
};

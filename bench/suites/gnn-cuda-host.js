// The host side of a CUDA predictBatch, measured on any machine (no GPU needed): the host twin
// with its kernels skipped runs the validation, staging, bucket padding, unpacking and result
// columns of a CUDA batch, and nothing else. A device's books/s from JS cannot exceed these rows
// (the host work does not overlap the device's), so they are the host's share of the 20 M books/s
// target. Rows: BookBatch + into at 4096 and 16384 books on 1 and 2 host threads (the engine's
// `threads`), embeddings too, and nested books (JS packing included).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

async function hostSideRows(ctx, model, mode, cases) {
  const { createHostTwinEngine } = require(path.join(ctx.root, 'dist', 'internal.js'));
  const bytes = new Uint8Array(fs.readFileSync(model));
  const nested = cases.map((c) => ({ bids: c.bids, asks: c.asks }));
  const opts = (n) => ({ itemsPerCall: n, minSamples: 30, minTimeMs: ctx.quick ? 100 : 600, warmup: 5 });
  const row = (name, stats) =>
    ctx.addRow({
      name: `${mode} ${name}`,
      stats,
      note: `${(1e9 / stats.throughput).toFixed(0)} ns a book: caps a device at ${(stats.throughput / 1e6).toFixed(1)} M books/s`,
    });
  for (const threads of [1, 2]) {
    const { engine } = createHostTwinEngine(bytes, { precision: 'fp16', twinSkipKernels: true, threads });
    try {
      for (const n of [4096, 16384]) {
        const batch = engine.createBatch(n);
        for (let i = 0; i < n; i++) batch.set(i, nested[i & 63]);
        let into = engine.predictBatch(batch);
        row(`predictBatch ${n}, BookBatch + into, ${threads} host thread${threads > 1 ? 's' : ''}`, await ctx.measure(() => engine.predictBatch(batch, { into }), opts(n)));
        if (threads === 1 && n === 4096) {
          into = engine.predictBatch(batch, { embedding: true });
          row(`predictBatch ${n}, BookBatch + into, embeddings too, 1 host thread`, await ctx.measure(() => engine.predictBatch(batch, { into, embedding: true }), opts(n)));
          const books = Array.from({ length: n }, (_, i) => nested[i & 63]);
          row(`predictBatch ${n}, nested books, 1 host thread`, await ctx.measure(() => engine.predictBatch(books), opts(n)));
        }
      }
    } finally {
      engine.close();
    }
  }
}

module.exports = {
  name: 'gnn-cuda-host',
  title: 'The host side of a CUDA batch (validation, staging, unpacking, results), measured without a GPU',
  async run(ctx) {
    for (const mode of ctx.quick ? ['pooled'] : ['pooled', 'levels']) {
      const cases = JSON.parse(fs.readFileSync(path.join(ctx.fixtures, `gnn_${mode}_cases.json`), 'utf8')).cases;
      await hostSideRows(ctx, path.join(ctx.fixtures, `gnn_${mode}.safetensors`), mode, cases);
    }
  },
};

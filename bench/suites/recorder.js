// BookRecorder (docs/dataset.md): what recording costs the bot's thread and what the writer
// sustains. record() per call (20-level nested books from the fixtures, batches of 4096 handed
// to the writer thread as they fill); submit() per call with and without record() beside it, on
// the same engine; and the writer's throughput (books/s, MB/s of Arrow written, fsync per batch).
// Target (issue 16): recording at 100k books/s costs < 1 µs p50 on the calling thread.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = {
  name: 'recorder',
  title: 'Recording books (hawkgraph BookRecorder: calling-thread cost, writer throughput)',
  async run(ctx) {
    const hg = ctx.hawkgraph;
    if (typeof hg.BookRecorder !== 'function') {
      ctx.note('this build has no BookRecorder');
      return;
    }
    const cases = require(path.join(ctx.fixtures, 'gnn_pooled_cases.json')).cases;
    const books = cases.map((c) => ({ bids: c.bids, asks: c.asks }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-bench-rec-'));
    try {
      // record() alone, paced as a 100k books/s feed: bursts of 100 books, the event loop turning
      // after each (so batches come back from the writer as they would in a bot); every call timed.
      {
        const rec = new hg.BookRecorder(path.join(dir, 'alone'), { levels: 20 });
        const n = ctx.quick ? 100_000 : 500_000;
        const ns = new Float64Array(n);
        const { performance } = require('node:perf_hooks');
        for (let i = 0; i < n; ) {
          const burstStart = performance.now();
          for (let k = 0; k < 100; k++, i++) {
            const t0 = performance.now();
            rec.record(`SYM${i % 10}`, books[i % books.length]);
            ns[i] = (performance.now() - t0) * 1e6;
          }
          while (performance.now() - burstStart < 1) await new Promise((r) => setImmediate(r));
        }
        const st = await rec.close();
        const sorted = Array.from(ns).sort((a, b) => a - b);
        const q = (p) => sorted[Math.min(n - 1, Math.floor(p * n))] / 1e3;
        const mean = sorted.reduce((a, b) => a + b, 0) / n / 1e3;
        ctx.addRow({
          name: 'record() 20-level nested book at 100k books/s, calling thread',
          stats: { samples: n, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: q(1), mean, throughput: 1e6 / mean, itemsPerCall: 1 },
          note: `target p50 < 1 µs; ${st.recorded} recorded, ${st.dropped} dropped; includes performance.now() (about 0.05 µs)`,
        });
      }
      // submit() with and without record() beside it.
      const engine = hg.createEngine({ model: path.join(ctx.fixtures, 'gnn_pooled.safetensors'), backend: 'cpu', stream: { statsIntervalMs: 0 } });
      try {
        let i = 0;
        const plain = await ctx.measure(() => engine.submit(`SYM${i % 10}`, books[i++ % books.length]));
        ctx.addRow({ name: 'submit() nested book, no recording', stats: plain });
        const rec = new hg.BookRecorder(path.join(dir, 'beside'), { levels: 20 });
        const both = await ctx.measure(() => {
          const b = books[i++ % books.length];
          engine.submit(`SYM${i % 10}`, b);
          rec.record(`SYM${i % 10}`, b);
        });
        await rec.close();
        ctx.addRow({ name: 'submit() + record() of the same book', stats: both, ratio: both.p50 / plain.p50, note: 'ratio: p50 over submit() alone' });
      } finally {
        await engine.close({ drain: false });
      }
      // The writer: books as fast as the writer takes them (flush every 8 batches), fsync per batch.
      {
        const n = ctx.quick ? 100_000 : 1_000_000;
        const rec = new hg.BookRecorder(path.join(dir, 'writer'), { levels: 20 });
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) {
          rec.record(`SYM${i % 10}`, books[i % books.length]);
          if (i % 32768 === 32767) await rec.flush();
        }
        const st = await rec.close();
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        const us = (s * 1e6) / n;
        ctx.addRow({
          name: 'BookRecorder end to end: record, encode, write, fsync every batch',
          stats: { samples: 1, p50: us, p90: us, p99: us, p999: us, max: us, mean: us, throughput: st.recorded / s, itemsPerCall: 1 },
          note: `${(st.bytes / s / 2 ** 20).toFixed(0)} MB/s of Arrow, ${st.files.length} file(s), ${st.dropped} dropped; µs columns: per book`,
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

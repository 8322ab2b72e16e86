// Streaming: submit() on the calling thread, submit-to-event latency under an open-loop feed of
// 100 symbols, the highest rate the stream sustains, and the same feed through predict() in a
// plain loop and through onnxruntime-node's async run().
//
// The feed is open loop: book k is due at t0 + k / rate whatever happened before, and its latency
// runs from that due time (passed as `ts`) to its 'prediction' listener, so a stalled JS thread or
// a slow batch is charged to every book it delays (no coordinated omission).
'use strict';

const path = require('node:path');
const { createHistogram, performance } = require('node:perf_hooks');
const { typedBook, histogramStats, dropCounter } = require('../shared');

const SYMBOLS = 100;

const immediate = () => new Promise((resolve) => setImmediate(resolve));

// Runs the feed at `rate` books/s for `seconds` (after `warmupSeconds` not recorded), then waits
// until every book is predicted or dropped. Returns latency stats and what happened to the books.
async function openLoop(engine, books, rate, seconds, warmupSeconds) {
  const hist = createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
  // Where the time goes: waiting for the thread, the batch's forward pass, the way back to JS.
  const parts = { queue: createHistogram(), compute: createHistogram(), delivery: createHistogram() };
  const symbols = Array.from({ length: SYMBOLS }, (_, i) => `SYM${i}`);
  const interval = 1000 / rate;
  const t0 = performance.now() + 2;
  const recordFrom = t0 + warmupSeconds * 1000;
  const total = Math.round(rate * (seconds + warmupSeconds));
  let predicted = 0;
  const onPrediction = (e) => {
    predicted++;
    if (e.ts >= recordFrom) {
      hist.record(Math.max(1, Math.round((performance.now() - e.ts) * 1e6)));
      parts.queue.record(Math.max(1, Math.round(e.queueNs)));
      parts.compute.record(Math.max(1, Math.round(e.computeNs)));
      parts.delivery.record(Math.max(1, Math.round(e.latencyNs - e.queueNs - e.computeNs)));
    }
  };
  engine.on('prediction', onPrediction);
  const drops = dropCounter(engine);
  const before = engine.streamStats();
  let k = 0;
  while (k < total) {
    const now = performance.now();
    while (k < total && t0 + k * interval <= now) {
      engine.submit(symbols[k % SYMBOLS], books[k % books.length], { ts: t0 + k * interval });
      k++;
    }
    await immediate();
  }
  const sendEnd = performance.now();
  while (engine.streamStats().pending > 0) await immediate();
  engine.off('prediction', onPrediction);
  drops.off();
  const after = engine.streamStats();
  const elapsed = (sendEnd - t0) / 1000;
  const submitted = after.submitted - (before ? before.submitted : 0);
  const us = (h, p) => (h.count ? h.percentile(p) / 1e3 : 0);
  return {
    stats: histogramStats(hist, seconds),
    parts: Object.fromEntries(Object.entries(parts).map(([k, h]) => [k, { p50: us(h, 50), p99: us(h, 99) }])),
    offered: rate,
    achieved: submitted / elapsed,
    predictedRate: predicted / elapsed,
    predicted,
    superseded: drops.superseded,
    otherDrops: drops.other,
    submitted,
    batches: after.batches - (before ? before.batches : 0),
  };
}

function checkPeer(name, got, want) {
  for (let c = 0; c < 3; c++) {
    if (!(Math.abs(got[c] - want[c]) < 1e-4)) {
      throw new Error(`${name} disagrees with predict(): logits ${got} vs ${want}`);
    }
  }
}

module.exports = {
  openLoop,
  name: 'stream',
  title: 'Streaming: submit() and prediction events over 100 symbols (CPU)',
  async run(ctx) {
    const { createEngine } = ctx.hawkgraph;
    const model = path.join(ctx.fixtures, 'gnn_pooled.safetensors');
    const cases = require(path.join(ctx.fixtures, 'gnn_pooled_cases.json')).cases;
    const typed = cases.map(typedBook);
    const nested = cases.map((c) => ({ bids: c.bids, asks: c.asks }));
    const stream = {
      statsIntervalMs: 0,
      ...(ctx.args.maxBatch ? { maxBatch: Number(ctx.args.maxBatch) } : {}),
      ...(ctx.args.maxWaitUs !== undefined ? { maxWaitUs: Number(ctx.args.maxWaitUs) } : {}),
      ...(ctx.args.spinUs !== undefined ? { spinUs: Number(ctx.args.spinUs) } : {}),
    };
    const open = () => createEngine({ model, backend: 'cpu', stream });
    const seconds = ctx.quick ? 0.5 : 2;
    const warmup = ctx.quick ? 0.1 : 0.5;

    // Every streamed value equals predict() (the tests hold this exactly; here a sanity check).
    {
      const engine = open();
      const want = nested.slice(0, 8).map((b) => engine.predict(b).logits);
      const got = new Map();
      engine.on('prediction', (e) => got.set(e.seq, e.logits));
      const seqs = nested.slice(0, 8).map((b, i) => engine.submit(`SYM${i}`, b));
      await engine.close();
      seqs.forEach((s, i) => checkPeer('submit()', got.get(s), want[i]));
    }

    // submit() on the calling thread: the JS cost of handing one book off.
    let submitP50 = null;
    for (const [form, books] of [['typed', typed], ['nested', nested]]) {
      const engine = open();
      let i = 0;
      const stats = await ctx.measure(() => {
        engine.submit(`SYM${i % SYMBOLS}`, books[i % books.length]);
        i++;
      });
      await engine.close({ drain: false });
      if (form === 'typed') submitP50 = stats.p50;
      ctx.addRow({ name: `submit() ${form} book, calling thread`, stats, note: 'target p50 <= 2 µs' });
    }

    // The same books through predict() in a plain loop: what the JS thread pays without the stream.
    const predictRows = {};
    for (const [form, books] of [['typed', typed], ['nested', nested]]) {
      const engine = open();
      let i = 0;
      const stats = await ctx.measure(() => engine.predict(books[i++ % books.length]));
      engine.close();
      predictRows[form] = stats;
      ctx.addRow({
        name: `predict() ${form} book, plain loop (peer)`,
        stats,
        ratio: form === 'typed' && submitP50 ? stats.p50 / submitP50 : undefined,
        note: form === 'typed' ? 'ratio: JS-thread time per book vs submit()' : '',
      });
    }

    // Submit-to-event latency at fixed offered rates.
    let latency10k = null;
    for (const rate of [1_000, 10_000, 100_000]) {
      const engine = open();
      const r = await openLoop(engine, typed, rate, seconds, warmup);
      await engine.close();
      if (rate === 10_000) latency10k = r.stats.p50;
      const lost = r.otherDrops ? `, ${r.otherDrops} dropped otherwise` : '';
      ctx.addRow({
        name: `submit -> 'prediction' event, open loop ${rate / 1000}k books/s`,
        stats: r.stats,
        note: `achieved ${Math.round(r.achieved).toLocaleString('en-US')}/s, ${r.superseded} superseded of ${r.submitted}, mean batch ${(r.predicted / Math.max(1, r.batches)).toFixed(1)}${lost}; p50/p99 µs: queue ${r.parts.queue.p50.toFixed(0)}/${r.parts.queue.p99.toFixed(0)}, batch compute ${r.parts.compute.p50.toFixed(0)}/${r.parts.compute.p99.toFixed(0)}, to JS ${r.parts.delivery.p50.toFixed(0)}/${r.parts.delivery.p99.toFixed(0)}${rate === 10_000 ? '; target p50 <= 60, p99 <= 250' : ''}`,
      });
      ctx.record(`openLoop.${rate}`, r);
    }

    // The highest offered rate the stream keeps up with: the generator achieves >= 97% of it and
    // no book is lost except by being superseded. Also the highest with nothing superseded.
    const rates = ctx.quick ? [100_000, 200_000, 400_000] : [100_000, 200_000, 300_000, 400_000, 600_000, 800_000, 1_200_000];
    let best = null;
    let bestLossless = null;
    const sweep = [];
    for (const rate of rates) {
      const engine = open();
      const r = await openLoop(engine, typed, rate, ctx.quick ? 0.3 : 1, 0.1);
      await engine.close();
      sweep.push({ rate, achieved: r.achieved, predictedRate: r.predictedRate, superseded: r.superseded, otherDrops: r.otherDrops, p50: r.stats.p50, p99: r.stats.p99 });
      const sustained = r.achieved >= 0.97 * rate && r.otherDrops === 0;
      if (!sustained) break;
      best = { rate, r };
      if (r.superseded === 0) bestLossless = { rate, r };
    }
    ctx.record('sustainedSweep', sweep);
    if (best) {
      ctx.addRow({
        name: `highest sustained rate (100 symbols, >= 97% of offered)`,
        stats: { ...best.r.stats, throughput: best.r.achieved },
        note: `${best.rate.toLocaleString('en-US')} books/s offered; ${Math.round(best.r.predictedRate).toLocaleString('en-US')} predictions/s, ${(100 * best.r.superseded / best.r.submitted).toFixed(1)}% superseded; ${bestLossless ? `nothing superseded up to ${bestLossless.rate.toLocaleString('en-US')} books/s` : 'every rate tried superseded some books: predictions are compute-bound'}; target >= 100k`,
      });
    } else {
      ctx.note(`the stream did not sustain ${rates[0]} books/s`);
    }

    // --sweep: the batching options against latency, to choose the defaults (JSON only).
    if (ctx.args.sweep) {
      const grid = [];
      for (const maxBatch of [8, 32, 128]) {
        for (const maxWaitUs of [0, 50, 200, 1000]) {
          for (const rate of [10_000, 100_000]) {
            const engine = createEngine({ model, backend: 'cpu', stream: { statsIntervalMs: 0, maxBatch, maxWaitUs } });
            const r = await openLoop(engine, typed, rate, ctx.quick ? 0.3 : 1, 0.1);
            await engine.close();
            const row = { maxBatch, maxWaitUs, rate, p50: r.stats.p50, p99: r.stats.p99, predictedRate: r.predictedRate, superseded: r.superseded, meanBatch: r.predicted / Math.max(1, r.batches) };
            grid.push(row);
            ctx.log(`sweep maxBatch ${maxBatch} maxWaitUs ${maxWaitUs} at ${rate}/s: p50 ${r.stats.p50.toFixed(1)} µs, p99 ${r.stats.p99.toFixed(1)} µs, ${Math.round(r.predictedRate)} predictions/s, mean batch ${row.meanBatch.toFixed(1)}`);
          }
        }
      }
      ctx.record('batchingSweep', grid);
    }

    // onnxruntime-node's async run() on the same model (features from engine.features()).
    let ort = null;
    try {
      ort = require('onnxruntime-node');
    } catch (err) {
      ctx.note(`onnxruntime-node peer skipped: ${err.message.split('\n')[0]}`);
    }
    if (ort) {
      const engine = open();
      // One intra-op thread, like the stream's one inference thread (gnn-cpu has the thread sweep).
      const session = await ort.InferenceSession.create(path.join(ctx.benchFixtures, 'gnn_pooled.onnx'), {
        graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
      });
      const feeds = nested.map((b) => {
        const f = engine.features(b);
        return { x: new ort.Tensor('float32', Float32Array.from(f), [f.length / 8, 8]) };
      });
      const check = await session.run(feeds[0]);
      checkPeer('onnxruntime-node', Array.from(check.direction.data), engine.predict(nested[0]).logits);
      let i = 0;
      const stats = await ctx.measure(() => session.run(feeds[i++ % feeds.length]), { async: true });
      engine.close();
      ctx.addRow({
        name: 'onnxruntime-node await session.run() per book (peer)',
        stats,
        ratio: latency10k ? stats.p50 / latency10k : undefined,
        note: 'ratio vs submit-to-event p50 at 10k/s; 1 thread; features precomputed; run() computes on the JS thread behind a Promise',
      });
      if (typeof session.release === 'function') await session.release();
    }
  },
};

// Hot swap: what swapModel() every 100 ms costs the stream's submit-to-event latency, at 10k
// books/s over 100 symbols fed in 1 ms bursts from a timer (bench/shared.js burstFeed: the JS
// thread idles between bursts, as a websocket-fed bot's does). Latency is each event's latencyNs,
// submit() to dispatch on the JS thread. Rounds with and without swaps alternate (5 each), so a
// shared machine's drift hits both alike; the note gives each round's p99 and their spread, so a
// difference can be told from noise. The two models cost the same (the pooled fixture and the
// same weights under another metadata name: another modelId). The swap is given a path, as a bot
// would: read, hash, parse and weight preparation run on a pool thread, the JS thread installs
// the prepared run, and the stream thread takes it between two batches. Where a swap's cost
// lands is split out: books delivered while a swap is being prepared, and the books of the
// first two batches on the new model (their queue time includes the stream thread's adoption).
'use strict';

const path = require('node:path');
const { typedBook, withMetadata, burstFeed, histogramStats, pooled, perRound, nsHistogram, recordNs, loadAverage } = require('../shared');

const RATE = 10_000;
const SWAP_EVERY_MS = 100;
const FIRST_BATCHES = 2;

// Sorts one round's recorded events by where they fall against the swaps.
function swapClassifier() {
  const h = { preparing: nsHistogram(), first: nsHistogram(), firstQueue: nsHistogram(), firstCompute: nsHistogram(), rest: nsHistogram(), restQueue: nsHistogram(), restCompute: nsHistogram() };
  // swapped: the current model came in by a swap seen in this round's recorded events.
  let model = null, swapped = false, batchesOnModel = 0, lastCompute = -1;
  const state = { preparing: 0 };
  const onRecord = (e) => {
    if (e.modelId !== model) {
      swapped = model !== null;
      model = e.modelId;
      batchesOnModel = 0;
      lastCompute = -1;
    }
    // The books of one batch are dispatched together and share its computeNs.
    if (e.computeNs !== lastCompute) {
      batchesOnModel++;
      lastCompute = e.computeNs;
    }
    if (swapped && batchesOnModel <= FIRST_BATCHES) {
      recordNs(h.first, e.latencyNs);
      recordNs(h.firstQueue, e.queueNs);
      recordNs(h.firstCompute, e.computeNs);
    } else if (state.preparing > 0) {
      recordNs(h.preparing, e.latencyNs);
    } else {
      recordNs(h.rest, e.latencyNs);
      recordNs(h.restQueue, e.queueNs);
      recordNs(h.restCompute, e.computeNs);
    }
  };
  return { h, state, onRecord };
}

module.exports = {
  name: 'swap',
  title: 'Hot swap: submit-to-event latency at 10k books/s with swapModel() every 100 ms (CPU)',
  async run(ctx) {
    const { createEngine } = ctx.hawkgraph;
    const pooledModel = path.join(ctx.fixtures, 'gnn_pooled.safetensors');
    const models = [pooledModel, withMetadata(pooledModel, { name: 'pooled-renamed' })];
    const typed = require(path.join(ctx.fixtures, 'gnn_pooled_cases.json')).cases.map(typedBook);
    const seconds = ctx.quick ? 0.5 : 2;
    const warmupSeconds = ctx.quick ? 0.2 : 0.5;
    const rounds = ctx.quick ? 1 : 5;
    const loadBefore = loadAverage();

    const feed = async (swapping) => {
      const engine = createEngine({ model: models[0], backend: 'cpu', stream: { statsIntervalMs: 0 } });
      const c = swapClassifier();
      let swaps = 0, failed = null;
      const modelIds = new Set();
      engine.on('prediction', (e) => modelIds.add(e.modelId));
      let inFlight = Promise.resolve();
      const timer = swapping
        ? setInterval(() => {
            c.state.preparing++;
            inFlight = engine
              .swapModel(models[++swaps % 2])
              .catch((err) => void (failed = err))
              .finally(() => void c.state.preparing--);
          }, SWAP_EVERY_MS)
        : null;
      const r = await burstFeed(engine, typed, { rate: RATE, seconds, warmupSeconds, onRecord: c.onRecord });
      if (timer) clearInterval(timer);
      await inFlight; // a swap still being prepared finishes before the engine closes
      await engine.close();
      if (failed) throw failed;
      if (swapping && modelIds.size !== 2) throw new Error(`swapping round saw events from ${modelIds.size} models`);
      return { r, swaps, c: c.h };
    };

    const runs = { steady: [], swapping: [] };
    for (let k = 0; k < rounds; k++) {
      runs.steady.push(await feed(false));
      runs.swapping.push(await feed(true));
    }
    const lat = (list) => list.map((x) => x.r.latency);
    const steadyP99 = perRound(lat(runs.steady), 99), swappingP99 = perRound(lat(runs.swapping), 99);
    const steadyAll = pooled(lat(runs.steady)), swappingAll = pooled(lat(runs.swapping));
    const dueP99 = (list) => perRound(list.map((x) => x.r.due), 99).median.toFixed(0);
    const meanBatch = (list) => (list.reduce((s, x) => s + x.r.predicted, 0) / list.reduce((s, x) => s + x.r.batches, 0)).toFixed(1);
    const perTick = runs.steady[0].r.booksPerTick.toFixed(1);
    ctx.addRow({
      name: `submit -> 'prediction' latencyNs, ${RATE / 1000}k books/s in 1 ms bursts, no swaps`,
      stats: histogramStats(steadyAll, rounds * seconds),
      note: `${rounds} rounds pooled; p99 per round ${steadyP99.text} µs; ${perTick} books per burst, mean batch ${meanBatch(runs.steady)}; from due time p99 ${dueP99(runs.steady)} µs (median round)`,
    });
    const added = swappingP99.median - steadyP99.median;
    const swaps = runs.swapping.reduce((s, x) => s + x.swaps, 0);
    ctx.addRow({
      name: `submit -> 'prediction' latencyNs, ${RATE / 1000}k books/s in 1 ms bursts, swapModel() every ${SWAP_EVERY_MS} ms`,
      stats: histogramStats(swappingAll, rounds * seconds),
      ratio: swappingAll.percentile(99) / steadyAll.percentile(99),
      note: `median-round p99 ${added >= 0 ? '+' : ''}${added.toFixed(0)} µs vs no swaps (target < +50; the no-swap rounds' own spread is ${steadyP99.spread.toFixed(0)} µs); p99 per round ${swappingP99.text} µs; ${swaps} swaps; mean batch ${meanBatch(runs.swapping)}; from due time p99 ${dueP99(runs.swapping)} µs; ratio: pooled p99 vs no swaps`,
    });
    // Where a swap's cost lands, pooled over the swapping rounds, against the same rounds' other books.
    const part = (key) => pooled(runs.swapping.map((x) => x.c[key]));
    const first = part('first'), rest = part('rest'), preparing = part('preparing');
    const us = (h, p) => (h.count ? (h.percentile(p) / 1e3).toFixed(0) : '-');
    ctx.addRow({
      name: `  of which: the first ${FIRST_BATCHES} batches on each new model`,
      stats: histogramStats(first, rounds * seconds),
      ratio: rest.count ? first.percentile(99) / rest.percentile(99) : undefined,
      note: `${first.count} books; p99 ${us(first, 99)} µs vs ${us(rest, 99)} µs for books delivered with no swap in preparation nor just adopted; queue p50/p99 ${us(part('firstQueue'), 50)}/${us(part('firstQueue'), 99)} µs vs ${us(part('restQueue'), 50)}/${us(part('restQueue'), 99)} (adoption is inside the first batch's queue time), compute p50/p99 ${us(part('firstCompute'), 50)}/${us(part('firstCompute'), 99)} vs ${us(part('restCompute'), 50)}/${us(part('restCompute'), 99)} (cold weights); ratio: p99 vs those books`,
    });
    ctx.addRow({
      name: '  of which: books delivered while a swap is being prepared',
      stats: histogramStats(preparing, rounds * seconds),
      ratio: rest.count && preparing.count ? preparing.percentile(99) / rest.percentile(99) : undefined,
      note: `${preparing.count} books; p99 ${us(preparing, 99)} µs vs ${us(rest, 99)} µs (the preparation thread competes for the cores); ratio: p99 vs books with no swap in preparation nor just adopted`,
    });
    ctx.note(`load average (1, 5, 15 min) before ${loadBefore}, after ${loadAverage()}; ${ctx.machine.cores} cores`);
    const keep = (x) => ({ ...x.r, latency: histogramStats(x.r.latency, seconds), due: histogramStats(x.r.due, seconds), parts: undefined, swaps: x.swaps });
    ctx.record('runs', { steady: runs.steady.map(keep), swapping: runs.swapping.map(keep) });
  },
};

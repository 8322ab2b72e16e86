// Hot swap: what swapModel() costs the stream's submit-to-event latency, at 10k books/s over 100
// symbols fed in 1 ms bursts from a timer (bench/shared.js burstFeed: the JS thread idles between
// bursts, as a websocket-fed bot's does). Latency is each event's latencyNs, submit() to dispatch
// on the JS thread. The two models cost the same (the pooled fixture and the same weights under
// another metadata name: another modelId). The swap is given a path, as a bot would: read, hash,
// parse and weight preparation run on the background thread, the JS thread installs the prepared
// run, and the stream thread takes it between two batches.
//
// On a shared 2-core machine the p99 of one stream drifts between rounds by more than a swap can
// add, so the figure is paired in time: in the swapping rounds a swap starts every 100 ms, and the
// books due in the 50 ms after each swap's call (the swap window: its preparation, its adoption
// and its first batches, all within a few ms, at one swap per 50 ms of window: twice the density
// of a swap every 100 ms) are compared with the books of the next 50 ms (the control window),
// which met the same machine a moment later. Two statistics: the pooled p99 of all swap windows
// against all control windows, with a bootstrap interval over window pairs; and the median over
// pairs of one window's p99 minus its control's, with the distribution-free interval of a median
// (order statistics), which a rare stall of the machine in a few windows does not move. Rounds
// with no swaps at all alternate with the swapping ones, to show the control windows are not
// themselves disturbed, and, cut into the same window pairs, what the pairing reads when there is
// nothing to find (an A/A comparison: the width of its intervals is the machine's). Where a swap's cost
// lands is split out: the first two batches on each new model, and books delivered while a swap
// is being prepared.
'use strict';

const path = require('node:path');
const { typedBook, withMetadata, burstFeed, kernelHousekeeping, stallRecorder, histogramStats, pooled, perRound, nsHistogram, recordNs, loadAverage, makeRandom } = require('../shared');

const RATE = 10_000;
const PERIOD_MS = 100;
const WINDOW_MS = 50;
const FIRST_BATCHES = 2;
const RESAMPLES = 400;

// Sorts one round's recorded events by where they fall against the swaps: the first batches on a
// new model, books delivered while a swap is being prepared, and the rest. Each class keeps the
// latency and its parts: queue (submit to the batch's start), compute, and dispatch (the rest:
// the batch's end to its listener on the JS thread), for all its books and for those no kernel
// housekeeping stall overlapped (from the book's due time to its delivery).
const FIELDS = 5; // due ms, delivered ms, latency, queue, compute ns
function swapClassifier() {
  const books = { first: [], preparing: [], rest: [] };
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
    const into = swapped && batchesOnModel <= FIRST_BATCHES ? books.first : state.preparing > 0 ? books.preparing : books.rest;
    into.push(e.ts, performance.now(), e.latencyNs, e.queueNs, e.computeNs);
  };
  const histograms = (keep) => {
    const parts = (list) => {
      const h = { latency: nsHistogram(), queue: nsHistogram(), compute: nsHistogram(), dispatch: nsHistogram() };
      for (let i = 0; i < list.length; i += FIELDS) {
        if (!keep(list[i], list[i + 1])) continue;
        const [latency, queue, compute] = [list[i + 2], list[i + 3], list[i + 4]];
        recordNs(h.latency, latency);
        recordNs(h.queue, queue);
        recordNs(h.compute, compute);
        recordNs(h.dispatch, latency - queue - compute);
      }
      return h;
    };
    return { first: parts(books.first), preparing: parts(books.preparing), rest: parts(books.rest) };
  };
  return { state, onRecord, histograms };
}

// Each recorded book's latency in its window: swap window k (due within WINDOW_MS after swap k's
// call) or control window k (the rest of period k). Books due before the first swap count in none.
// spans[k]: from the first book due in pair k to the last one's delivery, to find the pairs a
// housekeeping stall touched.
function windowSorter(swapTimes) {
  const swap = [], control = [], spans = [];
  let k = -1;
  const onRecord = (e) => {
    while (k + 1 < swapTimes.length && swapTimes[k + 1] <= e.ts) k++;
    if (k < 0) return;
    const into = e.ts - swapTimes[k] < WINDOW_MS ? swap : control;
    (into[k] ??= []).push(e.latencyNs);
    const span = (spans[k] ??= { from: e.ts, to: e.ts });
    span.to = Math.max(span.to, performance.now());
  };
  return { swap, control, spans, onRecord };
}

const percentileOf = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
function pooledPercentile(windows, picks, p) {
  const n = picks.reduce((s, k) => s + windows[k].length, 0);
  const all = new Float64Array(n);
  let at = 0;
  for (const k of picks) {
    all.set(windows[k], at);
    at += windows[k].length;
  }
  return percentileOf(all.sort(), p);
}

// Swap-window minus control-window pooled percentile (µs) and a 95 % bootstrap interval over the
// window pairs.
function pairedDifference(pairs, p) {
  const keys = pairs.map((_, k) => k);
  const diff = (picks) => (pooledPercentile(pairs.map((x) => x.swap), picks, p) - pooledPercentile(pairs.map((x) => x.control), picks, p)) / 1e3;
  const random = makeRandom(17);
  const draws = Array.from({ length: RESAMPLES }, () => diff(keys.map(() => keys[Math.floor(random() * keys.length)]))).sort((a, b) => a - b);
  return { value: diff(keys), low: draws[Math.floor(0.025 * RESAMPLES)], high: draws[Math.ceil(0.975 * RESAMPLES) - 1] };
}

// Median over pairs of (p99 of the swap window - p99 of its control), µs, and its 95 % interval:
// the order statistics k and n + 1 - k of the n differences, k from the binomial(n, 1/2) tail.
function medianPairDifference(pairs, p) {
  const sorted = (xs) => Float64Array.from(xs).sort();
  const d = pairs.map((x) => (percentileOf(sorted(x.swap), p) - percentileOf(sorted(x.control), p)) / 1e3).sort((a, b) => a - b);
  const n = d.length;
  // Largest k with P(Binomial(n, 1/2) < k) <= 2.5 %.
  let k = 0, tail = 0, term = 0.5 ** n;
  while (k < n && tail + term <= 0.025) {
    tail += term;
    term *= (n - k) / (k + 1);
    k++;
  }
  const mid = n % 2 ? d[(n - 1) / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
  return { value: mid, low: d[Math.max(0, k - 1)], high: d[Math.min(n - 1, n - k)] };
}

module.exports = {
  name: 'swap',
  title: 'Hot swap: submit-to-event latency at 10k books/s, the 50 ms after each swapModel() (one every 100 ms) against the next 50 ms (CPU)',
  async run(ctx) {
    const { createEngine } = ctx.hawkgraph;
    const pooledModel = path.join(ctx.fixtures, 'gnn_pooled.safetensors');
    const models = [pooledModel, withMetadata(pooledModel, { name: 'pooled-renamed' })];
    const typed = require(path.join(ctx.fixtures, 'gnn_pooled_cases.json')).cases.map(typedBook);
    const seconds = ctx.quick ? 1 : 4;
    const warmupSeconds = ctx.quick ? 0.2 : 0.5;
    // --rounds N: more window pairs (40 a round) for tighter intervals on a noisy machine.
    const rounds = ctx.quick ? 1 : ctx.args.rounds === undefined ? 4 : Number(ctx.args.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new Error(`--rounds must be an integer from 1 to 100, got ${ctx.args.rounds}`);
    // --spin-us N: the stream thread polls this long before it sleeps (stream option spinUs).
    const spinUs = ctx.args.spinUs === undefined ? 0 : Number(ctx.args.spinUs);
    const loadBefore = loadAverage();

    const feed = async (swapping) => {
      const stalls = stallRecorder(housekeeping);
      const engine = createEngine({ model: models[0], backend: 'cpu', stream: { statsIntervalMs: 0, spinUs } });
      const parts = swapClassifier();
      const swapTimes = [];
      const windows = windowSorter(swapTimes);
      let swaps = 0, failed = null;
      const modelIds = new Set();
      engine.on('prediction', (e) => modelIds.add(e.modelId));
      let inFlight = Promise.resolve();
      // The rounds with no swaps keep the same timer and windows (an A/A comparison: what the
      // pairing reads when nothing happens at a window's start).
      const timer = setInterval(() => {
        swapTimes.push(performance.now());
        if (!swapping) return;
        parts.state.preparing++;
        inFlight = engine
          .swapModel(models[++swaps % 2])
          .catch((err) => void (failed = err))
          .finally(() => void parts.state.preparing--);
      }, PERIOD_MS);
      const onRecord = (e) => {
        parts.onRecord(e);
        windows.onRecord(e);
      };
      const r = await burstFeed(engine, typed, { rate: RATE, seconds, warmupSeconds, onRecord, onTick: stalls.onTick });
      clearInterval(timer);
      await inFlight; // a swap still being prepared finishes before the engine closes
      await engine.close();
      if (failed) throw failed;
      if (swapping && modelIds.size !== 2) throw new Error(`swapping round saw events from ${modelIds.size} models`);
      // Window pairs with books in both halves (the last period may be cut short by the feed's end).
      // A pair is stalled when a housekeeping stall overlaps its books' lifetimes (both halves
      // go, so the pairing holds); each stall is also counted against the half it began in.
      const overlaps = (span, st) => span && st.from <= span.to && st.to >= span.from;
      const inSwapHalf = windows.swap.map(() => 0), inControlHalf = windows.swap.map(() => 0);
      for (const st of stalls.stalls) {
        const k = swapTimes.findLastIndex((t) => t <= st.from);
        if (k >= 0) (st.from - swapTimes[k] < WINDOW_MS ? inSwapHalf : inControlHalf)[k]++;
      }
      const pairs = windows.swap
        .map((swap, k) => ({ swap, control: windows.control[k], stalled: stalls.stalls.some((st) => overlaps(windows.spans[k], st)), stallsInSwap: inSwapHalf[k] ?? 0, stallsInControl: inControlHalf[k] ?? 0 }))
        .filter((x) => x.swap && x.control);
      const unstalled = (from, to) => !stalls.stalls.some((st) => st.from <= to && st.to >= from);
      const books = { all: parts.histograms(() => true), unstalled: parts.histograms(unstalled) };
      return { r, swaps, books, pairs, stalls: stalls.stalls };
    };

    // One swap's own cost, with no stream: swapModel(path) until it resolves, and the process's CPU
    // time per swap (the background thread's read, hash, parse and packing and the JS thread's part).
    const alone = async () => {
      const engine = createEngine({ model: models[0], backend: 'cpu' });
      await engine.swapModel(models[1]);  // the background thread is started
      const n = ctx.quick ? 50 : 300, h = nsHistogram();
      const cpu0 = process.cpuUsage(), t0 = performance.now();
      for (let k = 0; k < n; k++) {
        const t = performance.now();
        await engine.swapModel(models[k % 2]);
        recordNs(h, (performance.now() - t) * 1e6);
      }
      const wall = (performance.now() - t0) / 1000, cpu = process.cpuUsage(cpu0);
      engine.close();
      return { h, n, wall, userUs: cpu.user / n, systemUs: cpu.system / n };
    };
    const housekeeping = await kernelHousekeeping();
    const single = await alone();
    ctx.addRow({
      name: 'swapModel(path) with no stream open, until it resolves',
      stats: histogramStats(single.h, single.wall),
      note: `${single.n} swaps; CPU per swap ${single.userUs.toFixed(0)} µs user + ${single.systemUs.toFixed(0)} µs system, all threads`,
    });

    const runs = { steady: [], swapping: [] };
    for (let k = 0; k < rounds; k++) {
      runs.steady.push(await feed(false));
      runs.swapping.push(await feed(true));
    }
    const pairs = runs.swapping.flatMap((x) => x.pairs), steadyPairs = runs.steady.flatMap((x) => x.pairs);
    const windowHistogram = (side, from = pairs) => {
      const h = nsHistogram();
      for (const pair of from) for (const ns of pair[side]) recordNs(h, ns);
      return h;
    };
    const swapWindows = windowHistogram('swap'), controlWindows = windowHistogram('control');
    const steadyAll = pooled(runs.steady.map((x) => x.r.latency));
    const steadyP99 = perRound(runs.steady.map((x) => x.r.latency), 99);
    const added99 = pairedDifference(pairs, 99), added50 = pairedDifference(pairs, 50), perPair99 = medianPairDifference(pairs, 99);
    const clean = pairs.filter((x) => !x.stalled);
    const clean99 = clean.length > 1 ? pairedDifference(clean, 99) : null, cleanPair99 = clean.length > 1 ? medianPairDifference(clean, 99) : null;
    const stallsIn = (key) => pairs.reduce((s, x) => s + x[key], 0);
    const swaps = runs.swapping.reduce((s, x) => s + x.swaps, 0);
    const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(0)}`;
    const us = (h, p) => (h.count ? (h.percentile(p) / 1e3).toFixed(0) : '-');
    const span = rounds * seconds;

    ctx.addRow({
      name: `submit -> 'prediction' latencyNs, ${RATE / 1000}k books/s in 1 ms bursts, no swaps`,
      stats: histogramStats(steadyAll, span),
      note: `${rounds} rounds of ${seconds} s pooled; p99 per round ${steadyP99.text} µs; ${runs.steady[0].r.booksPerTick.toFixed(1)} books per burst`,
    });
    ctx.addRow({
      name: `  swapping rounds: the ${PERIOD_MS - WINDOW_MS} ms after each swap window (control)`,
      stats: histogramStats(controlWindows, span / 2),
      ratio: controlWindows.percentile(99) / steadyAll.percentile(99),
      note: `${pairs.length} windows, ${controlWindows.count} books; ratio: p99 vs the rounds with no swaps (the control is undisturbed if about 1)`,
    });
    ctx.addRow({
      name: `  swapping rounds: the ${WINDOW_MS} ms from each swapModel() call (swap window)`,
      stats: histogramStats(swapWindows, span / 2),
      ratio: swapWindows.percentile(99) / controlWindows.percentile(99),
      note: `pooled p99 ${signed(added99.value)} µs vs the control windows (95 % bootstrap interval ${signed(added99.low)} to ${signed(added99.high)} µs over ${pairs.length} window pairs; target < +50); median over pairs of the window's p99 minus its control's ${signed(perPair99.value)} µs (95 % interval ${signed(perPair99.low)} to ${signed(perPair99.high)}); pooled p50 ${signed(added50.value)} µs (${signed(added50.low)} to ${signed(added50.high)}); ${swaps} swaps, one per swap window; ratio: p99 vs control`,
    });
    if (!housekeeping.names.length) ctx.note('no kernel thread ran >= 500 µs in a second of calibration, so no pair is dropped as stalled');
    if (clean99 && housekeeping.names.length) {
      const swapHalves = windowHistogram('swap', clean), controlHalves = windowHistogram('control', clean);
      ctx.addRow({
        name: `    the same, without the pairs a kernel housekeeping thread stalled`,
        stats: histogramStats(swapHalves, span / 2),
        ratio: swapHalves.percentile(99) / controlHalves.percentile(99),
        note: `${clean.length} of ${pairs.length} pairs kept: dropped where ${housekeeping.names.join(', ')} ran >= 200 µs between a pair's first book and its last delivery (stalls begun in swap windows ${stallsIn('stallsInSwap')}, in controls ${stallsIn('stallsInControl')}); pooled p99 ${signed(clean99.value)} µs vs their controls (95 % bootstrap interval ${signed(clean99.low)} to ${signed(clean99.high)}); median over pairs ${signed(cleanPair99.value)} µs (${signed(cleanPair99.low)} to ${signed(cleanPair99.high)}); control p99 ${us(controlHalves, 99)} µs; ratio: p99 vs control`,
      });
    }
    // Where a swap's cost lands, pooled over the swapping rounds, against the same rounds' other books.
    const part = (cls, key, set = 'all') => pooled(runs.swapping.map((x) => x.books[set][cls][key]));
    const split = (cls, set) =>
      ['queue', 'compute', 'dispatch'].map((key) => `${key} p50/p99 ${us(part(cls, key, set), 50)}/${us(part(cls, key, set), 99)} vs ${us(part('rest', key, set), 50)}/${us(part('rest', key, set), 99)}`).join(', ');
    const classRow = (cls, name, what) => {
      const h = part(cls, 'latency'), rest = part('rest', 'latency');
      const calm = part(cls, 'latency', 'unstalled'), calmRest = part('rest', 'latency', 'unstalled');
      const withoutStalls = housekeeping.names.length
        ? `; without the books a housekeeping stall overlapped: ${calm.count} books, p99 ${us(calm, 99)} µs vs ${us(calmRest, 99)} µs, µs ${split(cls, 'unstalled')}`
        : '';
      ctx.addRow({
        name,
        stats: histogramStats(h, span),
        ratio: rest.count && h.count ? h.percentile(99) / rest.percentile(99) : undefined,
        note: `${h.count} books (${(h.count / Math.max(1, swaps)).toFixed(1)} a swap); p99 ${us(h, 99)} µs vs ${us(rest, 99)} µs for the books with no swap in preparation nor just adopted; µs ${split(cls, 'all')}${what}${withoutStalls}; ratio: p99 vs those books`,
      });
    };
    classRow('first', `    of which: the first ${FIRST_BATCHES} batches on each new model`, ' (adoption is inside the first batch\'s queue time; cold weights in its compute)');
    classRow('preparing', '    of which: books delivered while a swap is being prepared', '');
    const null99 = pairedDifference(steadyPairs, 99), nullPair99 = medianPairDifference(steadyPairs, 99);
    const nullHalves = windowHistogram('swap', steadyPairs);
    ctx.addRow({
      name: `  no-swap rounds, the same ${WINDOW_MS} ms windows on the same timer (A/A: the pairing's own noise)`,
      stats: histogramStats(nullHalves, span / 2),
      ratio: nullHalves.percentile(99) / windowHistogram('control', steadyPairs).percentile(99),
      note: `pooled p99 ${signed(null99.value)} µs vs their controls (95 % bootstrap interval ${signed(null99.low)} to ${signed(null99.high)} over ${steadyPairs.length} window pairs); median over pairs ${signed(nullPair99.value)} µs (${signed(nullPair99.low)} to ${signed(nullPair99.high)}); ratio: p99 vs control`,
    });
    if (spinUs > 0) ctx.note(`stream option spinUs ${spinUs}`);
    ctx.note(`load average (1, 5, 15 min) before ${loadBefore}, after ${loadAverage()}; ${ctx.machine.cores} cores`);
    const keep = (x) => ({ ...x.r, latency: histogramStats(x.r.latency, seconds), due: histogramStats(x.r.due, seconds), parts: undefined, swaps: x.swaps, windowPairs: x.pairs.length });
    ctx.record('runs', { steady: runs.steady.map(keep), swapping: runs.swapping.map(keep), added99, added50, perPair99, clean99, cleanPair99, null99, nullPair99, housekeeping: housekeeping.names, stalls: runs.swapping.map((x) => x.stalls) });
  },
};

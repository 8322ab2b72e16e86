// Shadows and drift: what a shadow model costs the primary's latency, and what the drift
// histograms cost it, at 10k books/s over 100 symbols fed in 1 ms bursts from a timer
// (bench/shared.js burstFeed: the JS thread idles between bursts, as a websocket-fed bot's does).
// Latency is each primary event's latencyNs, submit() to dispatch on the JS thread. The primary
// runs alone, with a shadow that yields to it (another copy of the pooled model, on its own
// thread, computing only while the primary has no books: addShadow's yieldToPrimary, the default
// below 3 CPUs), with the same shadow not yielding (nice +10 only, the default with a spare
// core), and with drift histograms on (the pooled model with feature_stats in its metadata: 6
// features of 10 bins), in alternating rounds (5 each) so a shared machine's drift hits all
// alike; the notes give each round's p50 and p99 and their spread. Target (issue 17): a shadow
// adds < 5 % to the primary's p50.
'use strict';

const path = require('node:path');
const { typedBook, withMetadata, burstFeed, histogramStats, pooled, perRound, loadAverage } = require('../shared');

const RATE = 10_000;
const FEATURES = ['is_bid', 'log1p_volume', 'distance_from_mid', 'order_flow', 'level_frac', 'inv_rank', 'volume_share', 'reserved'];

module.exports = {
  name: 'shadow',
  title: "Shadow models and drift: the primary's submit-to-event latency at 10k books/s (CPU)",
  async run(ctx) {
    const { createEngine } = ctx.hawkgraph;
    const pooledModel = path.join(ctx.fixtures, 'gnn_pooled.safetensors');
    const candidate = withMetadata(pooledModel, { name: 'candidate' });
    // Mean and std per feature (two are constant and left out): normal bins, 10 per feature.
    const stats = Object.fromEntries(FEATURES.map((f, i) => [f, { mean: 0.5, std: i === 3 || i === 7 ? 0 : 0.3 }]));
    const drifting = withMetadata(pooledModel, { feature_stats: JSON.stringify(stats) });
    const typed = require(path.join(ctx.fixtures, 'gnn_pooled_cases.json')).cases.map(typedBook);
    const seconds = ctx.quick ? 0.5 : 2;
    const warmupSeconds = ctx.quick ? 0.2 : 0.5;
    const rounds = ctx.quick ? 1 : 5;
    const loadBefore = loadAverage();

    const feed = async (kind) => {
      const engine = createEngine({
        model: kind === 'drift' ? drifting : pooledModel,
        backend: 'cpu',
        stream: { statsIntervalMs: 0, drift: kind === 'drift' ? {} : false },
      });
      let shadowEvents = 0;
      engine.on('shadow', () => void shadowEvents++);
      if (kind === 'shadow' || kind === 'free') await engine.addShadow(candidate, { name: 'candidate', yieldToPrimary: kind === 'shadow' });
      const r = await burstFeed(engine, typed, { rate: RATE, seconds, warmupSeconds });
      // Read before close: the shadow may still be working through its queue.
      const shadow = engine.shadowStats()[0] ?? null;
      const drift = engine.featureDrift();
      await engine.close();
      return { r, shadow, shadowEvents, driftFeatures: drift ? drift.length : 0 };
    };

    const runs = { primary: [], shadow: [], free: [], drift: [] };
    for (let k = 0; k < rounds; k++) {
      for (const kind of Object.keys(runs)) runs[kind].push(await feed(kind));
    }
    const lat = (kind) => runs[kind].map((x) => x.r.latency);
    const p50 = Object.fromEntries(Object.keys(runs).map((kind) => [kind, perRound(lat(kind), 50)]));
    const p99 = Object.fromEntries(Object.keys(runs).map((kind) => [kind, perRound(lat(kind), 99)]));
    const all = Object.fromEntries(Object.keys(runs).map((kind) => [kind, pooled(lat(kind))]));
    const row = (kind) => histogramStats(all[kind], rounds * seconds);
    const added = (kind) => {
      const pct = (p50[kind].median / p50.primary.median - 1) * 100;
      return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %`;
    };
    // The alone rounds' own spread, as a share of their median: a difference inside it is noise.
    const noise = `${((p50.primary.spread / p50.primary.median) * 100).toFixed(0)} %`;
    ctx.addRow({
      name: `submit -> 'prediction' latencyNs, ${RATE / 1000}k books/s in 1 ms bursts, primary alone`,
      stats: row('primary'),
      note: `${rounds} rounds pooled; p50 per round ${p50.primary.text} µs (spread ${noise} of the median); p99 per round ${p99.primary.text} µs`,
    });
    const shadowTotals = (kind) => {
      const t = runs[kind].reduce(
        (t, x) => ({ offered: t.offered + x.shadow.offered, predicted: t.predicted + x.shadow.predicted, dropped: t.dropped + x.shadow.dropped.queueFull }),
        { offered: 0, predicted: 0, dropped: 0 },
      );
      return `shadow over all rounds: ${t.offered} offered, ${t.predicted} predicted, ${t.dropped} dropped (queue full)`;
    };
    const shadowRow = (kind, what) => ctx.addRow({
      name: `submit -> 'prediction' latencyNs, ${RATE / 1000}k books/s in 1 ms bursts, with a shadow model ${what}`,
      stats: row(kind),
      ratio: all[kind].percentile(50) / all.primary.percentile(50),
      note: `median-round p50 ${added(kind)} vs alone (target < +5 %; the alone rounds spread ${noise}); p50 per round ${p50[kind].text} µs; p99 per round ${p99[kind].text} µs; ${shadowTotals(kind)}; ratio: pooled p50 vs alone`,
    });
    shadowRow('shadow', 'yielding to the primary');
    shadowRow('free', 'not yielding (nice +10 only)');
    ctx.addRow({
      name: `submit -> 'prediction' latencyNs, ${RATE / 1000}k books/s in 1 ms bursts, drift histograms on`,
      stats: row('drift'),
      ratio: all.drift.percentile(50) / all.primary.percentile(50),
      note: `${runs.drift[0].driftFeatures} features x 10 bins, every node of every delivered book; median-round p50 ${added('drift')} vs alone; p50 per round ${p50.drift.text} µs; ratio: pooled p50 vs alone`,
    });
    ctx.note(`load average (1, 5, 15 min) before ${loadBefore}, after ${loadAverage()}; ${ctx.machine.cores} cores`);
    const keep = (x) => ({ ...x.r, latency: histogramStats(x.r.latency, seconds), due: histogramStats(x.r.due, seconds), parts: undefined, shadow: x.shadow });
    ctx.record('runs', Object.fromEntries(Object.entries(runs).map(([k, list]) => [k, list.map(keep)])));
  },
};

// What watching a model costs each prediction on the JS thread: the same 'prediction' events
// emitted on an engine with only the bot's own listener, then with registerMetrics (prom-client)
// listening too, then with the online scorer as well, in alternating rounds of one run so a
// shared machine's drift hits every case alike. Issue 17's target: metrics < 200 ns a prediction.
// The events are synthetic (built once, as the stream builds them), so the rows time the listeners
// and not the model; a scrape of the registry is timed beside them.
'use strict';

const BATCH = 1024;
const DIRECTIONS = ['down', 'flat', 'up'];

function events(n) {
  const out = [];
  let mid = 100;
  for (let k = 0; k < n; k++) {
    const d = (k * 7919) % 3;
    const p = [0.2, 0.3, 0.5];
    mid += ((k * 104729) % 3) - 1;
    out.push({
      symbol: `S${k % 16}`, seq: k, ts: k, mid: mid * 0.01, model: k % 10 === 0 ? 'B' : 'primary',
      direction: DIRECTIONS[d], probs: [p[d], p[(d + 1) % 3], p[(d + 2) % 3]], logits: [0, 0, 0], confidence: 0.5, magnitude: 0.1,
      volatility: 0.1, levelsUsed: 20, modelId: 'bench', modelName: undefined,
      queueNs: 2000, computeNs: 20_000 + ((k * 31) % 5000), latencyNs: 30_000 + ((k * 7) % 100_000),
    });
  }
  return out;
}

module.exports = {
  name: 'metrics',
  title: "Model ops: registerMetrics' and the online scorer's cost per prediction (JS thread)",
  async run(ctx) {
    const { createEngine, createScorer, exampleModelPath, registerMetrics } = ctx.hawkgraph;
    let Registry;
    try {
      ({ Registry } = require('prom-client'));
    } catch {
      ctx.note('prom-client is not installed (a devDependency): suite skipped');
      return;
    }
    const list = events(4096);
    const mask = list.length - 1;
    const rounds = ctx.quick ? 1 : 5;
    const cases = ['bot listener only', 'registerMetrics', 'registerMetrics + createScorer'];
    const samples = cases.map(() => []);
    let scrape = null;
    for (let round = 0; round < rounds; round++) {
      for (let c = 0; c < cases.length; c++) {
        const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
        let seen = 0;
        engine.on('prediction', () => seen++);
        const registry = new Registry();
        const scorer = c === 2 ? createScorer(engine, { tick: 0.01, horizon: { events: 2 }, intervalMs: 0 }) : undefined;
        const metrics = c >= 1 ? registerMetrics(engine, registry, { scorer }) : null;
        let next = 0;
        const stats = await ctx.measure(() => {
          for (let k = 0; k < BATCH; k++) engine.emit('prediction', list[(next++) & mask]);
        }, { itemsPerCall: BATCH, minSamples: ctx.quick ? 200 : 2000 });
        if (seen !== next) throw new Error(`the bot's listener saw ${seen} of ${next} events`);
        samples[c].push(stats);
        if (c === 2 && round === rounds - 1) {
          scrape = await ctx.measure(() => registry.metrics(), { async: true, minSamples: 50, warmup: 5 });
        }
        metrics?.close();
        scorer?.close();
        engine.close();
      }
    }
    // Per prediction: each sample is one batch of BATCH events. The median round by p50.
    const median = (list) => [...list].sort((a, b) => a.p50 - b.p50)[Math.floor(list.length / 2)];
    const base = median(samples[0]);
    const perPrediction = (s) => ({ ...s, p50: s.p50 / BATCH, p90: s.p90 / BATCH, p99: s.p99 / BATCH, p999: s.p999 / BATCH, max: s.max / BATCH, mean: s.mean / BATCH });
    cases.forEach((name, c) => {
      const s = median(samples[c]);
      // The median batch is the robust figure on a shared machine (a preempted batch moves the mean).
      const added = ((s.p50 - base.p50) / BATCH) * 1000;
      const addedMean = ((s.mean - base.mean) / BATCH) * 1000;
      ctx.addRow({
        name: `'prediction' event: ${name} (µs per prediction)`,
        stats: perPrediction(s),
        note: c === 0 ? `median of ${rounds} rounds` : `+${added.toFixed(0)} ns a prediction (median batch; +${addedMean.toFixed(0)} by the mean) vs the bot's listener only${c === 1 ? ' (target < 200)' : ''}; each round's mean, listener included: ${samples[c].map((x) => ((x.mean / BATCH) * 1000).toFixed(0)).join(', ')} ns`,
      });
      ctx.record(`addedNs:${name}`, added);
    });
    if (scrape) ctx.addRow({ name: 'registry.metrics() scrape (16 symbols, 2 models scored)', stats: scrape });
  },
};

// Shadows and drift: what a shadow model costs the primary's latency, and what the drift
// histograms cost it. The open-loop feed of the stream suite (100 symbols, 10k books/s, latency
// from each book's due time to its 'prediction' listener) runs on the primary alone, with a shadow
// (another copy of the pooled model, on its own thread at lowered priority), and with drift
// histograms on (the pooled model with feature_stats in its metadata: 6 features of 10 bins),
// in alternating rounds so drift of a shared machine hits all alike. Target (issue 17): a shadow
// adds < 5 % to the primary's p50.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { typedBook } = require('../shared');
const { openLoop } = require('./stream');

const RATE = 10_000;
const FEATURES = ['is_bid', 'log1p_volume', 'distance_from_mid', 'order_flow', 'level_frac', 'inv_rank', 'volume_share', 'reserved'];

// The model file at `from` with `extra` merged into its metadata, written to a temporary file.
function withMetadata(from, extra) {
  const bytes = fs.readFileSync(from);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  header.__metadata__ = { ...header.__metadata__, ...extra };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-bench-shadow-')), 'model.safetensors');
  fs.writeFileSync(file, Buffer.concat([length, json, bytes.subarray(8 + headerLength)]));
  return file;
}

module.exports = {
  name: 'shadow',
  title: "Shadow models and drift: the primary's submit-to-event latency at 10k books/s (CPU)",
  async run(ctx) {
    const { createEngine } = ctx.hawkgraph;
    const pooled = path.join(ctx.fixtures, 'gnn_pooled.safetensors');
    const candidate = withMetadata(pooled, { name: 'candidate' });
    // Mean and std per feature (two are constant and left out): normal bins, 10 per feature.
    const stats = Object.fromEntries(FEATURES.map((f, i) => [f, { mean: 0.5, std: i === 3 || i === 7 ? 0 : 0.3 }]));
    const drifting = withMetadata(pooled, { feature_stats: JSON.stringify(stats) });
    const typed = require(path.join(ctx.fixtures, 'gnn_pooled_cases.json')).cases.map(typedBook);
    const seconds = ctx.quick ? 1 : 3;
    const warmup = ctx.quick ? 0.2 : 0.5;
    const rounds = ctx.quick ? 1 : 3;

    const feed = async (kind) => {
      const engine = createEngine({
        model: kind === 'drift' ? drifting : pooled,
        backend: 'cpu',
        stream: { statsIntervalMs: 0, drift: kind === 'drift' ? {} : false },
      });
      let shadowEvents = 0;
      engine.on('shadow', () => void shadowEvents++);
      if (kind === 'shadow') await engine.addShadow(candidate, { name: 'candidate' });
      const r = await openLoop(engine, typed, RATE, seconds, warmup);
      const shadow = engine.shadowStats()[0];
      const drift = engine.featureDrift();
      await engine.close();
      return { r, shadow, shadowEvents, driftFeatures: drift ? drift.length : 0 };
    };

    const runs = { primary: [], shadow: [], drift: [] };
    for (let k = 0; k < rounds; k++) {
      for (const kind of Object.keys(runs)) runs[kind].push(await feed(kind));
    }
    // The median run by p50, of each kind.
    const median = (list) => [...list].sort((a, b) => a.r.stats.p50 - b.r.stats.p50)[Math.floor(list.length / 2)];
    const primary = median(runs.primary), shadow = median(runs.shadow), drift = median(runs.drift);
    const p50s = (list) => list.map((x) => x.r.stats.p50.toFixed(1)).join(', ');
    ctx.addRow({
      name: `submit -> 'prediction', ${RATE / 1000}k books/s, primary alone`,
      stats: primary.r.stats,
      note: `median of ${rounds} runs by p50; p50 of each: ${p50s(runs.primary)} µs`,
    });
    const added = (x) => ((x.r.stats.p50 / primary.r.stats.p50 - 1) * 100).toFixed(1);
    const s = shadow.shadow;
    ctx.addRow({
      name: `submit -> 'prediction', ${RATE / 1000}k books/s, with a shadow model`,
      stats: shadow.r.stats,
      ratio: shadow.r.stats.p50 / primary.r.stats.p50,
      note: `primary p50 ${added(shadow)} % vs alone (target < +5 %); shadow: ${s.offered} offered, ${s.predicted} predicted, ${s.dropped.queueFull} dropped (queue full) at the last read; p50 of each: ${p50s(runs.shadow)} µs; ratio: p50 vs alone`,
    });
    ctx.addRow({
      name: `submit -> 'prediction', ${RATE / 1000}k books/s, drift histograms on`,
      stats: drift.r.stats,
      ratio: drift.r.stats.p50 / primary.r.stats.p50,
      note: `${drift.driftFeatures} features x 10 bins, every node of every delivered book; primary p50 ${added(drift)} % vs alone; p50 of each: ${p50s(runs.drift)} µs; ratio: p50 vs alone`,
    });
    ctx.record('runs', Object.fromEntries(Object.entries(runs).map(([k, list]) => [k, list.map((x) => ({ ...x.r, shadow: x.shadow }))])));
  },
};

// Watching a model in production: a simulated feed (DepthModel books, one symbol a path) streams
// through the example model with a shadow beside it; the scorer labels every prediction from the
// symbol's later books and scores both models online, registerMetrics serves them on /metrics
// (prom-client, an optional peer: npm install prom-client), and alerts watch latency and accuracy.
// Run: node examples/model-ops.js [seconds] [symbols]
'use strict';

const http = require('node:http');

const { DepthModel, createAlerts, createEngine, createScorer, exampleModelPath, registerMetrics } = require('..');

const seconds = Number(process.argv[2] ?? 5);
const symbols = Number(process.argv[3] ?? 8);
let Registry;
try {
  ({ Registry } = require('prom-client'));
} catch {
  console.error('this example serves Prometheus metrics: npm install prom-client');
  process.exit(1);
}

async function main() {
  // The feed: 20 snapshots a second a symbol, labelled by the model's own horizon (1 s).
  const sim = new DepthModel().simulate({ paths: symbols, seed: 42, duration: seconds + 2, interval: 0.05, levels: 20 });
  const perSymbol = sim.length / symbols, L = sim.levels;
  const book = (i) => {
    const at = i * 4 * L, nb = sim.counts[2 * i], na = sim.counts[2 * i + 1];
    return {
      bidPx: sim.columns.subarray(at, at + nb), bidSz: sim.columns.subarray(at + L, at + L + nb),
      askPx: sim.columns.subarray(at + 2 * L, at + 2 * L + na), askSz: sim.columns.subarray(at + 3 * L, at + 3 * L + na),
    };
  };

  const engine = createEngine({ model: exampleModelPath, stream: { statsIntervalMs: 200 } });
  await engine.addShadow(exampleModelPath, { name: 'candidate' });
  const scorer = createScorer(engine, { tick: 0.01, horizon: { seconds: 1 }, intervalMs: 1000 });
  const registry = new Registry();
  const metrics = registerMetrics(engine, registry, { prefix: 'bot_', scorer });
  const alerts = createAlerts(engine, {
    scorer,
    intervalMs: 1000,
    rules: [
      { metric: 'latencyP99Ms', above: 20, clearBelow: 5, for: 2 },
      { metric: 'accuracy', model: 'primary', below: 0.3, clearAbove: 0.35, for: 2 },
    ],
  });
  engine.on('alert', (a) => console.log(`alert ${a.rule} ${a.state}: ${a.value.toFixed(3)} (threshold ${a.threshold})`));
  engine.on('modelReport', (r) => {
    const m = r.models.find((x) => x.model === 'primary');
    if (m && m.window.predictions > 0) console.log(`report: primary ${m.window.predictions} scored in the window, accuracy ${m.window.accuracy.toFixed(3)}`);
  });

  const server = http.createServer(async (req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.end(await registry.metrics());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/metrics`;

  // Replay the feed in real time: every 50 ms, each symbol's next book.
  for (let k = 0; k < perSymbol; k++) {
    for (let s = 0; s < symbols; s++) {
      const i = s * perSymbol + k;
      engine.submit(`SYM${s}`, book(i), { ts: sim.time[i] * 1000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));

  const text = await (await fetch(url)).text();
  console.log(`GET ${url}:`);
  for (const line of text.split('\n')) if (/^bot_(predictions_total|books_submitted_total|online_accuracy_ratio)/.test(line)) console.log(`  ${line}`);
  for (const m of scorer.modelReport().models) {
    const s = m.sinceStart;
    console.log(`${m.model}: ${s.predictions} scored, accuracy ${s.accuracy.toFixed(3)}, log-loss ${s.logLoss.toFixed(3)}, Brier ${s.brier.toFixed(3)}, p99 ${(m.latencyNs.sinceStart.p99 / 1e3).toFixed(0)} µs`);
  }
  alerts.close();
  metrics.close();
  scorer.close();
  server.close();
  await engine.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// Compiled by tsc (test/28.ops-metrics.test.ts runs it, noEmit): each @ts-expect-error line must
// be an error (tsc fails on an unused one) and every other line must compile.
import { Registry, register } from 'prom-client';

import { createAlerts, createEngine, createScorer, registerMetrics, type AlertEvent, type ModelReport } from '../../dist/index.js';

const engine = createEngine({ model: 'model.safetensors', backend: 'cpu' });
const scorer = createScorer(engine, { tick: 0.01, horizon: { seconds: 1 }, window: 500 });

// The events lib/ops adds are typed on the engine.
engine.on('alert', (a: AlertEvent) => a.state === 'firing' && a.threshold > a.value);
engine.on('modelReport', (r: ModelReport) => r.models[0].window.accuracy + r.models[0].latencyNs.window.p99);
// @ts-expect-error an alert is not a report
engine.on('alert', (r: ModelReport) => r.models);

// A prom-client Registry, or its default register, is a registry.
const metrics = registerMetrics(engine, new Registry(), { prefix: 'bot_', scorer });
registerMetrics(engine, register);
metrics.close();
// @ts-expect-error a registry is required
registerMetrics(engine);

createAlerts(engine, { scorer, rules: [{ metric: 'accuracy', below: 0.4, clearAbove: 0.45, for: 3 }, { metric: 'driftPsi', above: 0.2, feature: 'size' }] });
// @ts-expect-error not a metric
createAlerts(engine, { rules: [{ metric: 'p99', above: 1 }] });
// @ts-expect-error tick is required
createScorer(engine, { horizon: { events: 2 } });

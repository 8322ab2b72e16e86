// createAlerts (lib/ops/alerts.ts): rules with hysteresis fire once when their value stays past the
// threshold for `for` windows, do not flap while it wanders around that threshold, and resolve only
// past the clear threshold; each event carries the value and the threshold crossed. Checked on
// latency windows of known p99, the online accuracy of a stream with known outcomes, a real
// stream's drop rate (against its own counters) and drift (against engine.featureDrift()), the
// timer, and refused rules.
import { describe, expect, it } from 'vitest';

import { DepthModel, createAlerts, createEngine, createScorer, exampleModelPath } from '../dist/index.js';
import type { AlertEvent, Engine, PredictionEvent } from '../dist/index.js';
import { snapshotBook } from './helpers/depth-books';
import { refused } from './helpers/errors';

const base = {
  symbol: 'X', ts: 0, mid: 100, queueNs: 0, computeNs: 0, probs: [0.1, 0.1, 0.8], logits: [0, 0, 0], direction: 'up',
  confidence: 0.8, magnitude: 0, volatility: 0, levelsUsed: 1, modelId: 'm', modelName: undefined, model: 'primary',
} as unknown as PredictionEvent;

// One window whose predictions all took `ms`: its p99 is `ms` (to the HDR histogram's 3 digits).
function latencyWindow(engine: Engine, ms: number, seq: { n: number }): void {
  for (let k = 0; k < 50; k++) engine.emit('prediction', { ...base, seq: seq.n, ts: seq.n++, latencyNs: ms * 1e6 });
}

function states(events: AlertEvent[]): string[] {
  return events.map((e) => `${e.rule}:${e.state}`);
}

describe('createAlerts', () => {
  it('fires after `for` windows past the threshold, resolves only under clearBelow, and does not flap', () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const alerts = createAlerts(engine, {
      intervalMs: 0,
      rules: [
        { name: 'slow', metric: 'latencyP99Ms', above: 5, clearBelow: 2, for: 2 },
        { name: 'flappy', metric: 'latencyP99Ms', above: 5 }, // no hysteresis, for comparison
      ],
    });
    const onEngine: AlertEvent[] = [];
    engine.on('alert', (a) => onEngine.push(a));
    const seq = { n: 0 };
    const p99s = [1, 6, 1, 6, 6, 4, 6, 3, 5.5, 4.8, 5.2, 4.9, 1, 1, 6, 6];
    const byWindow = p99s.map((ms) => {
      latencyWindow(engine, ms, seq);
      return alerts.evaluate();
    });
    const slow = byWindow.map((w) => w.filter((e) => e.rule === 'slow'));
    // Window 5 (index 4) is the second in a row above 5: it fires there, once, though the p99
    // crosses 5 six more times before it drops under 2 at index 12.
    expect(slow.map((w) => w.map((e) => e.state).join())).toEqual(['', '', '', '', 'firing', '', '', '', '', '', '', '', 'resolved', '', '', 'firing']);
    const [fired] = slow[4];
    expect(fired).toMatchObject({ rule: 'slow', state: 'firing', metric: 'latencyP99Ms', threshold: 5, windows: 2 });
    expect(fired.value).toBeCloseTo(6, 2);
    expect(slow[12][0]).toMatchObject({ state: 'resolved', threshold: 2, windows: 1 });
    expect(slow[12][0].value).toBeCloseTo(1, 2);
    // The same values without hysteresis: a change at every crossing of 5.
    const flappy = byWindow.map((w) => w.filter((e) => e.rule === 'flappy').length);
    const crossings = p99s.filter((v, k) => (v > 5) !== ((k === 0 ? 0 : p99s[k - 1]) > 5)).length;
    expect(flappy.reduce((a, b) => a + b, 0)).toBe(crossings);
    expect(crossings).toBeGreaterThan(8);
    // Every event went to the engine too, in order; active() names the rules firing now.
    expect(states(onEngine)).toEqual(states(byWindow.flat()));
    expect(alerts.active()).toEqual(['slow', 'flappy']);
    // A window with no predictions has no value: it changes nothing.
    expect(alerts.evaluate()).toEqual([]);
    expect(alerts.active()).toEqual(['slow', 'flappy']);
    alerts.close();
    engine.close();
  });

  it('watches the online accuracy of a model, once its window holds minPredictions', () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const scorer = createScorer(engine, { tick: 1, horizon: { events: 1 }, window: 200, intervalMs: 0 });
    const alerts = createAlerts(engine, { scorer, intervalMs: 0, rules: [{ metric: 'accuracy', below: 0.5, clearAbove: 0.7, for: 2, minPredictions: 150 }] });
    // Every prediction says 'up'; the mid rises (the model is right) or falls (wrong) one tick.
    let mid = 100, n = 0;
    const feed = (count: number, right: boolean) => {
      for (let k = 0; k < count; k++) {
        engine.emit('prediction', { ...base, seq: n, ts: n++, mid, latencyNs: 1000 });
        mid += right ? 1 : -1;
      }
    };
    const accuracy = () => scorer.modelReport().models[0].window.accuracy;
    feed(101, true);
    expect(alerts.evaluate()).toEqual([]); // 100 scored: under minPredictions
    feed(300, false);
    expect(alerts.evaluate()).toEqual([]); // accuracy 0, the first window
    feed(10, false);
    const [fired] = alerts.evaluate();
    expect(fired).toMatchObject({ rule: 'accuracy:primary', state: 'firing', metric: 'accuracy', model: 'primary', value: 0, threshold: 0.5, windows: 2 });
    feed(121, true); // 120 of the last 200 scored right (the last book waits for its label): 0.6, above 0.5, not above 0.7
    expect(accuracy()).toBeCloseTo(0.6, 12);
    expect(alerts.evaluate()).toEqual([]);
    feed(40, true);
    const [resolved] = alerts.evaluate();
    expect(resolved).toMatchObject({ state: 'resolved', threshold: 0.7, windows: 1 });
    expect(resolved.value).toBeCloseTo(accuracy(), 12);
    expect(resolved.value).toBeCloseTo(0.8, 12);
    alerts.close();
    scorer.close();
    engine.close();
  });

  it("reads a real stream's drop rate from its counters, and drift from engine.featureDrift()", async () => {
    const sim = new DepthModel().simulate({ paths: 1, seed: 4, duration: 20, interval: 0.05, levels: 20 });
    const book = (i: number) => snapshotBook(sim, i);
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const alerts = createAlerts(engine, { intervalMs: 0, rules: [{ metric: 'dropRate', above: 0.5, clearBelow: 0.1 }, { metric: 'driftPsi', above: 0 }] });
    const idle = async () => {
      while (engine.streamStats()!.pending > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    };
    // One book at a time: nothing is dropped.
    for (let i = 0; i < 40; i++) {
      engine.submit('A', book(i));
      await idle();
    }
    let stats = engine.streamStats()!;
    expect(stats.dropped.total).toBe(0);
    const first = alerts.evaluate();
    expect(first.map((e) => e.metric)).toEqual(['driftPsi']);
    const drift = engine.featureDrift()!;
    expect(first[0].value).toBe(Math.max(...drift.map((d) => d.psi)));
    // A burst of one symbol's books: all but the few the thread takes are superseded.
    const before = stats;
    for (let i = 40; i < 340; i++) engine.submit('A', book(i));
    await idle();
    await new Promise((resolve) => setImmediate(resolve));
    stats = engine.streamStats()!;
    const rate = (stats.dropped.total - before.dropped.total) / (stats.submitted - before.submitted);
    expect(rate).toBeGreaterThan(0.5);
    const burst = alerts.evaluate();
    expect(burst.map((e) => [e.metric, e.state])).toEqual([['dropRate', 'firing']]);
    expect(burst[0].value).toBeCloseTo(rate, 15);
    // Quiet again: it resolves.
    for (let i = 340; i < 360; i++) {
      engine.submit('A', book(i));
      await idle();
    }
    expect(alerts.evaluate().map((e) => [e.metric, e.state, e.value])).toEqual([['dropRate', 'resolved', 0]]);
    alerts.close();
    await engine.close();
  });

  it('evaluates every intervalMs on its own, until closed', async () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const alerts = createAlerts(engine, { intervalMs: 100, rules: [{ metric: 'latencyP99Ms', above: 1 }] });
    const seen: AlertEvent[] = [];
    engine.on('alert', (a) => seen.push(a));
    latencyWindow(engine, 3, { n: 0 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(states(seen)).toEqual(['latencyP99Ms:firing']);
    alerts.close();
    engine.close();
  });

  it('refuses bad rules, naming the field', () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const make = (rules: unknown, extra: object = {}) => () => createAlerts(engine, { rules, intervalMs: 0, ...extra } as never);
    refused(make([]), 'ERR_INVALID_OPTION', /rules must be a non-empty array/);
    refused(make([{ metric: 'latency', above: 1 }]), 'ERR_INVALID_OPTION', /rules\[0\]\.metric must be one of latencyP99Ms, .*got "latency"/);
    refused(make([{ metric: 'dropRate' }]), 'ERR_INVALID_OPTION', /rules\[0\] needs exactly one of above and below/);
    refused(make([{ metric: 'dropRate', above: 0.1, below: 0.2 }]), 'ERR_INVALID_OPTION', /exactly one of above and below/);
    refused(make([{ metric: 'dropRate', above: 0.1, clearBelow: 0.2 }]), 'ERR_INVALID_OPTION', /rules\[0\]\.clearBelow must be at most above \(0\.1\), got 0\.2/);
    refused(make([{ metric: 'dropRate', above: 0.1, clearAbove: 0 }]), 'ERR_INVALID_OPTION', /clearAbove goes with below/);
    refused(make([{ metric: 'dropRate', above: Number.NaN }]), 'ERR_INVALID_OPTION', /rules\[0\]\.above must be a finite number, got NaN/);
    refused(make([{ metric: 'dropRate', above: 0.1, for: 0 }]), 'ERR_INVALID_OPTION', /rules\[0\]\.for must be an integer in \[1, 1000\], got 0/);
    refused(make([{ metric: 'accuracy', below: 0.4 }]), 'ERR_INVALID_OPTION', /pass createAlerts a scorer/);
    refused(make([{ metric: 'dropRate', above: 0.1, model: 'B' }]), 'ERR_INVALID_OPTION', /model applies to latencyP99Ms, accuracy and logLoss/);
    refused(make([{ metric: 'dropRate', above: 0.1, feature: 'size' }]), 'ERR_INVALID_OPTION', /feature applies to driftPsi/);
    refused(make([{ metric: 'dropRate', above: 0.1, threshold: 1 }]), 'ERR_INVALID_OPTION', /unknown rules\[0\] key "threshold"/);
    refused(make([{ metric: 'dropRate', above: 0.1 }, { metric: 'dropRate', above: 0.2 }]), 'ERR_INVALID_OPTION', /two rules are named "dropRate"/);
    refused(make([{ metric: 'dropRate', above: 0.1 }], { intervalMs: 5 }), 'ERR_INVALID_OPTION', /intervalMs must be 0 .* or at least 100, got 5/);
    expect(engine.listenerCount('prediction')).toBe(0);
    refused(() => createAlerts(null as never, { rules: [{ metric: 'dropRate', above: 0.1 }] }), 'ERR_INVALID_ARGUMENT', /createAlerts's engine must be an engine from createEngine\(\), got null/);
    engine.close();
    refused(make([{ metric: 'dropRate', above: 0.1 }]), 'ERR_ENGINE_CLOSED', /createAlerts: the engine is closed/);
  });
});

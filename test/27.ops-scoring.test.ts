// Online scoring (lib/ops/scorer.ts): each model's predictions labelled from the symbol's later
// books, with labelBooks' definitions, and scored per model. Checked against the same scores
// computed plainly here from the same predictions and labelBooks' labels of the same books
// (DepthModel books through the shipped model, a shadow from another model), a synthetic stream
// with known outcomes (a calibrated model's scores against their expectations, within 4 standard
// errors), the reliability table, the sliding window, shadows that answer early or late, and
// refused options.
import { describe, expect, it } from 'vitest';

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { DepthModel, createEngine, createScorer, exampleModelPath, labelBooks } from '../dist/index.js';
import type { Engine, ModelReport, PredictionEvent, Scores } from '../dist/index.js';
import { snapshotBook } from './helpers/depth-books';
import { refused } from './helpers/errors';
import { modelPath } from './helpers/fixtures';
import { mulberry32 } from './helpers/reference-model';
import { readSafetensors, writeSafetensors } from './helpers/safetensors';

const TICK = 0.01;
const DIRS = ['down', 'flat', 'up'] as const;
type Event = PredictionEvent & { mid: number; model: string };

// The scores of (probs, predicted, label) triples, plainly (definitions of docs/model-ops.md).
function plainScores(rows: { probs: number[]; predicted: number; label: number }[], bins: number) {
  const n = rows.length;
  const confusion = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  let correct = 0, logLoss = 0, brier = 0;
  const rel = new Map<string, { books: number; sum: number; hits: number }>();
  for (const r of rows) {
    if (r.predicted === r.label) correct++;
    logLoss += -Math.log(Math.max(r.probs[r.label], 1e-12));
    for (let c = 0; c < 3; c++) {
      brier += (r.probs[c] - (c === r.label ? 1 : 0)) ** 2;
      const b = Math.min(bins - 1, Math.floor(r.probs[c] * bins));
      const key = `${c}:${b}`;
      const cell = rel.get(key) ?? { books: 0, sum: 0, hits: 0 };
      cell.books++;
      cell.sum += r.probs[c];
      if (r.label === c) cell.hits++;
      rel.set(key, cell);
    }
    confusion[r.label][r.predicted]++;
  }
  const reliability = [...rel.entries()]
    .map(([key, v]) => {
      const [c, b] = key.split(':').map(Number);
      return { class: DIRS[c], bin: [b / bins, (b + 1) / bins], books: v.books, predicted: v.sum / v.books, observed: v.hits / v.books, order: c * bins + b };
    })
    .sort((x, y) => x.order - y.order)
    .map(({ order: _, ...rest }) => rest);
  return { predictions: n, accuracy: correct / n, logLoss: logLoss / n, brier: brier / n, confusion, reliability };
}

function expectScores(got: Scores, want: ReturnType<typeof plainScores>): void {
  expect(got.predictions).toBe(want.predictions);
  expect(got.accuracy).toBeCloseTo(want.accuracy, 12);
  expect(got.logLoss).toBeCloseTo(want.logLoss, 10);
  expect(got.brier).toBeCloseTo(want.brier, 10);
  expect(got.confusion).toEqual(want.confusion);
  expect(got.reliability.length).toBe(want.reliability.length);
  got.reliability.forEach((b, k) => {
    const w = want.reliability[k];
    expect([b.class, b.books]).toEqual([w.class, w.books]);
    expect(b.bin[0]).toBeCloseTo(w.bin[0], 15);
    expect(b.predicted).toBeCloseTo(w.predicted, 12);
    expect(b.observed).toBeCloseTo(w.observed, 12);
  });
}

// Each book's direction label, plainly from docs/depth.md#labels: the mid of the symbol's last book
// at or before t + h (a later book past t + h must exist), or of its N-th next book; -1 when unknown.
function plainLabels(time: ArrayLike<number>, mid: (i: number) => number, symbol: string[], horizon: { seconds: number } | { events: number }): number[] {
  const out: number[] = [];
  for (let i = 0; i < symbol.length; i++) {
    const rows = [...symbol.keys()].filter((r) => symbol[r] === symbol[i]).sort((a, b) => time[a] - time[b] || a - b);
    const k = rows.indexOf(i);
    let j: number | undefined;
    if ('events' in horizon) j = rows[k + horizon.events];
    else if (rows.some((r) => time[r] > time[i] + horizon.seconds)) j = rows.filter((r) => time[r] <= time[i] + horizon.seconds).pop();
    if (j === undefined) out.push(-1);
    else {
      // Mids in ticks, snapped to the half-tick grid within 1e-6 ticks (docs/dataset.md#labels).
      const ticks = (x: number) => (Math.abs(x / TICK - Math.round((2 * x) / TICK) / 2) < 1e-6 ? Math.round((2 * x) / TICK) / 2 : x / TICK);
      const move = ticks(mid(j)) - ticks(mid(i));
      out.push(move > 0 ? 2 : move < 0 ? 0 : 1);
    }
  }
  return out;
}

// Nearest-rank percentile, plainly.
function rank(values: number[], q: number): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.max(0, Math.ceil(q * v.length) - 1)];
}

function event(engine: Engine, symbol: string, seq: number, ts: number, mid: number, book: Parameters<Engine['predict']>[0], model: string, latencyNs: number): Event {
  const p = engine.predict(book);
  return {
    symbol, seq, ts, mid, model, latencyNs, queueNs: 0, computeNs: 0,
    direction: p.direction, probs: [...p.probs] as Event['probs'], logits: [...p.logits] as Event['logits'], confidence: p.confidence,
    magnitude: p.magnitude, volatility: p.volatility, levelsUsed: p.levelsUsed, modelId: p.modelId, modelName: p.modelName,
  };
}

describe('createScorer on DepthModel books', () => {
  const sim = new DepthModel().simulate({ paths: 3, seed: 17, duration: 40, interval: 0.1, levels: 20 });
  const L = sim.levels;
  const symbols = Array.from(sim.path, (p) => `S${p}`);
  const book = (i: number) => snapshotBook(sim, i);
  // The mid as labelBooks takes it from the book (DepthModel's own mid may differ in the last bit).
  const mid = (i: number) => 0.5 * (sim.columns[i * 4 * L] + sim.columns[i * 4 * L + 2 * L]);
  // Books interleaved across the three paths (symbols) in time order, as a live feed delivers them.
  const order = Array.from({ length: sim.length }, (_, i) => i).sort((a, b) => sim.time[a] - sim.time[b] || a - b);

  for (const horizon of [{ seconds: 1 }, { events: 3 }] as const) {
    it(`scores each model as computed plainly from labelBooks' labels (horizon ${JSON.stringify(horizon)})`, () => {
      const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
      const shadowEngine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
      const scorer = createScorer(engine, { tick: TICK, horizon, window: 1_000_000, intervalMs: 0 });
      const labels = labelBooks({ levels: L, length: sim.length, columns: sim.columns, counts: sim.counts, time: sim.time, symbol: symbols }, { tick: TICK, horizon });
      expect(Array.from(labels.direction)).toEqual(plainLabels(sim.time, mid, symbols, horizon));
      const rand = mulberry32(5);
      const primary: { probs: number[]; predicted: number; label: number }[] = [];
      const shadow: typeof primary = [];
      const latencies: number[] = [];
      let same = 0, both = 0;
      const late: Event[] = [];
      order.forEach((i, seq) => {
        const t = sim.time[i] * 1000;
        const main = event(engine, symbols[i], seq, t, mid(i), book(i), 'primary', 1000 + Math.floor(rand() * 1e5));
        const cand = event(shadowEngine, symbols[i], seq, t, mid(i), book(i), 'cand', 500);
        latencies.push(main.latencyNs);
        // A third of the shadows answer before the book's own event, a third after it, a third
        // after the book's label is known.
        const when = seq % 3;
        if (when === 0) engine.emit('shadow', cand);
        engine.emit('prediction', main);
        if (when === 1) engine.emit('shadow', cand);
        if (when === 2) late.push(cand);
        if (late.length > 0 && (when === 0 || seq === order.length - 1)) for (const e of late.splice(0)) engine.emit('shadow', e);
        both++;
        if (main.direction === cand.direction) same++;
        if (labels.direction[i] < 0) return;
        primary.push({ probs: main.probs, predicted: DIRS.indexOf(main.direction), label: labels.direction[i] });
        shadow.push({ probs: cand.probs, predicted: DIRS.indexOf(cand.direction), label: labels.direction[i] });
      });
      const report: ModelReport = scorer.modelReport();
      // engine.modelReport() reads the scorer attached to the engine: the same scores.
      expect({ ...engine.modelReport(), at: report.at }).toEqual(report);
      // In order of first prediction: the first shadow answered before the first book's event.
      expect(report.models.map((m) => m.model)).toEqual(['cand', 'primary']);
      const [s, p] = report.models;
      expect(p.modelId).toBe(engine.info.modelId);
      expect(s.modelId).toBe(shadowEngine.info.modelId);
      expect(p.predictions).toBe(order.length);
      expect(p.waiting).toBe(order.length - primary.length);
      expect(primary.length).toBeGreaterThan(1100);
      expectScores(p.sinceStart, plainScores(primary, 10));
      expectScores(p.window, plainScores(primary, 10));
      expectScores(s.sinceStart, plainScores(shadow, 10));
      expect(report.unscored).toEqual({ abandoned: 0, unmatched: 0, outOfOrder: 0 });
      const agreement = report.agreement.find((a) => a.model === 'primary' && a.with === 'cand')!;
      expect(agreement.sinceStart.books).toBe(both);
      expect(agreement.sinceStart.agreement).toBeCloseTo(same / both, 12);
      // Latency: the window exactly (nearest rank), since start through the HDR histogram (3 digits).
      expect(p.latencyNs.window.p99).toBe(rank(latencies, 0.99));
      expect(p.latencyNs.window.p50).toBe(rank(latencies, 0.5));
      expect(Math.abs(p.latencyNs.sinceStart.p90 - rank(latencies, 0.9)) / rank(latencies, 0.9)).toBeLessThan(0.01);
      scorer.close();
      engine.close();
      shadowEngine.close();
    });
  }

  it('keeps the window to the last `window` scored predictions of each model', () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const scorer = createScorer(engine, { tick: TICK, horizon: { events: 1 }, window: 200, intervalMs: 0 });
    const one = order.filter((i) => symbols[i] === 'S0');
    const rows: { probs: number[]; predicted: number; label: number }[] = [];
    one.forEach((i, k) => {
      const e = event(engine, 'S0', k, sim.time[i] * 1000, mid(i), book(i), 'primary', 1000);
      scorer.prediction(e);
      if (k + 1 < one.length) {
        const move = (mid(one[k + 1]) - mid(i)) / TICK;
        rows.push({ probs: e.probs, predicted: DIRS.indexOf(e.direction), label: move > 0 ? 2 : move < 0 ? 0 : 1 });
      }
    });
    const [m] = scorer.modelReport().models;
    expectScores(m.sinceStart, plainScores(rows, 10));
    expectScores(m.window, plainScores(rows.slice(-200), 10));
    engine.close();
  });
});

describe('createScorer on a live stream', () => {
  it("scores the primary, B and a shadow from the stream's own events as computed plainly from them", async () => {
    const sim = new DepthModel().simulate({ paths: 6, seed: 23, duration: 20, interval: 0.05, levels: 20 });
    const perPath = sim.length / 6;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-score-'));
    fs.copyFileSync(exampleModelPath, path.join(dir, 'a.safetensors'));
    const file = readSafetensors(path.join(dir, 'a.safetensors'));
    file.metadata = { ...file.metadata, name: 'candidate-b' };
    const bModel = writeSafetensors(file);
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu', stream: { split: { B: 0.5 }, statsIntervalMs: 0 } });
    const horizon = { events: 2 } as const;
    const scorer = createScorer(engine, { tick: TICK, horizon, intervalMs: 0 });
    const main: Event[] = [];
    const shadows: Event[] = [];
    engine.on('prediction', (e) => main.push(e as Event));
    engine.on('shadow', (e) => shadows.push(e as Event));
    await engine.swapModel(bModel, { slot: 'B' });
    await engine.addShadow(modelPath('pooled'), { name: 'cand' });
    for (let j = 0; j < perPath; j++) {
      for (let p = 0; p < 6; p++) {
        const i = p * perPath + j;
        engine.submit(`S${p}`, snapshotBook(sim, i), { ts: sim.time[i] * 1000 });
      }
      if (j % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    while (engine.streamStats()!.pending > 0 || engine.shadowStats().some((s) => s.pending > 0)) await new Promise((resolve) => setTimeout(resolve, 5));
    const report = scorer.modelReport();
    // Plainly: each main event's label from the later main events of its symbol.
    const labels = plainLabels(main.map((e) => e.ts), (k) => main[k].mid, main.map((e) => e.symbol), horizon);
    const bySeq = new Map(main.map((e, k) => [`${e.symbol}:${e.seq}`, k]));
    const rows = (events: Event[], model: string) => events.filter((e) => e.model === model).flatMap((e) => {
      const label = labels[bySeq.get(`${e.symbol}:${e.seq}`)!];
      return label < 0 ? [] : [{ probs: e.probs, predicted: DIRS.indexOf(e.direction), label }];
    });
    expect(new Set(main.map((e) => e.model))).toEqual(new Set(['primary', 'B']));
    expect(shadows.length).toBeGreaterThan(300);
    expect(shadows.every((e) => bySeq.has(`${e.symbol}:${e.seq}`))).toBe(true);
    for (const [model, events] of [['primary', main], ['B', main], ['cand', shadows]] as const) {
      const m = report.models.find((x) => x.model === model)!;
      expect(m.modelId).toBe(events.find((e) => e.model === model)!.modelId);
      expect(m.predictions).toBe(events.filter((e) => e.model === model).length);
      expectScores(m.sinceStart, plainScores(rows(events, model), 10));
    }
    expect(report.models.find((m) => m.model === 'B')!.modelName).toBe('candidate-b');
    expect(report.unscored).toEqual({ abandoned: 0, unmatched: 0, outOfOrder: 0 });
    // Agreement: each shadow answer against the answer of the book's own model.
    for (const model of ['primary', 'B']) {
      const pairs = shadows.map((s) => [main[bySeq.get(`${s.symbol}:${s.seq}`)!], s]).filter(([m]) => m.model === model);
      const a = report.agreement.find((x) => x.model === model && x.with === 'cand')!;
      expect(a.sinceStart.books).toBe(pairs.length);
      expect(a.sinceStart.agreement).toBeCloseTo(pairs.filter(([m, s]) => m.direction === s.direction).length / pairs.length, 12);
    }
    scorer.close();
    await engine.close();
  });
});

describe('createScorer on a synthetic stream with known outcomes', () => {
  // Book k's label is drawn from its own predicted probabilities (a calibrated model), and the mid
  // path is built to give that label one book later (horizon { events: 1 }, flat band 0).
  function stream(n: number, seed: number, calibrated: boolean) {
    const rand = mulberry32(seed);
    const rows: { probs: number[]; label: number }[] = [];
    for (let k = 0; k < n; k++) {
      const g = [rand() + 0.05, rand() ** 2 + 0.05, rand() + 0.05];
      const sum = g[0] + g[1] + g[2];
      const probs = g.map((x) => x / sum);
      const u = rand();
      const label = calibrated ? (u < probs[0] ? 0 : u < probs[0] + probs[1] ? 1 : 2) : Math.floor(u * 3);
      rows.push({ probs, label });
    }
    return rows;
  }

  function run(rows: { probs: number[]; label: number }[], bins: number) {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const scorer = createScorer(engine, { tick: 0.5, horizon: { events: 1 }, window: 1000, bins, intervalMs: 0 });
    let mid = 100;
    rows.forEach((r, k) => {
      const predicted = r.probs.indexOf(Math.max(...r.probs));
      engine.emit('prediction', {
        symbol: 'X', seq: k, ts: k, mid, model: 'primary', latencyNs: 1, queueNs: 0, computeNs: 0, direction: DIRS[predicted],
        probs: r.probs as Event['probs'], logits: [0, 0, 0], confidence: r.probs[predicted], magnitude: 0, volatility: 0, levelsUsed: 1,
        modelId: 'synthetic', modelName: undefined,
      } as Event);
      mid += 0.5 * (r.label - 1);
    });
    const report = scorer.modelReport();
    engine.close();
    return report.models[0].sinceStart;
  }

  it('scores a calibrated model at its expected log-loss, Brier score and accuracy, with a reliable table', () => {
    const n = 40_000;
    const rows = stream(n + 1, 99, true);
    const s = run(rows, 10);
    expect(s.predictions).toBe(n); // the last book's label is never known
    // Expectations of each score under the model's own probabilities, with their standard errors.
    const scored = rows.slice(0, n);
    const moments = (f: (p: number[], y: number) => number) => {
      let mean = 0, sq = 0;
      for (const r of scored) {
        const e = [0, 1, 2].reduce((a, y) => a + r.probs[y] * f(r.probs, y), 0);
        const e2 = [0, 1, 2].reduce((a, y) => a + r.probs[y] * f(r.probs, y) ** 2, 0);
        mean += e;
        sq += e2 - e * e;
      }
      return { mean: mean / n, se: Math.sqrt(sq) / n };
    };
    const logLoss = moments((p, y) => -Math.log(p[y]));
    const brier = moments((p, y) => p.reduce((a, q, c) => a + (q - (c === y ? 1 : 0)) ** 2, 0));
    const accuracy = moments((p, y) => (y === p.indexOf(Math.max(...p)) ? 1 : 0));
    expect(Math.abs(s.logLoss - logLoss.mean)).toBeLessThan(4 * logLoss.se);
    expect(Math.abs(s.brier - brier.mean)).toBeLessThan(4 * brier.se);
    expect(Math.abs(s.accuracy - accuracy.mean)).toBeLessThan(4 * accuracy.se);
    // Every well-filled bin: observed frequency within 4 standard errors of the mean prediction.
    const full = s.reliability.filter((b) => b.books >= 200);
    expect(full.length).toBeGreaterThan(15);
    for (const b of full) expect(Math.abs(b.observed - b.predicted)).toBeLessThan(4 * Math.sqrt(b.predicted * (1 - b.predicted) / b.books) + 0.05 / 10);
  });

  it('shows a model that ignores the outcome as miscalibrated', () => {
    const s = run(stream(20_001, 7, false), 10);
    // Labels uniform whatever the probabilities: every bin's observed frequency is near 1/3.
    const off = s.reliability.filter((b) => b.books >= 200 && Math.abs(b.predicted - 1 / 3) > 0.2);
    expect(off.length).toBeGreaterThan(4);
    for (const b of off) expect(Math.abs(b.observed - 1 / 3)).toBeLessThan(4 * Math.sqrt((2 / 9) / b.books));
  });
});

describe('createScorer bookkeeping', () => {
  it('keeps one entry per model id (a swap starts a new one) and bounds the books waiting', () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const scorer = createScorer(engine, { tick: 1, horizon: { seconds: 1000 }, maxWaitingBooks: 50, intervalMs: 0 });
    const base = { probs: [0.2, 0.3, 0.5], logits: [0, 0, 0], direction: 'up', latencyNs: 10, queueNs: 0, computeNs: 0, confidence: 0.5, magnitude: 0, volatility: 0, levelsUsed: 1, modelName: undefined, model: 'primary', symbol: 'X' };
    for (let k = 0; k < 300; k++) scorer.prediction({ ...base, seq: k, ts: k, mid: 100 + (k % 2), modelId: k < 100 ? 'A' : 'B' } as Event);
    // Out of order: a book older than the symbol's last is not scored.
    scorer.prediction({ ...base, seq: 300, ts: 5, mid: 100, modelId: 'B' } as Event);
    const r = scorer.modelReport();
    expect(r.models.map((m) => [m.modelId, m.predictions])).toEqual([['A', 100], ['B', 201]]);
    expect(r.models.reduce((a, m) => a + m.waiting, 0)).toBe(50);
    expect(r.unscored).toEqual({ abandoned: 250, unmatched: 0, outOfOrder: 1 });
    // At most 64 entries: past them the least recently active goes (A and B, then the oldest ids).
    for (let k = 0; k < 70; k++) scorer.prediction({ ...base, seq: 400 + k, ts: 400 + k, mid: 100, modelId: `m${k}` } as Event);
    const ids = scorer.modelReport().models.map((m) => m.modelId);
    expect(ids).toEqual(Array.from({ length: 64 }, (_, k) => `m${k + 6}`));
    engine.close();
  });

  it("emits 'modelReport' on the engine every intervalMs until closed", async () => {
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    const scorer = createScorer(engine, { tick: 0.01, intervalMs: 100 });
    const reports: ModelReport[] = [];
    engine.on('modelReport', (r) => reports.push(r));
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports[0].horizon).toEqual({ seconds: 0.1 });
    scorer.close();
    const seen = reports.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(reports.length).toBe(seen);
    engine.close();
  });

  it('refuses bad options, naming the field', () => {
    const bare = createEngine({ model: exampleModelPath, backend: 'cpu' });
    expect(() => bare.modelReport()).toThrow(/engine.modelReport\(\) needs a scorer on this engine: createScorer/);
    bare.close();
    const engine = createEngine({ model: exampleModelPath, backend: 'cpu' });
    refused(() => createScorer(engine, undefined as never), 'ERR_INVALID_OPTION', /scorer options must be an object/);
    refused(() => createScorer(engine, {} as never), 'ERR_INVALID_OPTION', /tick must be a finite number > 0, got undefined/);
    refused(() => createScorer(engine, { tick: 0.01, window: 0 }), 'ERR_INVALID_OPTION', /window must be an integer in \[1, 1000000\], got 0/);
    refused(() => createScorer(engine, { tick: 0.01, bins: 1.5 }), 'ERR_INVALID_OPTION', /bins/);
    refused(() => createScorer(engine, { tick: 0.01, intervalMs: 50 }), 'ERR_INVALID_OPTION', /intervalMs must be 0 \(off\) or at least 100, got 50/);
    refused(() => createScorer(engine, { tick: 0.01, horizon: { seconds: 1, events: 2 } as never }), 'ERR_INVALID_OPTION', /horizon must be \{ seconds \} or \{ events \}/);
    refused(() => createScorer(engine, { tick: 0.01, horizon: null as never }), 'ERR_INVALID_OPTION', /horizon/);
    refused(() => createScorer(engine, { tick: 0.01, windw: 5 } as never), 'ERR_INVALID_OPTION', /unknown scorer option "windw"/);
    expect(engine.listenerCount('prediction')).toBe(0);
    refused(() => createScorer({} as never, { tick: 0.01 }), 'ERR_INVALID_ARGUMENT', /createScorer's engine must be an engine from createEngine\(\), got an object/);
    engine.close();
    refused(() => createScorer(engine, { tick: 0.01 }), 'ERR_ENGINE_CLOSED', /createScorer: the engine is closed/);
  });
});

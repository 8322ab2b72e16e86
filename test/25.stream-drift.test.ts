// Input drift: the stream thread keeps per node-feature histograms of the books it predicts, over
// a sliding window, and featureDrift() compares them with the training distribution in the
// model's metadata (feature_stats). Checked against PSI and KS computed here, plainly, from the
// same books' features (engine.features()) binned with the same edges; ~0 for books drawn like the
// training set, large for shifted ones.
import * as fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { createEngine } from '../dist/index.js';
import type { Engine, FeatureDrift } from '../dist/index.js';
import { refusal } from './helpers/errors';
import { modelPath } from './helpers/fixtures';
import { randomBook } from './helpers/reference-model';
import { readSafetensors, writeSafetensors } from './helpers/safetensors';

const NAMES = ['is_bid', 'log1p_volume', 'distance_from_mid', 'order_flow', 'level_frac', 'inv_rank', 'volume_share', 'reserved'];
const F = 8;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const plain = createEngine({ model: modelPath('pooled'), backend: 'cpu' });

type Book = { bids: number[][]; asks: number[][] };
const draw = (seed: number, sizeScale = 1): Book => {
  const b = randomBook(20, 20, seed);
  const scale = (side: number[][]) => side.map(([p, s]) => [p, s * sizeScale]);
  return { bids: scale(b.bids), asks: scale(b.asks) };
};

// Feature f's values over the nodes of `books`.
function values(books: Book[], f: number): number[] {
  const out: number[] = [];
  for (const b of books) {
    const x = plain.features(b);
    for (let n = 0; n < x.length / F; n++) out.push(x[n * F + f]);
  }
  return out;
}

// Bin b holds (edges[b - 1], edges[b]].
function binOf(edges: number[], x: number): number {
  let b = 0;
  while (b < edges.length && edges[b] < x) b++;
  return b;
}

function fractions(xs: number[], edges: number[]): number[] {
  const counts = new Array(edges.length + 1).fill(0);
  for (const x of xs) counts[binOf(edges, x)]++;
  return counts.map((c) => c / xs.length);
}

function psiOf(actual: number[], expected: number[]): number {
  let psi = 0;
  for (let b = 0; b < actual.length; b++) {
    const a = Math.max(actual[b], 1e-4), e = Math.max(expected[b], 1e-4);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

function ksOf(actual: number[], expected: number[]): number {
  let ks = 0, ca = 0, ce = 0;
  for (let b = 0; b < actual.length - 1; b++) {
    ca += actual[b];
    ce += expected[b];
    ks = Math.max(ks, Math.abs(ca - ce));
  }
  return ks;
}

const normalCdf = (z: number) => {
  // Abramowitz-Stegun 7.1.26 is too coarse for 1e-9; integrate the density instead (Simpson, fine grid).
  const n = 20000, lo = -12;
  if (z <= lo) return 0;
  const h = (z - lo) / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const x = lo + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    sum += w * Math.exp(-x * x / 2);
  }
  return (sum * h) / 3 / Math.sqrt(2 * Math.PI);
};

// The training sample and its reference: quantiles for the continuous features, histograms for
// the discrete ones; order_flow and reserved (always 0 here) are left out.
const training = Array.from({ length: 1500 }, (_, i) => draw(1 + i));
const PROBS = Array.from({ length: 9 }, (_, i) => (i + 1) / 10);
type Ref = { edges: number[]; expected: number[]; bins: FeatureDrift['bins'] };
const refs = new Map<string, Ref>();
const stats: Record<string, unknown> = {};
for (const f of [0, 1, 2, 4, 5, 6]) {
  const xs = values(training, f).sort((a, b) => a - b);
  if (f === 1 || f === 6) {
    const q = PROBS.map((p) => xs[Math.floor(p * (xs.length - 1))]);
    stats[NAMES[f]] = { quantiles: q, quantile_probs: PROBS };
    refs.set(NAMES[f], { edges: q, expected: [PROBS[0], ...PROBS.slice(1).map((p, i) => p - PROBS[i]), 1 - PROBS.at(-1)!], bins: 'quantiles' });
  } else {
    const unique = [...new Set(xs)];
    const edges = f === 0 ? [0.5] : f === 2 ? PROBS.map((p) => xs[Math.floor(p * (xs.length - 1))]).filter((v, i, a) => i === 0 || v > a[i - 1]) : unique.slice(0, -1);
    const expected = fractions(xs, edges);
    stats[NAMES[f]] = { histogram: { edges, fractions: expected } };
    refs.set(NAMES[f], { edges, expected, bins: 'histogram' });
  }
}

function withStats(featureStats: unknown): Uint8Array {
  const file = readSafetensors(modelPath('pooled'));
  file.metadata = { ...file.metadata, feature_stats: JSON.stringify(featureStats) };
  return writeSafetensors(file);
}

// Streams `books` (a symbol each, so none is superseded) and returns the drift report and the
// books predicted, in event order (the order the thread added them).
async function stream(engine: Engine, books: Book[]): Promise<{ report: FeatureDrift[]; seen: Book[] }> {
  const bySeq = new Map<number, Book>();
  const seen: Book[] = [];
  engine.on('prediction', (e) => seen.push(bySeq.get(e.seq)!));
  for (let i = 0; i < books.length; i++) {
    bySeq.set(engine.submit(`S${i}`, books[i]), books[i]);
    if (i % 50 === 49) await tick();
  }
  while (engine.streamStats()!.pending > 0) await tick();
  const report = engine.featureDrift()!;
  expect((await engine.close())!.dropped.total).toBe(0);
  return { report, seen };
}

function checkAgainstPlain(report: FeatureDrift[], window: Book[], expectedRefs: Map<string, Ref>) {
  expect(report.map((r) => r.feature)).toEqual([...expectedRefs.keys()].sort((a, b) => NAMES.indexOf(a) - NAMES.indexOf(b)));
  for (const r of report) {
    const ref = expectedRefs.get(r.feature)!;
    const actual = fractions(values(window, NAMES.indexOf(r.feature)), ref.edges);
    expect(r.bins).toBe(ref.bins);
    expect(r.windowBooks).toBe(window.length);
    expect(r.values).toBe(window.length * 40);
    expect(r.psi, r.feature).toBeCloseTo(psiOf(actual, ref.expected), 9);
    expect(r.ks, r.feature).toBeCloseTo(ksOf(actual, ref.expected), 9);
  }
}

describe('featureDrift()', () => {
  it('is ~0 for books drawn like the training set, and equals PSI and KS computed plainly', async () => {
    const engine = createEngine({ model: withStats(stats), backend: 'cpu', stream: { statsIntervalMs: 0, maxSymbols: 4096, drift: { windowBooks: 100_000 } } });
    expect(engine.featureDrift()).toBeUndefined();  // no stream yet
    const fresh = Array.from({ length: 1200 }, (_, i) => draw(100_000 + i));
    const { report, seen } = await stream(engine, fresh);
    checkAgainstPlain(report, seen, refs);
    // Sampling noise only: PSI of two samples of this size from one law is of order bins / n.
    for (const r of report) {
      expect(r.psi, r.feature).toBeLessThan(0.01);
      expect(r.ks, r.feature).toBeLessThan(0.02);
    }
  });

  it('is large when the books shift away from the training set', async () => {
    const engine = createEngine({ model: withStats(stats), backend: 'cpu', stream: { statsIntervalMs: 0, maxSymbols: 4096, drift: { windowBooks: 100_000 } } });
    // Sizes x 20: log1p(volume) moves by about 3 (its training spread is +-1.2).
    const shifted = Array.from({ length: 600 }, (_, i) => draw(200_000 + i, 20));
    const { report, seen } = await stream(engine, shifted);
    checkAgainstPlain(report, seen, refs);
    const volume = report.find((r) => r.feature === 'log1p_volume')!;
    expect(volume.psi).toBeGreaterThan(2);
    expect(volume.ks).toBeGreaterThan(0.8);
    // Shares and geometry do not depend on the scale of sizes.
    expect(report.find((r) => r.feature === 'volume_share')!.psi).toBeLessThan(0.01);
    expect(report.find((r) => r.feature === 'level_frac')!.psi).toBeLessThan(1e-9);
  });

  it('slides: the window holds the latest books', async () => {
    const engine = createEngine({ model: withStats(stats), backend: 'cpu', stream: { statsIntervalMs: 0, maxSymbols: 4096, drift: { windowBooks: 800 } } });
    // In-distribution books, then shifted ones: the window ends up on the shifted ones.
    const books = [...Array.from({ length: 1000 }, (_, i) => draw(300_000 + i)), ...Array.from({ length: 1000 }, (_, i) => draw(400_000 + i, 20))];
    const { report, seen } = await stream(engine, books);
    // 8 blocks of 100 books: the current block and the 7 before it.
    const windowBooks = report[0].windowBooks;
    expect(windowBooks).toBeGreaterThan(700);
    expect(windowBooks).toBeLessThanOrEqual(800);
    checkAgainstPlain(report, seen.slice(seen.length - windowBooks), refs);
  });

  it('falls back to normal bins at mean + k std when the metadata has only mean and std', async () => {
    const moments: Record<string, { mean: number; std: number }> = {};
    const expectedRefs = new Map<string, Ref>();
    for (let f = 0; f < F; f++) {
      const xs = values(training, f);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      moments[NAMES[f]] = { mean, std };
      if (std === 0) continue;  // order_flow and reserved: constant, left out
      const ks = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2];
      const cdf = ks.map(normalCdf);
      expectedRefs.set(NAMES[f], { edges: ks.map((k) => mean + k * std), expected: [cdf[0], ...cdf.slice(1).map((c, i) => c - cdf[i]), 1 - cdf.at(-1)!], bins: 'normal' });
    }
    const engine = createEngine({ model: withStats(moments), backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const { report, seen } = await stream(engine, Array.from({ length: 300 }, (_, i) => draw(500_000 + i)));
    checkAgainstPlain(report, seen, expectedRefs);
  });

  it('is absent without feature_stats or with drift: false, and refuses bad settings', async () => {
    const none = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    none.submit('S', draw(1));
    expect(none.featureDrift()).toBeUndefined();
    await none.close();
    const off = createEngine({ model: withStats(stats), backend: 'cpu', stream: { drift: false } });
    off.submit('S', draw(1));
    expect(off.featureDrift()).toBeUndefined();
    await off.close();
    for (const drift of [{ windowBooks: 5 }, { windowBooks: 1.5 }, { size: 10 }, true, 'on']) {
      expect(refusal(() => createEngine({ model: modelPath('pooled'), stream: { drift: drift as never } })).code, JSON.stringify(drift)).toBe('ERR_INVALID_OPTION');
    }
    // feature_stats that cannot be read: refused when the stream opens, and nothing is left open.
    for (const bad of [{ log1p_volume: { quantiles: [2, 1] } }, { log1p_volume: { histogram: { edges: [1], fractions: [0.2, 0.2] } } }, [1, 2]]) {
      const engine = createEngine({ model: withStats(bad), backend: 'cpu' });
      const err = refusal(() => engine.submit('S', draw(1)));
      expect(err.code, JSON.stringify(bad)).toBe('ERR_MODEL_METADATA');
      expect(err.message).toMatch(/feature_stats/);
      expect(engine.streamStats()).toBeUndefined();
      await engine.close();
    }
  });
});

// The fixture files are untouched by withStats (it writes new bytes).
it('leaves the fixture model without feature_stats', () => {
  expect(readSafetensors(modelPath('pooled')).metadata.feature_stats).toBeUndefined();
  expect(fs.existsSync(modelPath('pooled'))).toBe(true);
});

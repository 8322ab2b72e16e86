// DepthModel: the full-depth book simulator (Cont, Stoikov and Talreja order flow with Hawkes
// excitation between its classes) and its labelled snapshots, checked from outside:
// - every snapshot is a valid book in the batch layout, and predictBatch reads it as predict() does;
// - with a snapshot after every event, each step is exactly one CST event on one side;
// - the classes' event rates match the stationary intensity of the Hawkes process they form when
//   the cancellations excite nothing (z-test over paths);
// - labels equal an independent computation from the snapshots after every event;
// - determinism (seeds, threads, sync and async paths alike), abort, and refused inputs;
// - simulating into a previous result's arrays (and fresh arrays over huge pages) gives the same
//   books bit for bit, and a target of the wrong shape, type or overlapping memory is refused.
import { describe, expect, it } from 'vitest';

import { DEPTH_CLASSES, DepthModel, createEngine } from '../dist/index.js';
import { modelPath } from './helpers/fixtures';
import { refused } from './helpers/errors';

const TICK = 0.01;

interface SideBook {
  prices: number[];
  sizes: number[];
}

function sides(s: ReturnType<DepthModel['simulate']>, i: number): { bids: SideBook; asks: SideBook } {
  const L = s.levels, base = i * 4 * L;
  const nb = s.counts[2 * i], na = s.counts[2 * i + 1];
  const col = (k: number, n: number) => Array.from(s.columns.subarray(base + k * L, base + k * L + n));
  return { bids: { prices: col(0, nb), sizes: col(1, nb) }, asks: { prices: col(2, na), sizes: col(3, na) } };
}

const ticks = (p: number) => Math.round(p / TICK);

describe('snapshots', () => {
  const model = new DepthModel();
  const s = model.simulate({ paths: 4, seed: 7, duration: 30, interval: 0.05 });

  it('are books in the batch layout: best first, whole ticks apart, positive sizes, uncrossed', () => {
    expect(s.length).toBe(4 * (Math.floor(30 / 0.05) + 1));
    expect(s.columns.length).toBe(s.length * 4 * s.levels);
    for (let i = 0; i < s.length; i++) {
      const { bids, asks } = sides(s, i);
      expect(bids.prices.length).toBeGreaterThan(0);
      expect(asks.prices.length).toBeGreaterThan(0);
      expect(ticks(bids.prices[0])).toBeLessThan(ticks(asks.prices[0]));
      expect(s.mid[i]).toBeCloseTo((bids.prices[0] + asks.prices[0]) / 2, 9);
      for (let k = 1; k < bids.prices.length; k++) expect(ticks(bids.prices[k - 1]) - ticks(bids.prices[k])).toBeGreaterThanOrEqual(1);
      for (let k = 1; k < asks.prices.length; k++) expect(ticks(asks.prices[k]) - ticks(asks.prices[k - 1])).toBeGreaterThanOrEqual(1);
      for (const v of [...bids.sizes, ...asks.sizes]) expect(Number.isInteger(v) && v >= 1).toBe(true);
      // Unused levels are 0, as BookBatch slots are.
      const L = s.levels, base = i * 4 * L;
      for (let k = s.counts[2 * i]; k < L; k++) expect(s.columns[base + k]).toBe(0);
    }
    // Time order within each path, snapshot times on the grid.
    for (let i = 1; i < s.length; i++) if (s.path[i] === s.path[i - 1]) expect(s.time[i]).toBeCloseTo(s.time[i - 1] + 0.05, 9);
  });

  it('go into an engine batch as they are, and predictBatch reads them as predict() does', () => {
    const engine = createEngine({ model: modelPath('pooled') });
    try {
      const n = 16;
      const batch = engine.createBatch(n);
      expect(batch.levels).toBe(s.levels);
      batch.columns.set(s.columns.subarray(0, n * 4 * s.levels));
      batch.counts.set(s.counts.subarray(0, 2 * n));
      batch.length = n;
      const out = engine.predictBatch(batch);
      for (const i of [0, 5, 15]) {
        const { bids, asks } = sides(s, i);
        const one = engine.predict({ bids: bids.prices.map((p, k) => [p, bids.sizes[k]]), asks: asks.prices.map((p, k) => [p, asks.sizes[k]]) });
        expect(out.probs[3 * i]).toBeCloseTo(one.probs[0], 6);
        expect(out.probs[3 * i + 2]).toBeCloseTo(one.probs[2], 6);
      }
    } finally {
      engine.close();
    }
  });
});

describe('the order flow', () => {
  it('changes the book by exactly one CST event on one side between consecutive events', () => {
    // Unit sizes, no excitation, every tracked level visible (levels = window).
    const K = 12;
    const model = new DepthModel({ window: K, alpha: Array.from({ length: 6 }, () => new Array(6).fill(0)) });
    const s = model.simulate({ paths: 1, seed: 3, warmup: 0, duration: 200, interval: 0, levels: K, horizon: { events: 1 } });
    expect(s.length).toBeGreaterThan(2000);
    let checked = 0;
    for (let i = 1; i < s.length; i++) {
      const a = sides(s, i - 1), b = sides(s, i);
      const changedBid = JSON.stringify(a.bids) !== JSON.stringify(b.bids);
      const changedAsk = JSON.stringify(a.asks) !== JSON.stringify(b.asks);
      expect(changedBid !== changedAsk, `event ${i}: exactly one side changes`).toBe(true);
      const [before, after, dir] = changedBid ? [a.bids, b.bids, -1] : [a.asks, b.asks, 1];
      // The tracked window of a side: K ticks from its best, away from the spread.
      const window = (book: SideBook) => {
        const best = ticks(book.prices[0]);
        return { best, far: best + dir * (K - 1) };
      };
      const wa = window(before), wb = window(after);
      const inside = (p: number, w: { best: number; far: number }) => (dir < 0 ? p <= w.best && p >= w.far : p >= w.best && p <= w.far);
      const size = (book: SideBook, p: number) => {
        const k = book.prices.findIndex((q) => ticks(q) === p);
        return k < 0 ? 0 : book.sizes[k];
      };
      // Units at every price both windows track change by +1 at one price (a limit order) or -1
      // at one (a cancellation, or a unit market order at the best); levels entering the window
      // from beyond it come with their own depth and are not compared.
      const prices = new Set<number>([...before.prices, ...after.prices].map(ticks));
      const diffs: number[] = [];
      for (const p of prices) {
        if (!inside(p, wa) || !inside(p, wb)) continue;
        const d = size(after, p) - size(before, p);
        if (d !== 0) diffs.push(d);
      }
      if (wb.best * dir < wa.best * dir) {
        // A limit order inside the spread: the new best, one unit; nothing else moves.
        expect(diffs, `event ${i}: a limit order that becomes the best`).toEqual([]);
        expect(size(after, wb.best)).toBe(1);
      } else if (wb.best !== wa.best) {
        // The best's last unit left (cancelled or traded): the next level is the best.
        expect(size(before, wa.best), `event ${i}: the best empties`).toBe(1);
        expect(diffs, `event ${i}: nothing else moves`).toEqual([]);
        expect(ticks(before.prices[1])).toBe(wb.best);
      } else {
        expect(diffs.length, `event ${i}: one price changes`).toBe(1);
        expect(Math.abs(diffs[0])).toBe(1);
      }
      checked++;
    }
    expect(checked).toBe(s.length - 1);
  });

  it('cancels a resting unit with probability cancelRate(distance) x queue (chi-square, p > 0.001)', () => {
    // Unit sizes, no excitation, every tracked level visible. A unit leaving a level behind the best
    // with both bests unchanged is a cancellation (market orders take from the best): given one
    // happened there, level j had probability theta(distance_j) q_j over the levels behind the best.
    const K = 12;
    const model = new DepthModel({ window: K, alpha: Array.from({ length: 6 }, () => new Array(6).fill(0)) });
    const theta = model.params.cancelRate;
    const s = model.simulate({ paths: 4, seed: 11, warmup: 0, duration: 400, interval: 0, levels: K, horizon: { events: 1 } });
    const observed = new Array(K).fill(0), expected = new Array(K).fill(0);
    for (let i = 1; i < s.length; i++) {
      if (s.path[i] !== s.path[i - 1]) continue;
      const a = sides(s, i - 1), b = sides(s, i);
      if (a.bids.prices[0] !== b.bids.prices[0] || a.asks.prices[0] !== b.asks.prices[0]) continue;
      for (const [side, opposite, before, after] of [[a.bids, a.asks, a.bids, b.bids], [a.asks, a.bids, a.asks, b.asks]] as const) {
        const best = ticks(side.prices[0]), far = ticks(opposite.prices[0]);
        const gone: number[] = [];
        before.prices.forEach((p, k) => {
          const left = after.prices.findIndex((q) => q === p);
          if (k > 0 && (left < 0 ? 0 : after.sizes[left]) === before.sizes[k] - 1) gone.push(k);
        });
        if (gone.length !== 1) continue;
        const weights = before.prices.map((p, k) => (k === 0 ? 0 : theta[Math.min(Math.abs(far - ticks(p)), K) - 1] * before.sizes[k]));
        const total = weights.reduce((x, y) => x + y, 0);
        const level = (k: number) => Math.abs(ticks(before.prices[k]) - best); // ticks behind the best, 1 .. K - 1
        observed[level(gone[0])]++;
        weights.forEach((w, k) => { if (k > 0) expected[level(k)] += w / total; });
      }
    }
    const n = observed.reduce((x, y) => x + y, 0);
    expect(n).toBeGreaterThan(2000);
    let chi = 0, df = -1;
    for (let j = 1; j < K; j++) {
      if (expected[j] < 5) continue;
      chi += (observed[j] - expected[j]) ** 2 / expected[j];
      df++;
    }
    expect(df).toBeGreaterThanOrEqual(6);
    // The 0.999 quantile of chi-square: df + 3.09 sqrt(2 df) + ... (Wilson-Hilferty), about 29.6 at df 10.
    const z = 3.09, q999 = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
    expect(chi, `chi-square ${chi.toFixed(1)} on ${df} degrees of freedom`).toBeLessThan(q999);
  });

  it('runs each class at the stationary rate of the Hawkes process it forms (z < 4 over 40 paths)', () => {
    // Market and limit orders excite each other; cancellations excite nothing and are excited by
    // nothing, so the first four classes form a Hawkes process with constant baseline
    // (mu, mu, sum limitRate, sum limitRate): rates (I - alpha / beta)^-1 baseline.
    const beta = 8;
    const n = [
      [0.3, 0, 0, 0.1],
      [0, 0.3, 0.1, 0],
      [0, 0.2, 0.15, 0],
      [0.2, 0, 0, 0.15],
    ];
    const alpha = Array.from({ length: 6 }, (_, k) => Array.from({ length: 6 }, (__, l) => (k < 4 && l < 4 ? n[k][l] * beta : 0)));
    const model = new DepthModel({ alpha, beta });
    const limitTotal = model.params.limitRate.reduce((x, y) => x + y, 0);
    const base = [model.params.marketRate, model.params.marketRate, limitTotal, limitTotal];
    const rates = solve(n.map((row, k) => row.map((v, l) => (k === l ? 1 : 0) - v)), base);
    const paths = 40, T = 300;
    const s = model.simulate({ paths, seed: 11, warmup: 0, duration: T, interval: 10, horizon: { seconds: 1e-6 } });
    for (let c = 0; c < 4; c++) {
      const per = Array.from({ length: paths }, (_, p) => s.classEvents[6 * p + c] / T);
      const mean = per.reduce((x, y) => x + y, 0) / paths;
      const sd = Math.sqrt(per.reduce((x, y) => x + (y - mean) ** 2, 0) / (paths - 1));
      const z = (mean - rates[c]) / (sd / Math.sqrt(paths));
      expect(Math.abs(z), `${DEPTH_CLASSES[c]}: ${mean.toFixed(3)}/s against ${rates[c].toFixed(3)}/s`).toBeLessThan(4);
    }
  });
});

function solve(a: number[][], b: number[]): number[] {
  const n = b.length, m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const p = m.reduce((best, row, r) => (r >= c && Math.abs(row[c]) > Math.abs(m[best][c]) ? r : best), c);
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

describe('labels', () => {
  const model = new DepthModel();
  // A snapshot after every event: the mid path is known event by event.
  const every = (horizon: { seconds: number } | { events: number }) =>
    model.simulate({ paths: 2, seed: 5, warmup: 5, duration: 60, interval: 0, horizon, flatBand: 0.5, magnitudeScale: 2 });

  function check(s: ReturnType<typeof every>, future: (i: number) => number | undefined) {
    let checked = 0;
    for (let i = 0; i < s.length; i++) {
      const j = future(i);
      if (j === undefined) continue;
      const move = Math.round((2 * (s.mid[j] - s.mid[i])) / TICK) / 2; // mids are on half ticks
      let squares = 0;
      for (let k = i + 1; k <= j; k++) squares += ((s.mid[k] - s.mid[k - 1]) / TICK) ** 2;
      expect(s.labels.move[i]).toBeCloseTo(move, 9);
      expect(s.labels.volatility[i]).toBeCloseTo(Math.sqrt(squares), 9);
      expect(s.labels.magnitude[i]).toBeCloseTo(1 - Math.exp(-Math.abs(move) / 2), 12);
      expect(s.labels.direction[i]).toBe(move > 0.5 ? 2 : move < -0.5 ? 0 : 1);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  }

  it('over a horizon in events: the mid N events later', () => {
    const N = 7;
    const s = every({ events: N });
    check(s, (i) => (i + N < s.length && s.path[i + N] === s.path[i] ? i + N : undefined));
  });

  it('over a horizon in seconds: the mid at the last event by then', () => {
    const h = 0.5;
    const s = every({ seconds: h });
    check(s, (i) => {
      let j = i;
      while (j + 1 < s.length && s.path[j + 1] === s.path[i] && s.time[j + 1] <= s.time[i] + h) j++;
      // Only where the snapshots reach past the horizon (the last ones' futures lie after the window).
      return j + 1 < s.length && s.path[j + 1] === s.path[i] ? j : undefined;
    });
  });

  it('take every direction, with magnitude in [0, 1) and volatility >= 0', () => {
    const s = model.simulate({ paths: 2, seed: 1, duration: 120 });
    const seen = new Set(s.labels.direction);
    expect([...seen].sort()).toEqual([0, 1, 2]);
    for (let i = 0; i < s.length; i++) {
      expect(s.labels.magnitude[i] >= 0 && s.labels.magnitude[i] < 1).toBe(true);
      expect(s.labels.volatility[i]).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('runs', () => {
  const model = new DepthModel();
  const opts = { paths: 6, seed: 21, duration: 20 };

  it('depend only on the seed: threads and the async path give the same snapshots', async () => {
    const a = model.simulate({ ...opts, threads: 1 });
    const b = model.simulate({ ...opts, threads: 2 });
    const c = await model.simulateAsync({ ...opts, threads: 2 });
    for (const x of [b, c]) {
      expect(x.columns).toEqual(a.columns);
      expect(x.labels.move).toEqual(a.labels.move);
      expect(x.classEvents).toEqual(a.classEvents);
    }
    const d = model.simulate({ ...opts, seed: 22 });
    expect(d.columns).not.toEqual(a.columns);
  });

  it('abort with the signal reason, and report progress', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const run = model.simulateAsync({ paths: 400, duration: 600, threads: 1, signal: controller.signal, onProgress: (p) => progress.push(p.pathsDone) });
    setTimeout(() => controller.abort(new Error('stop')), 150);
    await expect(run).rejects.toThrow('stop');
    expect(progress.length).toBeGreaterThan(0);
  });

  it('refuse bad parameters and options, naming the field', () => {
    refused(() => new DepthModel({ window: 0 }), 'ERR_INVALID_OPTION', /window/);
    refused(() => new DepthModel({ window: 3, limitRate: [1, -1, 1] }), 'ERR_INVALID_OPTION', /limitRate\[1\]/);
    refused(() => new DepthModel({ window: 3, limitRate: [0, 0, 0] }), 'ERR_INVALID_OPTION', /limitRate/);
    refused(() => new DepthModel({ marketSizeMean: 0.5 }), 'ERR_INVALID_OPTION', /marketSizeMean/);
    refused(() => new DepthModel({ alpha: Array.from({ length: 6 }, () => new Array(6).fill(5)), beta: 10 }), 'ERR_HAWKES_UNSTABLE', /spectral radius/);
    refused(() => new DepthModel({ initialBid: 10, initialAsk: 10 }), 'ERR_INVALID_OPTION', /initial bid/);
    refused(() => new DepthModel({ speed: 2 } as never), 'ERR_INVALID_OPTION', /speed/);
    refused(() => model.simulate({ levels: 61 }), 'ERR_INVALID_OPTION', /levels/);
    refused(() => model.simulate({ horizon: { seconds: 1, events: 2 } as never }), 'ERR_INVALID_OPTION', /horizon/);
    refused(() => model.simulate({ interval: -1 }), 'ERR_INVALID_OPTION', /interval/);
    refused(() => model.simulate({ paths: 1e6, duration: 1e4, interval: 0.001 }), 'ERR_INVALID_OPTION', /events|MiB/);
    refused(() => model.simulate({ signal: new AbortController().signal } as never), 'ERR_INVALID_OPTION', /simulateAsync/);
  });
});

describe('into: a previous result overwritten', () => {
  const model = new DepthModel();
  const opts = { paths: 3, seed: 5, duration: 30, levels: 10 };
  const fields = (s: ReturnType<DepthModel['simulate']>) => ({
    columns: s.columns, counts: s.counts, time: s.time, mid: s.mid, path: s.path, classEvents: s.classEvents, ...s.labels,
  });
  const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  // Bit for bit: every array's bytes (NaN and -0 included), not values compared as numbers.
  const expectSame = (a: ReturnType<DepthModel['simulate']>, b: ReturnType<DepthModel['simulate']>) => {
    expect(b.length).toBe(a.length);
    expect(b.levels).toBe(a.levels);
    const theirs: Record<string, ArrayBufferView> = fields(b);
    for (const [k, v] of Object.entries(fields(a))) expect(bytes(v).equals(bytes(theirs[k])), k).toBe(true);
  };

  it('gives the books of a fresh call bit for bit, in the arrays of the result passed', () => {
    const fresh = model.simulate(opts);
    const target = model.simulate({ ...opts, seed: 6, threads: 2 });
    expect(target.columns).not.toEqual(fresh.columns);
    const again = model.simulate({ ...opts, threads: 2, into: target });
    expectSame(fresh, again);
    for (const [k, v] of Object.entries(fields(again))) expect(v, k).toBe((fields(target) as Record<string, unknown>)[k]);
  });

  it('writes any separate typed arrays of the right shape, as fresh arrays over huge pages hold (2 MiB pages need large arrays)', () => {
    // 4 paths x 600 s: 15 MB of columns, whole 2 MiB pages that the fresh path asks to be huge.
    const big = { paths: 4, seed: 9, duration: 600, levels: 20 };
    const fresh = model.simulate(big);
    const n = fresh.length;
    const plain = {
      length: n, levels: 20, columns: new Float64Array(n * 80), counts: new Int32Array(2 * n), time: new Float64Array(n), mid: new Float64Array(n),
      path: new Int32Array(n), classEvents: new Float64Array(4 * 6),
      labels: { direction: new Int32Array(n), move: new Float64Array(n), magnitude: new Float64Array(n), volatility: new Float64Array(n) },
    };
    expectSame(fresh, model.simulate({ ...big, into: plain }));
    // Each snapshot's own check, independent of the simulator: time on the grid, path by position.
    const per = n / 4;
    for (let i = 0; i < n; i += 997) {
      expect(plain.path[i]).toBe(Math.floor(i / per));
      expect(plain.time[i]).toBeCloseTo(10 + 0.1 * (i % per), 9);
    }
  });

  it('refuses a target of another shape, type or overlapping memory, naming the field, and leaves it unchanged', () => {
    const target = model.simulate(opts);
    const before = Float64Array.from(target.columns);
    refused(() => model.simulate({ ...opts, levels: 9, into: target }), 'ERR_INVALID_OPTION', /into\.columns must be a Float64Array of \d+ elements/);
    refused(() => model.simulate({ ...opts, paths: 4, into: target }), 'ERR_INVALID_OPTION', /into\.columns/);
    refused(() => model.simulate({ ...opts, into: { ...target, time: new Float32Array(target.length) } as never }), 'ERR_INVALID_OPTION', /into\.time must be a Float64Array .*another type/);
    refused(() => model.simulate({ ...opts, into: { ...target, classEvents: new Float64Array(17) } }), 'ERR_INVALID_OPTION', /into\.classEvents .*\(paths \* 6.* 17 elements/);
    refused(() => model.simulate({ ...opts, into: { ...target, labels: { ...target.labels, move: target.mid } } }), 'ERR_INVALID_OPTION', /into\.mid and into\.labels\.move share memory/);
    const shared = new Float64Array(2 * target.length);
    const overlapping = { ...target, time: shared.subarray(0, target.length), mid: shared.subarray(target.length - 1, 2 * target.length - 1) };
    refused(() => model.simulate({ ...opts, into: overlapping }), 'ERR_INVALID_OPTION', /into\.time and into\.mid share memory/);
    refused(() => model.simulate({ ...opts, into: { ...target, labels: { ...target.labels, direction: [1, 2] } } as never }), 'ERR_INVALID_OPTION', /into\.labels\.direction must be an Int32Array .*not a typed array/);
    refused(() => model.simulate({ ...opts, into: { columns: target.columns } as never }), 'ERR_INVALID_OPTION', /into must be a result of simulate/);
    refused(() => model.simulate({ ...opts, into: null as never }), 'ERR_INVALID_OPTION', /into must be a result of simulate/);
    refused(() => model.simulate({ ...opts, interval: 0, into: target }), 'ERR_INVALID_OPTION', /into needs snapshots at a fixed interval/);
    expect(target.columns).toEqual(before);
  });

  it('is an option of simulate only', async () => {
    const target = model.simulate(opts);
    await expect(model.simulateAsync({ ...opts, into: target } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/into is an option of simulate only/) });
  });
});

// Simulation against the theory, for both methods: stationary rates (I - alpha/beta)^-1 mu within
// 4 standard deviations after a burn-in, the time-rescaling theorem (compensator gaps Exp(1),
// KS p > 1e-3), the Poisson case, determinism in (seed, path) whatever the thread count, maxEvents
// and abort. Each statistical check is also shown to reject a plausible wrong model (transposed
// alpha, a wrong beta), so a simulator with such a bug would fail it. Seeds are fixed.
import { describe, expect, it } from 'vitest';

import { HawkesProcess, HawkgraphError } from '../dist/index.js';
import {
  FlatParams, countsPerPath, directIntensity, exp1Cdf, flat, ksPValue, meanVar, rescaledGaps, stationary,
} from './helpers/hawkes-reference';

type Case = { name: string; mu: number[]; alpha: number[][]; beta: number[][] };

const CASES: Case[] = [
  // Strongly asymmetric so a transposed alpha changes the rates; one beta per row (2 groups).
  { name: 'D=2 per-row beta', mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] },
  // A full beta matrix: one component per (k, l), several decay groups.
  {
    name: 'D=3 full beta',
    mu: [0.2, 0.4, 0.1],
    alpha: [[0.5, 0.2, 0.0], [0.3, 0.6, 0.4], [0.1, 0.0, 1.2]],
    beta: [[1.5, 4, 2], [3, 2, 1], [2, 5, 3]],
  },
  // Two decay groups of two dimensions each: the type is drawn within the group.
  {
    name: 'D=4 grouped beta',
    mu: [0.3, 0.2, 0.4, 0.1],
    alpha: [[0.5, 0.3, 0.2, 0.1], [0.2, 0.6, 0.1, 0.3], [1.0, 0.5, 1.5, 0.5], [0.5, 1.0, 0.5, 2.0]],
    beta: [[2, 2, 2, 2], [2, 2, 2, 2], [6, 6, 6, 6], [6, 6, 6, 6]],
  },
];

const METHODS = ['exact', 'thinning'] as const;

function transposedAlpha(p: FlatParams): FlatParams {
  const D = p.D;
  const a = new Float64Array(D * D);
  for (let k = 0; k < D; k++) for (let l = 0; l < D; l++) a[k * D + l] = (p.alpha[l * D + k] * p.beta[k * D + l]) / p.beta[l * D + k];
  return { ...p, alpha: a };
}

describe.each(CASES)('$name', (c) => {
  const hp = new HawkesProcess({ mu: c.mu, alpha: c.alpha, beta: c.beta });
  const ref = flat(c.mu, c.alpha, c.beta);
  const D = c.mu.length;

  it.each(METHODS)('%s: rates after burn-in match (I - alpha/beta)^-1 mu within 4 sd', (method) => {
    const T0 = 40, T = 240, paths = 400;
    const sim = hp.simulate({ endTime: T, seed: 11, paths, method, threads: 2 });
    const lambda = stationary(ref);
    const wrong = stationary(transposedAlpha(ref));
    let wrongDetected = false;
    for (let k = 0; k < D; k++) {
      const counts: number[] = [];
      for (let p = 0; p < paths; p++) {
        let n = 0;
        for (let i = sim.pathOffsets[p]; i < sim.pathOffsets[p + 1]; i++) if (sim.types[i] === k && sim.times[i] > T0) n++;
        counts.push(n);
      }
      const [mean, variance] = meanVar(counts);
      const sd = Math.sqrt(variance / paths);
      expect(Math.abs(mean - lambda[k] * (T - T0))).toBeLessThan(4 * sd);
      if (Math.abs(mean - wrong[k] * (T - T0)) > 4 * sd) wrongDetected = true;
    }
    // A simulator that read alpha transposed would have failed the check above.
    expect(wrongDetected).toBe(true);
    // The summary statistics agree with the events.
    const perPath = countsPerPath(sim.types, sim.pathOffsets, D);
    for (let k = 0; k < D; k++) {
      const [m, v] = meanVar(perPath.map((r) => r[k]));
      expect(sim.stats.countsMean[k]).toBeCloseTo(m, 9);
      expect(sim.stats.countsVariance[k]).toBeCloseTo(v, 6);
    }
    expect(sim.stats.events).toBe(sim.times.length);
  });

  it.each(METHODS)('%s: time-rescaled gaps are Exp(1) (KS p > 1e-3), and a wrong model is rejected', (method) => {
    const lambda = stationary(ref);
    const total = lambda.reduce((a, b) => a + b, 0);
    const T = 20000 / total;
    const sim = hp.simulate({ endTime: T, seed: 5, paths: 1, method });
    expect(sim.times.length).toBeGreaterThan(15000);
    for (let i = 1; i < sim.times.length; i++) expect(sim.times[i]).toBeGreaterThanOrEqual(sim.times[i - 1]);
    const p = ksPValue(rescaledGaps(ref, sim.times, sim.types), exp1Cdf);
    expect(p).toBeGreaterThan(1e-3);
    const slowerDecay = { ...ref, beta: ref.beta.map((b) => b * 0.7) };
    expect(ksPValue(rescaledGaps(slowerDecay, sim.times, sim.types), exp1Cdf)).toBeLessThan(1e-3);
    const overExcited = { ...ref, alpha: ref.alpha.map((a) => a * 1.25) };
    expect(ksPValue(rescaledGaps(overExcited, sim.times, sim.types), exp1Cdf)).toBeLessThan(1e-3);
  });

  it.each(METHODS)('%s: the intensity output is lambda_type(t-) by the definition', (method) => {
    const sim = hp.simulate({ endTime: 50, seed: 3, paths: 1, method, intensity: true });
    const lam = sim.intensity!;
    expect(lam.length).toBe(sim.times.length);
    for (let i = 0; i < sim.times.length; i += 7) {
      expect(lam[i]).toBeCloseTo(directIntensity(ref, sim.times, sim.types, sim.types[i], sim.times[i]), 9);
    }
  });
});

describe('simulate', () => {
  const params = { mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [2, 3] };
  const hp = new HawkesProcess(params);

  it('a Poisson process (alpha = 0) has Poisson counts and exponential gaps', () => {
    for (const method of METHODS) {
      const mu = [1.5, 0.5];
      const pois = new HawkesProcess({ mu, alpha: [[0, 0], [0, 0]], beta: 1 });
      expect(pois.branchingRatio()).toBe(0);
      const T = 100, paths = 400;
      const sim = pois.simulate({ endTime: T, seed: 21, paths, method });
      const perPath = countsPerPath(sim.types, sim.pathOffsets, 2);
      for (let k = 0; k < 2; k++) {
        const [m, v] = meanVar(perPath.map((r) => r[k]));
        const expected = mu[k] * T;
        expect(Math.abs(m - expected)).toBeLessThan(4 * Math.sqrt(expected / paths));
        // (paths - 1) s^2 / mean is chi-square(paths - 1) for Poisson counts: within 4 of its sd.
        const dispersion = ((paths - 1) * v) / expected;
        expect(Math.abs(dispersion - (paths - 1))).toBeLessThan(4 * Math.sqrt(2 * (paths - 1)));
        // Gaps between events of type k within a path.
        const gaps: number[] = [];
        for (let p = 0; p < paths; p++) {
          let last = 0;
          for (let i = sim.pathOffsets[p]; i < sim.pathOffsets[p + 1]; i++) {
            if (sim.types[i] !== k) continue;
            gaps.push((sim.times[i] - last) * mu[k]);
            last = sim.times[i];
          }
        }
        expect(ksPValue(gaps, exp1Cdf)).toBeGreaterThan(1e-3);
        expect(ksPValue(gaps.map((g) => g * 1.1), exp1Cdf)).toBeLessThan(1e-3);
      }
    }
  });

  it('results depend only on (seed, path): same for 1, 2 and 3 threads, sync and async', async () => {
    for (const method of METHODS) {
      const base = { endTime: 100, seed: 1234, paths: 37, method, intensity: true } as const;
      const one = hp.simulate({ ...base, threads: 1 });
      const two = hp.simulate({ ...base, threads: 2 });
      const three = hp.simulate({ ...base, threads: 3 });
      const asyncTwo = await hp.simulateAsync({ ...base, threads: 2 });
      for (const other of [two, three, asyncTwo]) {
        expect(other.times).toEqual(one.times);
        expect(other.types).toEqual(one.types);
        expect(other.intensity).toEqual(one.intensity);
        expect(other.pathOffsets).toEqual(one.pathOffsets);
        expect(other.stats).toEqual(one.stats);
      }
      // Path p is the same whatever the number of paths; another seed gives other paths.
      const fewer = hp.simulate({ ...base, paths: 5, threads: 2 });
      expect(fewer.times).toEqual(one.times.subarray(0, fewer.times.length));
      const other = hp.simulate({ ...base, seed: 1235 });
      expect(other.times.subarray(0, 10)).not.toEqual(one.times.subarray(0, 10));
      // statsOnly keeps the same statistics, and no events.
      const stats = hp.simulate({ ...base, statsOnly: true, threads: 3 });
      expect(stats.times.length).toBe(0);
      expect(stats.stats).toEqual(one.stats);
    }
  });

  it('exact and thinning agree in distribution (mean counts within 4 sd of each other)', () => {
    const paths = 300, T = 100;
    const a = hp.simulate({ endTime: T, seed: 8, paths, method: 'exact' }).stats;
    const b = hp.simulate({ endTime: T, seed: 9, paths, method: 'thinning' }).stats;
    for (let k = 0; k < 2; k++) {
      const sd = Math.sqrt((a.countsVariance[k] + b.countsVariance[k]) / paths);
      expect(Math.abs(a.countsMean[k] - b.countsMean[k])).toBeLessThan(4 * sd);
    }
  });

  it('maxEvents bounds every path and flags it; explosive processes stop there', () => {
    const capped = hp.simulate({ endTime: 1e6, seed: 2, paths: 3, maxEvents: 500 });
    expect(Array.from(capped.pathOffsets)).toEqual([0, 500, 1000, 1500]);
    expect(Array.from(capped.truncated)).toEqual([1, 1, 1]);
    // A run that would store too many events stops with ERR_OUT_OF_MEMORY instead of eating memory.
    let caught: unknown;
    try {
      hp.simulate({ endTime: 1e5, seed: 2, paths: 8, threads: 2, maxStoredEvents: 50_000 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HawkgraphError);
    expect((caught as HawkgraphError).code).toBe('ERR_OUT_OF_MEMORY');
    expect((caught as HawkgraphError).message).toMatch(/more than 50000 events; use statsOnly/);
    expect(hp.simulate({ endTime: 1e5, seed: 2, paths: 8, statsOnly: true, maxStoredEvents: 50_000 }).stats.events).toBeGreaterThan(50_000);
    expect(() => hp.simulate({ endTime: 1, paths: 5000, maxStoredEvents: 50_000 })).toThrowError(/storing the events of 5000 paths .* use statsOnly/);
    // Many paths with statistics only: memory stays bounded (sums folded round by round).
    expect(hp.simulate({ endTime: 0.01, seed: 1, paths: 2_000_000, statsOnly: true }).stats.paths).toBe(2_000_000);
    const short = hp.simulate({ endTime: 1, seed: 2, paths: 3 });
    expect(Array.from(short.truncated)).toEqual([0, 0, 0]);
    const boom = new HawkesProcess({ mu: [1, 1], alpha: [[2, 1], [1, 2]], beta: 1, allowExplosive: true, maxEvents: 20000 });
    for (const method of METHODS) {
      const s = boom.simulate({ endTime: 1e9, seed: 1, paths: 2, method });
      expect(s.times.length).toBe(40000);
      expect(Array.from(s.truncated)).toEqual([1, 1]);
    }
  });

  it('simulateAsync reports progress from native threads while the event loop runs, and aborts', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const run = hp.simulateAsync({
      endTime: 1e7,
      paths: 64,
      seed: 1,
      threads: 2,
      statsOnly: true,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p.events);
        expect(p.paths).toBe(64);
        controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(progress.length).toBeGreaterThan(0);
    // An already-aborted signal rejects without starting; a custom reason is passed through.
    const reason = new Error('stop');
    await expect(hp.simulateAsync({ endTime: 1, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    // Errors raised on the native threads mid-run reach the promise as HawkgraphError.
    const err = await hp.simulateAsync({ endTime: 1e6, paths: 1, maxStoredEvents: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HawkgraphError);
    expect((err as HawkgraphError).code).toBe('ERR_OUT_OF_MEMORY');
  });
});

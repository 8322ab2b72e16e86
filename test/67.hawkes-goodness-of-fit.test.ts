// Goodness of fit by time rescaling (hp.goodnessOfFit, goodnessOfFitFor): the native residuals
// against the compensator computed straight from its definition, the Kolmogorov-Smirnov p-value
// against scipy's kstwo (a table, and scipy itself on live residuals where python3 has it), the
// p-values' uniformity over streams simulated with the true parameters, and wrong parameters
// rejected on a long stream.
import { execFileSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { HawkesProcess, exp1Qq, goodnessOfFitFor, kolmogorovSf, ksExp1 } from '../dist/index.js';
import { refused } from './helpers/errors';
import { flat, type FlatParams } from './helpers/hawkes-reference';

// scipy 1.17.1: [n, d, scipy.stats.kstwo.sf(d, n)]. (10, 0.274) is also Marsaglia, Tsang and
// Wang's (2003) worked example, P(D_10 < 0.274) = 0.6284796154565043.
const KSTWO_SF: [number, number, number][] = [
  [1, 0.7, 0.6000000000000001],
  [3, 0.3, 0.8862222222222222],
  [5, 0.12, 0.999987712],
  [10, 0.274, 0.3715203845434957],
  [10, 0.4, 0.05898924519999926],
  [20, 0.3, 0.04306706665851623],
  [30, 0.6, 7.392006292214292e-11],
  [50, 0.1, 0.6623112704658186],
  [50, 0.2, 0.03143877776953241],
  [100, 0.05, 0.9532159710635725],
  [100, 0.136, 0.044860299790847456],
  [140, 0.2, 2.1981563302200222e-05],
  [141, 0.06, 0.6677160791348915],
  [200, 0.5, 9.256385411205685e-47],
  [500, 0.02, 0.9859871786857471],
  [500, 0.0608, 0.04757382944847599],
  [1000, 0.01, 0.9999496745370611],
  [1000, 0.043, 0.04811098765192656],
  [1000, 0.002, 1.0],
  [5000, 0.0192, 0.04947898364727654],
  [5000, 0.06, 4.337123323784545e-16],
  [20000, 0.005, 0.6974088406327613],
  [20000, 0.0096, 0.04980186054580249],
  [100000, 0.002, 0.8178408363081542],
  [100000, 0.0043, 0.04940312751194875],
  [300000, 0.002, 0.18105935573978393],
  [300000, 0.005, 6.097246338632219e-07],
];

/** Lambda_k over [a, b] from the definition: mu_k (b - a) plus each earlier kernel's integral. O(n) per call. */
function compensator(p: FlatParams, times: ArrayLike<number>, types: ArrayLike<number>, k: number, a: number, b: number): number {
  let c = p.mu[k] * (b - a);
  for (let j = 0; j < times.length && times[j] < b; j++) {
    const al = p.alpha[k * p.D + types[j]], be = p.beta[k * p.D + types[j]];
    c += (al / be) * (Math.exp(-be * Math.max(0, a - times[j])) - Math.exp(-be * (b - times[j])));
  }
  return c;
}

const TWO = { mu: [0.5, 0.3], alpha: [[0.6, 0.2], [0.4, 0.5]], beta: [[2, 3], [1.5, 2.5]] };
const THREE_PER_ROW = { mu: [0.2, 0.4, 0.1], alpha: [[0.5, 0.2, 0.0], [0.3, 0.6, 0.4], [0.1, 0.0, 1.2]], beta: [2, 3, 4] };

function hasScipy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import scipy.stats'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

describe('Kolmogorov-Smirnov p-value', () => {
  it.each(KSTWO_SF)('kolmogorovSf(%i, %d) equals scipy kstwo.sf', (n, d, ref) => {
    const p = kolmogorovSf(n, d);
    // Measured: within 2e-11 relative everywhere (1e-12 up to n = 5000).
    expect(Math.abs(p - ref)).toBeLessThanOrEqual(1e-10 * ref + 1e-300);
  });

  it('is 1 below d = 1/(2n), 0 from d = 1, NaN for a bad n, and decreasing in d', () => {
    expect(kolmogorovSf(100, 0.004)).toBe(1);
    expect(kolmogorovSf(100, 1)).toBe(0);
    expect(kolmogorovSf(0, 0.1)).toBeNaN();
    expect(kolmogorovSf(2.5, 0.1)).toBeNaN();
    for (const n of [7, 139, 141, 5000, 150000]) {
      let prev = 1;
      for (let z = 0.1; z < 4; z += 0.05) {
        const p = kolmogorovSf(n, z / Math.sqrt(n));
        expect(p).toBeLessThanOrEqual(prev + 1e-12);
        prev = p;
      }
    }
  });

  const scipy = hasScipy();
  if (!scipy) console.log('test/67: python3 with scipy not found, skipping the live scipy.stats.kstest comparison');

  it.skipIf(!scipy)('statistic and p-value equal scipy.stats.kstest(residuals, "expon") on live residuals', () => {
    const hp = new HawkesProcess(TWO);
    const sets: number[][] = [];
    for (const [endTime, seed] of [[20, 1], [60, 2], [400, 3], [3000, 4]]) {
      const sim = hp.simulate({ endTime, seed });
      for (const t of hp.goodnessOfFit(sim.times, sim.types, endTime).types) sets.push(Array.from(t.residuals));
    }
    const wrong = new HawkesProcess({ ...TWO, mu: [1, 0.6] });
    const sim = hp.simulate({ endTime: 3000, seed: 5 });
    sets.push(Array.from(wrong.goodnessOfFit(sim.times, sim.types, 3000).types[0].residuals));
    const script = 'import json, sys\nfrom scipy.stats import kstest\nfor xs in json.load(sys.stdin):\n    r = kstest(xs, "expon")\n    print(repr(float(r.statistic)), repr(float(r.pvalue)))';
    const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(sets), encoding: 'utf8', timeout: 30_000 });
    const rows = out.trim().split('\n').map((l) => l.split(' ').map(Number));
    expect(rows).toHaveLength(sets.length);
    sets.forEach((xs, i) => {
      const ks = ksExp1(xs);
      expect(ks.n).toBe(xs.length);
      expect(Math.abs(ks.statistic - rows[i][0])).toBeLessThan(1e-12);
      expect(Math.abs(ks.pValue - rows[i][1])).toBeLessThanOrEqual(1e-9 * rows[i][1] + 1e-300);
    });
    expect(rows[rows.length - 1][1]).toBeLessThan(1e-6);
  });
});

describe('time-rescaling residuals', () => {
  it.each([
    ['full beta matrix', TWO],
    ['one beta per row', THREE_PER_ROW],
  ])('equal the compensator from its definition between consecutive events of each type (%s)', (_name, params) => {
    const hp = new HawkesProcess(params);
    const D = hp.dims;
    const ref = flat(params.mu, hp.params().alpha, hp.params().beta);
    const sim = hp.simulate({ endTime: 60, seed: 11 });
    // Two simultaneous events (one of each of the first two types, and a repeat) at a time of its own.
    const times = [...Array.from(sim.times), 61.25, 61.25, 61.25].map((t) => t + 5);
    const types = [...Array.from(sim.types), 0, 1, 0];
    const start = 3.5, end = 70;
    expect(times.length).toBeGreaterThan(40);
    const g = hp.goodnessOfFit(times, types, end, { startTime: start });
    expect(g.startTime).toBe(start);
    expect(g.endTime).toBe(end);
    expect(g.types).toHaveLength(D);
    let pooled = 0;
    for (let k = 0; k < D; k++) {
      const own = times.map((t, i) => [t, types[i]]).filter(([, l]) => l === k).map(([t]) => t);
      const t = g.types[k];
      expect(t.type).toBe(k);
      expect(t.events).toBe(own.length);
      expect(t.residuals).toHaveLength(own.length);
      for (let i = 0; i < own.length; i++) {
        const want = compensator(ref, times, types, k, i === 0 ? start : own[i - 1], own[i]);
        expect(Math.abs(t.residuals[i] - want)).toBeLessThan(1e-9);
      }
      expect(Math.abs(t.compensator - compensator(ref, times, types, k, start, end))).toBeLessThan(1e-9);
      pooled += own.length;
    }
    // The repeated type-0 event at 66.25 has nothing between it and its twin.
    expect(g.types[0].residuals[g.types[0].events - 1]).toBe(0);
    expect(g.overall.n).toBe(pooled);
  });

  it('goodnessOfFitFor(params, ...) is hp.goodnessOfFit, for an explosive fit too', () => {
    const hp = new HawkesProcess(TWO);
    const sim = hp.simulate({ endTime: 200, seed: 4 });
    const a = hp.goodnessOfFit(sim.times, sim.types, 200, { startTime: 0 });
    const b = goodnessOfFitFor(hp.params(), sim.times, sim.types, 200);
    expect(b.types.map((t) => t.ks)).toEqual(a.types.map((t) => t.ks));
    expect(Array.from(b.types[1].residuals)).toEqual(Array.from(a.types[1].residuals));
    const explosive = goodnessOfFitFor({ mu: [0.5], alpha: [[3]], beta: 2 }, [1, 2, 3], [0, 0, 0], 4, 0.5);
    expect(explosive.types[0].events).toBe(3);
    expect(explosive.types[0].residuals[0]).toBeCloseTo(0.25, 14);
  });
});

describe('the test', () => {
  it('passes streams simulated with the true parameters: p-values uniform over 40 streams', () => {
    const hp = new HawkesProcess(TWO);
    const pValues: number[] = [], overall: number[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const sim = hp.simulate({ endTime: 400, seed: 1000 + seed });
      const g = hp.goodnessOfFit(sim.times, sim.types, 400);
      for (const t of g.types) pValues.push(t.ks.pValue);
      overall.push(g.overall.pValue);
    }
    // 80 per-type p-values, independent (across streams, and across types by the multivariate
    // time-rescaling theorem) and exactly uniform: the count below 0.05 is Binomial(80, 0.05),
    // mean 4, P(count > 11) = 6e-4; the 40 pooled ones: Binomial(40, 0.05), P(count > 7) = 7e-4.
    expect(pValues.filter((p) => p < 0.05).length).toBeLessThanOrEqual(11);
    expect(overall.filter((p) => p < 0.05).length).toBeLessThanOrEqual(7);
    // And uniform as a whole: their own KS test against U(0, 1) does not reject at 1e-3.
    const u = Float64Array.from(pValues).sort();
    let d = 0;
    for (let i = 0; i < u.length; i++) d = Math.max(d, (i + 1) / u.length - u[i], u[i] - i / u.length);
    expect(kolmogorovSf(u.length, d)).toBeGreaterThan(1e-3);
  });

  it('rejects clearly wrong parameters on a long stream (mu doubled, alpha zeroed): p < 1e-6', () => {
    const hp = new HawkesProcess(TWO);
    const end = 10000;
    const sim = hp.simulate({ endTime: end, seed: 9 });
    expect(sim.times.length).toBeGreaterThan(12000);
    const right = hp.goodnessOfFit(sim.times, sim.types, end);
    for (const t of right.types) expect(t.ks.pValue).toBeGreaterThan(1e-3);
    // The compensator of the whole window is the count's prediction: within 5 % here.
    for (const t of right.types) expect(Math.abs(t.compensator / t.events - 1)).toBeLessThan(0.05);
    const muDoubled = new HawkesProcess({ ...TWO, mu: TWO.mu.map((m) => 2 * m) });
    const alphaZero = new HawkesProcess({ ...TWO, alpha: [[0, 0], [0, 0]] });
    for (const wrong of [muDoubled, alphaZero]) {
      const g = wrong.goodnessOfFit(sim.times, sim.types, end);
      for (const t of g.types) expect(t.ks.pValue).toBeLessThan(1e-6);
      expect(g.overall.pValue).toBeLessThan(1e-6);
    }
  });

  it('gives at most qqPoints QQ points per type, near y = x under the true model', () => {
    const hp = new HawkesProcess(TWO);
    const sim = hp.simulate({ endTime: 2000, seed: 21 });
    const g = hp.goodnessOfFit(sim.times, sim.types, 2000);
    for (const t of g.types) {
      expect(t.qq.theoretical).toHaveLength(200);
      expect(t.qq.empirical).toHaveLength(200);
      for (let j = 1; j < 200; j++) {
        expect(t.qq.theoretical[j]).toBeGreaterThan(t.qq.theoretical[j - 1]);
        expect(t.qq.empirical[j]).toBeGreaterThanOrEqual(t.qq.empirical[j - 1]);
      }
      // Central quantiles (p up to 0.9): within 0.15 of the line for about a thousand residuals.
      for (let j = 0; j < 180; j++) expect(Math.abs(t.qq.empirical[j] - t.qq.theoretical[j])).toBeLessThan(0.15);
    }
    const few = hp.goodnessOfFit(sim.times.subarray(0, 30), sim.types.subarray(0, 30), sim.times[29], { qqPoints: 500 });
    const sorted = Float64Array.from(few.types[0].residuals).sort();
    expect(Array.from(few.types[0].qq.empirical)).toEqual(Array.from(sorted));
    expect(exp1Qq([1, 2, 3], 2).empirical).toEqual(Float64Array.from([1.25, 2.75]));
  });

  it('reports a type without events as NaN and refuses bad windows and options', () => {
    const hp = new HawkesProcess(TWO);
    const g = hp.goodnessOfFit([1, 2], [0, 0], 3);
    expect(g.types[1].events).toBe(0);
    expect(g.types[1].ks.statistic).toBeNaN();
    expect(g.types[1].ks.pValue).toBeNaN();
    expect(g.types[1].compensator).toBeCloseTo(0.3 * 3 + (0.4 / 1.5) * (2 - Math.exp(-1.5 * 2) - Math.exp(-1.5)), 12);
    refused(() => hp.goodnessOfFit([1, 2], [0, 0], 3, { startTime: 1.5 }), 'ERR_HAWKES_EVENTS', /^times\[0\] must be a finite number >= startTime 1.5, got 1$/);
    refused(() => hp.goodnessOfFit([1, 2], [0, 0], 3, { startTime: 3 }), 'ERR_HAWKES_EVENTS', /^endTime must be a finite number > startTime 3, got 3$/);
    refused(() => hp.goodnessOfFit([1, 2], [0, 0], 3, { startTime: '0' as unknown as number }), 'ERR_HAWKES_EVENTS', /startTime must be a number/);
    refused(() => hp.goodnessOfFit([1, 2], [0, 0], 3, { start: 0 } as never), 'ERR_INVALID_OPTION', /unknown goodness-of-fit option "start"/);
    refused(() => hp.goodnessOfFit([1, 2], [0, 0], 3, { qqPoints: 1 }), 'ERR_INVALID_OPTION', /qqPoints must be an integer in \[2, 10000\], got 1/);
    refused(() => hp.goodnessOfFit([2, 1], [0, 0], 3), 'ERR_HAWKES_EVENTS', /non-decreasing/);
    refused(() => hp.goodnessOfFit([1, 2], [0, 2], 3), 'ERR_HAWKES_EVENTS', /types\[1\]/);
    refused(() => hp.goodnessOfFit([1, 2], [0, 0], 1.5), 'ERR_HAWKES_EVENTS', /endTime 1.5 is before the last event time 2/);
    refused(() => goodnessOfFitFor({ mu: [1], alpha: [[-1]], beta: 1 }, [1], [0], 2), 'ERR_HAWKES_PARAMETER', /alpha\[0\]\[0\]/);
  });
});

describe('fit results carry the goodness of fit of the fitted parameters', () => {
  const hp = new HawkesProcess({ mu: [0.6, 0.4], alpha: [[2, 1], [0.5, 1.5]], beta: [8, 6] });
  const endTime = 2000;
  const sim = hp.simulate({ endTime, seed: 11 });

  it('equal to goodnessOfFit on the fitted process over the same window', () => {
    const fit = HawkesProcess.fit(sim.times, sim.types, endTime + 10, { beta: [8, 6] });
    expect(fit.converged).toBe(true);
    expect(fit.goodness).toEqual(new HawkesProcess(fit.params).goodnessOfFit(sim.times, sim.types, endTime + 10));
    // At a maximum each type's compensator equals its count (the row likelihood is homogeneous).
    for (const t of fit.goodness!.types) expect(t.compensator / t.events).toBeCloseTo(1, 6);
    expect(fit.goodness!.overall.pValue).toBeGreaterThan(1e-3);
  });

  it('skipped with { goodness: false }; a non-boolean is refused', () => {
    expect(HawkesProcess.fit(sim.times, sim.types, endTime, { beta: [8, 6], goodness: false }).goodness).toBeUndefined();
    refused(() => HawkesProcess.fit(sim.times, sim.types, endTime, { beta: [8, 6], goodness: 1 as never }), 'ERR_INVALID_OPTION', /^goodness must be a boolean, got 1$/);
  });
});

// HawkesProcess.fit returns the maximum, checked from the log-likelihood alone:
// - for 20 random stable processes of each D in {1, 2, 4, 8, 16, 32} and each given-beta form (one
//   scalar, one per excited dimension, a full matrix; at D = 1 they are one form), and with beta
//   fitted for 20 processes at D = 1 and D = 2 (the finite-difference KKT check costs two
//   likelihood evaluations per coordinate, so beyond D = 8 it checks 40 random coordinates a fit):
//   converged, LL(fit) >= LL(true) - 1e-6, LL(fit) >= LL at 6 random feasible points, and the KKT
//   conditions by finite differences of logLikelihood (|g| / sqrt(curvature) <= 1e-3 off the
//   bound, <= 1e-3 pointing inward at 0);
// - recovery within 3 standard errors on a long stream at D = 8, and the 95 % intervals' coverage
//   over 200 repeated D = 2 streams (binomial tolerance in the test);
// - tick's own test value (hawkes_models_gtest.cpp) to 1e-12 relative; startTime; fitAsync.
// Streams are short (1,000 to 4,800 events) so the file runs in well under a minute.
import { describe, expect, it } from 'vitest';

import { HawkesProcess } from '../dist/index.js';
import { LIMITS } from '../dist/internal.js';
import { type BetaForm, flatOf, kktByFiniteDifferences, ll, randomFeasible, randomProcess } from './helpers/hawkes-fit-checks';
import { mulberry32 as rng } from './helpers/reference-model';
import { refused } from './helpers/errors';

const FD_TOLERANCE = 1e-3;

function eventsFor(D: number): number {
  return Math.max(1000, 150 * D);
}

function checkFit(D: number, form: BetaForm | 'fitted', seed: number): void {
  const r = rng(1000 * D + seed + (form === 'fitted' ? 500 : 0));
  const proc = randomProcess(D, form === 'fitted' ? 'perDim' : form, r);
  const rate = proc.hp.stationaryIntensity().reduce((a, b) => a + b, 0);
  const T = eventsFor(D) / rate;
  const sim = proc.hp.simulate({ endTime: T, seed, paths: 1 });
  const fit = HawkesProcess.fit(sim.times, sim.types, T, form === 'fitted' ? { dims: D } : { dims: D, beta: proc.betaGiven });
  const where = `D = ${D}, ${form}, seed ${seed}`;
  expect(fit.converged, `${where}: ${fit.message}`).toBe(true);
  expect(fit.optimality.kktResidual).toBeLessThanOrEqual(LIMITS.fitKktTolerance);
  const est = flatOf(fit.params);
  const best = ll(est, sim.times, sim.types, T);
  expect(Math.abs(best - fit.logLikelihood)).toBeLessThan(1e-9 * Math.abs(best));
  const truth = ll(proc.flat, sim.times, sim.types, T);
  expect(best, `${where}: LL(fit) - LL(true) = ${best - truth}`).toBeGreaterThanOrEqual(truth - 1e-6);
  for (const p of randomFeasible(proc.flat, est, r, 6)) expect(best, where).toBeGreaterThanOrEqual(ll(p, sim.times, sim.types, T) - 1e-6);
  // KKT, independently: every coordinate up to D = 8, 40 random ones beyond.
  const all = D + D * D;
  const coords = all <= 80 ? undefined : Array.from({ length: 40 }, () => Math.floor(r() * all));
  const kkt = kktByFiniteDifferences(est, sim.times, sim.types, T, coords);
  expect(kkt.free, `${where}: standardised gradient off the bound`).toBeLessThanOrEqual(FD_TOLERANCE);
  expect(kkt.bound, `${where}: standardised gradient into the interior at 0`).toBeLessThanOrEqual(FD_TOLERANCE);
  // Standard errors: finite off the bound, NaN on it.
  for (let k = 0; k < D; k++) {
    for (let l = 0; l < D; l++) {
      const a = fit.params.alpha[k][l], se = fit.stdErr.alpha[k][l];
      if (a === 0) expect(se).toBeNaN();
      else expect(Number.isFinite(se) && se > 0).toBe(true);
    }
  }
  if (form === 'fitted') {
    // The profile's maximum in each row's beta too: moving beta[k][*] together cannot gain.
    expect(fit.betaSearch).toHaveLength(D);
    for (let k = 0; k < D; k++) {
      const s = fit.betaSearch![k];
      expect(s.reached[s.winner]).toBeCloseTo(fit.params.beta[k][0], 12);
      for (const v of s.profileLogLikelihood) expect(v).toBeLessThanOrEqual(s.profileLogLikelihood[s.winner]);
      for (const step of [1.01, 1 / 1.01]) {
        const moved = flatOf(fit.params);
        for (let l = 0; l < D; l++) moved.beta[k * D + l] *= step;
        expect(ll(moved, sim.times, sim.types, T)).toBeLessThanOrEqual(best + 1e-6);
      }
    }
  } else {
    expect(fit.betaSearch).toBeNull();
  }
}

describe('HawkesProcess.fit finds the maximum', () => {
  const counts: [number, number][] = [[1, 20], [2, 20], [4, 20], [8, 20], [16, 20], [32, 20]];
  for (const form of ['scalar', 'perDim', 'matrix'] as const) {
    for (const [D, n] of counts) {
      if (D === 1 && form !== 'scalar') continue;  // one beta is every form at D = 1
      it(`beta given (${form}), D = ${D}: ${n} random stable processes`, () => {
        for (let seed = 1; seed <= n; seed++) checkFit(D, form, seed);
      });
    }
  }
  for (const D of [1, 2]) {
    it(`beta fitted, D = ${D}: 20 random stable processes`, () => {
      for (let seed = 1; seed <= 20; seed++) checkFit(D, 'fitted', seed);
    });
  }
});

describe('estimates and their standard errors', () => {
  it('recovers a D = 8 process within 3 standard errors from a long stream', () => {
    const r = rng(88);
    const D = 8;
    const beta = Array.from({ length: D }, () => 1 + 3 * r());
    const mu = Array.from({ length: D }, () => 0.3 + 0.5 * r());
    // Dense excitation (no true value on the bound, where the normal approximation does not hold).
    const alpha = beta.map((b) => Array.from({ length: D }, () => (0.5 + r()) * b * 0.05));
    const hp = new HawkesProcess({ mu, alpha, beta });
    const T = 30000;
    const sim = hp.simulate({ endTime: T, seed: 8, paths: 1 });
    expect(sim.times.length).toBeGreaterThan(200000);
    const fit = HawkesProcess.fit(sim.times, sim.types, T, { beta });
    expect(fit.converged).toBe(true);
    const z: number[] = [];
    for (let k = 0; k < D; k++) {
      z.push((fit.params.mu[k] - mu[k]) / fit.stdErr.mu[k]);
      for (let l = 0; l < D; l++) z.push((fit.params.alpha[k][l] - alpha[k][l]) / fit.stdErr.alpha[k][l]);
    }
    // 72 estimates: P(two or more beyond 3 se) is about 1.5 % for a correct fit.
    expect(z.every(Number.isFinite)).toBe(true);
    expect(z.filter((v) => Math.abs(v) > 3).length).toBeLessThanOrEqual(1);
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(4.5);
  });

  it('95 % intervals cover the truth about 95 % of the time over 200 streams', () => {
    const truth = { mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.4, 1.0]], beta: [[2, 2], [3, 3]] };
    const hp = new HawkesProcess(truth);
    const values = [...truth.mu, ...truth.alpha.flat()];
    const streams = 200;
    let covered = 0, total = 0;
    for (let s = 0; s < streams; s++) {
      const sim = hp.simulate({ endTime: 600, seed: 1000 + s, paths: 1 });
      const fit = HawkesProcess.fit(sim.times, sim.types, 600, { beta: [2, 3] });
      const est = [...fit.params.mu, ...fit.params.alpha.flat()];
      const se = [...fit.stdErr.mu, ...fit.stdErr.alpha.flat()];
      for (let j = 0; j < values.length; j++) {
        total++;
        if (Number.isFinite(se[j]) && Math.abs(est[j] - values[j]) <= 1.959964 * se[j]) covered++;
      }
    }
    // Binomial tolerance counted as if only the 200 streams were independent (the 6 intervals of
    // one stream are correlated): 3 sd = 3 sqrt(0.95 * 0.05 / 200) = 0.046.
    const coverage = covered / total;
    const tol = 3 * Math.sqrt((0.95 * 0.05) / streams);
    expect(coverage).toBeGreaterThan(0.95 - tol);
    expect(coverage).toBeLessThan(0.95 + tol);
  });
});

describe("tick's conformance value (hawkes_models_gtest.cpp)", () => {
  it('matches the per-event-normalised loss 2.9434509731246283 to 1e-12', () => {
    const node0 = [0.31, 0.93, 1.29, 2.32, 4.25], node1 = [0.12, 1.19, 2.12, 2.41, 3.35, 4.21];
    const events = [...node0.map((t) => [t, 0]), ...node1.map((t) => [t, 1])].sort((a, b) => a[0] - b[0]);
    const times = events.map((e) => e[0]), types = events.map((e) => e[1]);
    const decay = 2, T = 4.25;
    // tick: phi_ij(t) = a_ij * decay * exp(-decay t), row = target; ours: alpha = a * beta.
    const [mu0, mu1, a00, a01, a10, a11] = [1, 3, 2, 3, 4, 1];
    const hp = new HawkesProcess({
      mu: [mu0, mu1], alpha: [[a00 * decay, a01 * decay], [a10 * decay, a11 * decay]], beta: decay, allowExplosive: true, maxEvents: 100,
    });
    // tick's loss = (1 / N) sum_i [T mu_i - T + compensator of the kernels - sum log lambda_i] = (-LL - D T) / N.
    const loss = (-hp.logLikelihood(times, types, T) - 2 * T) / times.length;
    expect(Math.abs(loss - 2.9434509731246283) / 2.9434509731246283).toBeLessThan(1e-12);
  });
});

describe('the observation window [startTime, endTime]', () => {
  const hp = new HawkesProcess({ mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] });
  const sim = hp.simulate({ endTime: 2000, seed: 5, paths: 1 });
  const start = 1.7e9;
  const shifted = sim.times.map((t) => t + start);

  it('logLikelihood and fit on [startTime, endTime] equal those of the stream shifted to 0', () => {
    const ref = hp.logLikelihood(sim.times, sim.types, 2000);
    // Epoch-sized times lose about 2e-7 s of resolution: the likelihoods agree to about that.
    expect(Math.abs(hp.logLikelihood(shifted, sim.types, start + 2000, { startTime: start }) - ref)).toBeLessThan(1e-5 * Math.abs(ref));
    const a = HawkesProcess.fit(sim.times, sim.types, 2000, { beta: [2, 3] });
    const b = HawkesProcess.fit(shifted, sim.types, start + 2000, { beta: [2, 3], startTime: start });
    expect(b.converged).toBe(true);
    for (let k = 0; k < 2; k++) expect(b.params.mu[k]).toBeCloseTo(a.params.mu[k], 4);
    // An exact shift (a power of 2) gives the very same stream.
    const c = HawkesProcess.fit(sim.times.map((t) => t + 1024), sim.types, 3024, { beta: [2, 3], startTime: 1024 });
    expect(c.params.alpha[0][1]).toBeCloseTo(a.params.alpha[0][1], 9);
  });

  it('refuses a window implausible for its events (epoch times against a window from 0), saying why', () => {
    refused(() => hp.logLikelihood(shifted, sim.types, start + 2000), 'ERR_HAWKES_EVENTS', /window starts implausibly early.*pass startTime/);
    refused(() => HawkesProcess.fit(shifted, sim.types, start + 2000, { beta: 2 }), 'ERR_HAWKES_EVENTS', /window starts implausibly early/);
    refused(() => hp.logLikelihood(sim.times, sim.types, 1e9), 'ERR_HAWKES_EVENTS', /window ends implausibly late/);
    refused(() => hp.logLikelihood([1, 2], [0, 1], 3, { startTime: 1.5 }), 'ERR_HAWKES_EVENTS', /times\[0\] must be a finite number >= startTime 1\.5, got 1/);
    refused(() => hp.logLikelihood([1, 2], [0, 1], 3, { startTime: 3 }), 'ERR_HAWKES_EVENTS', /endTime must be a finite number > startTime 3, got 3/);
    refused(() => hp.logLikelihood([1, 2], [0, 1], 3, { startTime: NaN }), 'ERR_INVALID_OPTION', /startTime must be a finite number/);
    refused(() => hp.logLikelihood([1, 2], [0, 1], 3, { start: 1 } as never), 'ERR_INVALID_OPTION', /unknown logLikelihood option "start"/);
    expect(LIMITS.maxWindowGapRatio).toBe(1000);
  });
});

describe('HawkesProcess.fitAsync', () => {
  const hp = new HawkesProcess({ mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] });
  const sim = hp.simulate({ endTime: 3000, seed: 9, paths: 1 });

  it('gives the same fit as fit, off the JS thread', async () => {
    const sync = HawkesProcess.fit(sim.times, sim.types, 3000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const fit = await HawkesProcess.fitAsync(sim.times, sim.types, 3000, { onProgress: () => {} });
    const took = performance.now() - started;
    clearInterval(timer);
    // The event loop ran while the fit did (a fit that blocked it would leave no tick).
    if (took > 50) expect(ticks).toBeGreaterThan(0);
    expect(fit.params).toEqual(sync.params);
    expect(fit.logLikelihood).toBe(sync.logLikelihood);
    expect(fit.betaSearch).toEqual(sync.betaSearch);
  });

  it('rejects with the signal reason when aborted, and refuses fit-only mistakes', async () => {
    const pre = new AbortController();
    pre.abort(new Error('stop before'));
    await expect(HawkesProcess.fitAsync(sim.times, sim.types, 3000, { signal: pre.signal })).rejects.toThrow('stop before');
    const big = new HawkesProcess({ mu: Array(8).fill(0.5), alpha: Array.from({ length: 8 }, () => Array(8).fill(0.1)), beta: 2 }).simulate({ endTime: 3000, seed: 1, paths: 1 });
    const ac = new AbortController();
    const reason = new Error('stop now');
    const running = HawkesProcess.fitAsync(big.times, big.types, 3000, { signal: ac.signal });
    ac.abort(reason);
    await expect(running).rejects.toBe(reason);
    refused(() => HawkesProcess.fit(sim.times, sim.types, 3000, { signal: ac.signal } as never), 'ERR_INVALID_OPTION', /signal is an option of fitAsync/);
    await expect(HawkesProcess.fitAsync(sim.times, sim.types, 3000, { threads: 0 })).rejects.toThrow(/threads must be an integer/);
  });

  it('reports progress (rows done of dims, Newton iterations) about every 100 ms', async () => {
    const hp4 = new HawkesProcess({ mu: [0.4, 0.3, 0.5, 0.2], alpha: [[0.5, 0.2, 0, 0.3], [0.1, 0.6, 0.2, 0], [0, 0.3, 0.4, 0.2], [0.2, 0, 0.1, 0.5]], beta: 2 });
    const long = hp4.simulate({ endTime: 60000, seed: 4, paths: 1 });
    const seen: { dimensionsDone: number; dims: number; iterations: number }[] = [];
    const started = performance.now();
    const fit = await HawkesProcess.fitAsync(long.times, long.types, 60000, { onProgress: (p) => seen.push(p) });
    expect(fit.converged).toBe(true);
    const took = performance.now() - started;
    if (took > 300) expect(seen.length, `${took} ms`).toBeGreaterThan(0);
    for (const p of seen) {
      expect(p.dims).toBe(4);
      expect(p.dimensionsDone).toBeGreaterThanOrEqual(0);
      expect(p.dimensionsDone).toBeLessThanOrEqual(4);
      expect(p.iterations).toBeGreaterThanOrEqual(0);
    }
  });

  it('threads do not change the result', () => {
    const a = HawkesProcess.fit(sim.times, sim.types, 3000, { beta: [2, 3] });
    const b = HawkesProcess.fit(sim.times, sim.types, 3000, { beta: [2, 3], threads: 2 });
    expect(b.params).toEqual(a.params);
  });
});

describe('long rows', () => {
  // A cold-started row of at least 8 * 64 panels (32,768 events) is first refined on every 8th
  // panel; the whole problem's Newton steps then finish it. Checked as any fit: from the
  // log-likelihood alone.
  it('reach the maximum when first refined on a subsample, for each beta form', () => {
    const r = rng(6601);
    for (const form of ['scalar', 'perDim', 'matrix'] as BetaForm[]) {
      const proc = randomProcess(3, form, r);
      const rate = proc.hp.stationaryIntensity();
      const T = 40000 / Math.min(...rate);
      const sim = proc.hp.simulate({ endTime: T, seed: 66, paths: 1 });
      const fit = HawkesProcess.fit(sim.times, sim.types, T, { beta: proc.betaGiven });
      expect(fit.converged, `${form}: ${fit.message}`).toBe(true);
      const est = flatOf(fit.params);
      const best = ll(est, sim.times, sim.types, T);
      expect(Math.abs(best - fit.logLikelihood)).toBeLessThan(1e-9 * Math.abs(best));
      expect(best).toBeGreaterThanOrEqual(ll(proc.flat, sim.times, sim.types, T) - 1e-6);
      for (const p of randomFeasible(proc.flat, est, r, 4)) expect(best).toBeGreaterThanOrEqual(ll(p, sim.times, sim.types, T) - 1e-6);
      const kkt = kktByFiniteDifferences(est, sim.times, sim.types, T);
      expect(kkt.free, `${form}: standardised gradient off the bound`).toBeLessThanOrEqual(FD_TOLERANCE);
      expect(kkt.bound, `${form}: standardised gradient into the interior at 0`).toBeLessThanOrEqual(FD_TOLERANCE);
    }
  });
});

describe('rows that share one decay rate', () => {
  // Rows with the same single rate share its decay factors (kernel values as products of them);
  // a row with a rate of its own takes exponentials. Same problem, same answer: row 0 has rate 40
  // in both fits below, shared with row 1 in one and alone in the other. The stream has ties
  // (times on a 10 ms grid) and type-0 droughts long enough that the products underflow.
  it('give each row the estimate it gets with its rate alone, ties and long gaps included', () => {
    const hp = new HawkesProcess({ mu: [0.05, 3], alpha: [[15, 0], [0.5, 6]], beta: [[40, 40], [9, 9]] });
    const sim = hp.simulate({ endTime: 2000, seed: 66, paths: 1 });
    const times = sim.times.map((t) => Math.round(t * 100) / 100);
    const shared = HawkesProcess.fit(times, sim.types, 2000, { beta: [40, 40] });
    const alone = HawkesProcess.fit(times, sim.types, 2000, { beta: [40, 9] });
    let ties = 0, longest = 0;
    for (let i = 1; i < times.length; i++) ties += Number(times[i] === times[i - 1]);
    for (let i = 0, last = 0; i < times.length; i++) {
      if (sim.types[i] === 0) [longest, last] = [Math.max(longest, times[i] - last), times[i]];
    }
    expect(ties).toBeGreaterThan(100);
    expect(40 * longest).toBeGreaterThan(Math.log(1e280)); // exp(-40 gap) below the products' floor
    for (const fit of [shared, alone]) expect(fit.converged, fit.message).toBe(true);
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
    close(shared.params.mu[0], alone.params.mu[0]);
    for (let l = 0; l < 2; l++) close(shared.params.alpha[0][l], alone.params.alpha[0][l]);
    const est = new HawkesProcess({ ...shared.params, allowExplosive: true, maxEvents: 1e6 });
    close(shared.logLikelihood, est.logLikelihood(times, sim.types, 2000));
  });
});

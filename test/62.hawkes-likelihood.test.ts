// The log-likelihood against a direct O(n^2) sum of the definition, and maximum-likelihood
// calibration recovering known parameters within 3 standard errors from long simulated streams;
// bad event streams and unidentifiable data refused with their codes.
import { describe, expect, it } from 'vitest';

import { HawkesProcess } from '../dist/index.js';
import { directLogLikelihood, flat } from './helpers/hawkes-reference';
import { refused } from './helpers/errors';

describe('logLikelihood', () => {
  const cases = [
    { mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] },
    { mu: [0.2, 0.4, 0.1], alpha: [[0.5, 0.2, 0.0], [0.3, 0.6, 0.4], [0.1, 0.0, 1.2]], beta: [[1.5, 4, 2], [3, 2, 1], [2, 5, 3]] },
    { mu: [0.7], alpha: [[1.1]], beta: [[1.6]] },
  ];

  it.each(cases)('equals the direct O(n^2) sum on small streams (D = $mu.length)', (c) => {
    const hp = new HawkesProcess(c);
    const ref = flat(c.mu, c.alpha, c.beta);
    for (const seed of [1, 2, 3]) {
      const sim = hp.simulate({ endTime: 60, seed, paths: 1 });
      expect(sim.times.length).toBeGreaterThan(20);
      const direct = directLogLikelihood(ref, sim.times, sim.types, 75);
      const got = hp.logLikelihood(sim.times, sim.types, 75);
      expect(Math.abs(got - direct)).toBeLessThan(1e-9 * Math.abs(direct));
    }
    // Plain arrays work too; an empty stream is the compensator of the baseline alone.
    expect(hp.logLikelihood([], [], 10)).toBeCloseTo(-10 * c.mu.reduce((a, b) => a + b, 0), 12);
  });

  it('treats simultaneous events as not exciting each other (left-continuous intensity)', () => {
    const c = cases[0];
    const hp = new HawkesProcess(c);
    const times = [0.5, 1.0, 1.0, 1.0, 2.5, 2.5, 4.0];
    const types = [0, 1, 0, 1, 1, 0, 0];
    const direct = directLogLikelihood(flat(c.mu, c.alpha, c.beta), times, types, 5);
    expect(hp.logLikelihood(times, types, 5)).toBeCloseTo(direct, 10);
  });

  it('refuses bad event streams, naming the index', () => {
    const hp = new HawkesProcess(cases[0]);
    refused(() => hp.logLikelihood([1, 0.5], [0, 0], 2), 'ERR_HAWKES_EVENTS', /times must be non-decreasing: times\[1\] = 0\.5/);
    refused(() => hp.logLikelihood([1, NaN], [0, 0], 2), 'ERR_HAWKES_EVENTS', /times\[1\] must be a finite number >= 0, got NaN/);
    refused(() => hp.logLikelihood([-1], [0], 2), 'ERR_HAWKES_EVENTS', /times\[0\] .* got -1/);
    refused(() => hp.logLikelihood([1, 2], [0, 2], 3), 'ERR_HAWKES_EVENTS', /types\[1\] must be an integer in \[0, 1\], got 2/);
    refused(() => hp.logLikelihood([1, 2], [0, 0.5], 3), 'ERR_HAWKES_EVENTS', /types\[1\] must be an integer, got 0\.5/);
    refused(() => hp.logLikelihood([1, 2], [0], 3), 'ERR_HAWKES_EVENTS', /same length, got 2 and 1/);
    refused(() => hp.logLikelihood([1, 5], [0, 1], 3), 'ERR_HAWKES_EVENTS', /endTime 3 is before the last event time 5/);
    refused(() => hp.logLikelihood([1], [0], 0), 'ERR_HAWKES_EVENTS', /endTime must be a finite number > 0, got 0/);
    refused(() => hp.logLikelihood('1,2' as never, [0, 0], 3), 'ERR_HAWKES_EVENTS', /times must be an array/);
  });
});

describe('HawkesProcess.fit', () => {
  const truth = { mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] };
  const hp = new HawkesProcess(truth);
  const T = 25000;
  const sim = hp.simulate({ endTime: T, seed: 77, paths: 1 });

  function within3se(est: number, se: number, value: number): void {
    expect(Number.isFinite(se) && se > 0).toBe(true);
    expect(Math.abs(est - value)).toBeLessThan(3 * se);
  }

  it('recovers mu and alpha within 3 standard errors with beta given', () => {
    expect(sim.times.length).toBeGreaterThan(30000);
    const fit = HawkesProcess.fit(sim.times, sim.types, T, { beta: [2, 3] });
    for (let k = 0; k < 2; k++) {
      within3se(fit.params.mu[k], fit.stdErr.mu[k], truth.mu[k]);
      for (let l = 0; l < 2; l++) within3se(fit.params.alpha[k][l], fit.stdErr.alpha[k][l], truth.alpha[k][l]);
    }
    expect(fit.params.beta).toEqual(truth.beta);
    expect(fit.stdErr.beta).toEqual([[0, 0], [0, 0]]);
    // The maximum is at least as likely as the truth, and matches logLikelihood at the estimate.
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(hp.logLikelihood(sim.times, sim.types, T));
    const atFit = new HawkesProcess(fit.params).logLikelihood(sim.times, sim.types, T);
    expect(fit.logLikelihood).toBeCloseTo(atFit, 8);
    // Standard errors shrink like 1/sqrt(n): a stream a quarter as long has about twice the se.
    const cut = sim.times.findIndex((t) => t > T / 4);
    const short = HawkesProcess.fit(sim.times.subarray(0, cut), sim.types.subarray(0, cut), T / 4, { beta: [2, 3] });
    const ratio = short.stdErr.alpha[0][1] / fit.stdErr.alpha[0][1];
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(2.5);
  });

  it('recovers mu, alpha and beta within 3 standard errors with beta fitted', () => {
    const fit = HawkesProcess.fit(sim.times, sim.types, T);
    for (let k = 0; k < 2; k++) {
      within3se(fit.params.mu[k], fit.stdErr.mu[k], truth.mu[k]);
      within3se(fit.params.beta[k][0], fit.stdErr.beta[k][0], truth.beta[k][0]);
      for (let l = 0; l < 2; l++) within3se(fit.params.alpha[k][l], fit.stdErr.alpha[k][l], truth.alpha[k][l]);
    }
  });

  it('puts an absent excitation on the bound 0 (stdErr NaN) and fits a Poisson stream', () => {
    const pois = new HawkesProcess({ mu: [1.0, 2.0], alpha: [[0, 0], [0, 0]], beta: 1 });
    const s = pois.simulate({ endTime: 3000, seed: 4, paths: 1 });
    const fit = HawkesProcess.fit(s.times, s.types, 3000, { beta: 1 });
    for (let k = 0; k < 2; k++) {
      within3se(fit.params.mu[k], fit.stdErr.mu[k], k === 0 ? 1 : 2);
      for (let l = 0; l < 2; l++) {
        const a = fit.params.alpha[k][l];
        if (a === 0) expect(fit.stdErr.alpha[k][l]).toBeNaN();
        else within3se(a, fit.stdErr.alpha[k][l], 0);
      }
    }
  });

  it('refuses data that cannot identify the model', () => {
    refused(() => HawkesProcess.fit([1, 2, 3], [0, 0, 0], 4, { dims: 2, beta: 1 }), 'ERR_FIT_UNIDENTIFIABLE', /no events of type 1/);
    refused(() => HawkesProcess.fit([1, 2, 3, 4], [0, 1, 0, 1], 5, { beta: 1 }), 'ERR_FIT_UNIDENTIFIABLE', /only 2 events of type 0/);
    refused(() => HawkesProcess.fit([], [], 5), 'ERR_FIT_UNIDENTIFIABLE', /no events/);
    refused(() => HawkesProcess.fit([1], [0], 5, { beta: 0 }), 'ERR_INVALID_OPTION', /beta\[0\]\[0\] must be a finite number > 0, got 0/);
    refused(() => HawkesProcess.fit([1], [0], 5, { dims: 0 }), 'ERR_INVALID_OPTION', /dims must be an integer in \[1, 64\]/);
    refused(() => HawkesProcess.fit([2, 1], [0, 0], 5), 'ERR_HAWKES_EVENTS', /non-decreasing/);
  });
});

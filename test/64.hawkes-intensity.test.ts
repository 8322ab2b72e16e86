// Live intensities from an event feed: equal to the definition at any time, equal to the
// simulator's intensity output, the LOB trend signal, and feed errors refused.
import { describe, expect, it } from 'vitest';

import { HawkesIntensity, HawkesProcess, HawkgraphError } from '../dist/index.js';
import { flat } from './helpers/hawkes-reference';

// Right-continuous: events at times <= t count.
function atOrBefore(p: ReturnType<typeof flat>, times: number[], types: number[], k: number, t: number): number {
  let lam = p.mu[k];
  for (let j = 0; j < times.length && times[j] <= t; j++) {
    lam += p.alpha[k * p.D + types[j]] * Math.exp(-p.beta[k * p.D + types[j]] * (t - times[j]));
  }
  return lam;
}

describe('HawkesIntensity', () => {
  const cases = [
    { mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] },
    { mu: [0.2, 0.4, 0.1], alpha: [[0.5, 0.2, 0.0], [0.3, 0.6, 0.4], [0.1, 0.0, 1.2]], beta: [[1.5, 4, 2], [3, 2, 1], [2, 5, 3]] },
  ];

  it.each(cases)('matches the definition between and at events (D = $mu.length)', (c) => {
    const ref = flat(c.mu, c.alpha, c.beta);
    const live = new HawkesIntensity(c);
    const times = [0.1, 0.4, 0.4, 1.3, 2.0, 2.05, 3.7];
    const types = times.map((_, i) => (i * 7) % c.mu.length);
    for (let i = 0; i < times.length; i++) {
      live.update(types[i], times[i]);
      for (const dt of [0, 0.01, 0.3]) {
        const t = times[i] + dt;
        if (i + 1 < times.length && t >= times[i + 1]) continue;
        const lam = live.intensities(t);
        for (let k = 0; k < c.mu.length; k++) expect(lam[k]).toBeCloseTo(atOrBefore(ref, times, types, k, t), 12);
      }
    }
    expect(live.events).toBe(times.length);
    expect(live.time).toBe(3.7);
    live.reset();
    expect(Array.from(live.intensities(5))).toEqual(c.mu);
  });

  it('reproduces the simulator intensity at each event (queried just before feeding it)', () => {
    const hp = new HawkesProcess(cases[1]);
    const sim = hp.simulate({ endTime: 200, seed: 2, intensity: true });
    const live = new HawkesIntensity(hp);
    const out = new Float64Array(3);
    for (let i = 0; i < sim.times.length; i++) {
      expect(live.intensities(sim.times[i], out)[sim.types[i]]).toBeCloseTo(sim.intensity![i], 9);
      live.update(sim.types[i], sim.times[i]);
    }
  });

  it('gives the LOB trend lambda_MAb + lambda_MNb - lambda_MAs - lambda_MNs', () => {
    const mu = [1, 2, 0.5, 0.5, 0.5, 0.5, 3, 4];
    const alpha = Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (_, l) => (k === l ? 0.5 : 0.1)));
    const live = new HawkesIntensity({ mu, alpha, beta: 5 });
    expect(live.trend(0)).toBeCloseTo(1 + 3 - 2 - 4, 14);
    live.update(0, 1.0); // a market buy excites MAb most
    const lam = live.intensities(1.2);
    expect(live.trend(1.2)).toBeCloseTo(lam[0] + lam[6] - lam[1] - lam[7], 14);
    expect(live.trend(1.2)).toBeGreaterThan(-2);
    expect(live.intensity(0, 1.2)).toBeCloseTo(1 + 0.5 * Math.exp(-1), 14);
  });

  it('refuses out-of-order times, bad types and a trend without the LOB dimensions', () => {
    const live = new HawkesIntensity(cases[0]);
    live.update(1, 2);
    const expectCode = (f: () => unknown, code: string, re: RegExp) => {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(HawkgraphError);
      expect((caught as HawkgraphError).code).toBe(code);
      expect((caught as HawkgraphError).message).toMatch(re);
    };
    expectCode(() => live.update(0, 1), 'ERR_HAWKES_EVENTS', /time 1 is before the last event time 2/);
    expectCode(() => live.intensities(1.5), 'ERR_INVALID_ARGUMENT', /query time 1.5 is before the last event at 2/);
    expectCode(() => live.update(2, 3), 'ERR_HAWKES_EVENTS', /type must be an integer in \[0, 1\], got 2/);
    expectCode(() => live.update(0, NaN), 'ERR_HAWKES_EVENTS', /time must be a finite number, got NaN/);
    expectCode(() => live.trend(), 'ERR_INVALID_ARGUMENT', /8-dimensional/);
    expectCode(() => new HawkesIntensity({ mu: [1], alpha: [[-1]], beta: 1 }), 'ERR_HAWKES_PARAMETER', /alpha\[0\]\[0\]/);
  });
});

// HawkesIntensity's time unit: times in the parameters' unit by default, a feed in ms / us / ns
// with { timeUnit }, epoch timestamps accepted (the first update sets the clock), a gap the model
// could not produce refused with the reason (the classic: epoch milliseconds read as seconds),
// and a query before the last event a distinct ERR_INVALID_ARGUMENT.
import { describe, expect, it } from 'vitest';

import { HawkesIntensity, HawkesProcess } from '../dist/index.js';
import { refused } from './helpers/errors';

const P = { mu: [0.5, 0.3], alpha: [[0.6, 0.2], [0.4, 0.5]], beta: [[2, 3], [1.5, 2.5]] };
const EPOCH_S = 1_767_225_600; // 2026-01-01T00:00:00Z

describe('HawkesIntensity time units', () => {
  it('accepts epoch seconds: the intensities are those of the same stream from 0', () => {
    const hp = new HawkesProcess(P);
    const sim = hp.simulate({ endTime: 300, seed: 7 });
    const fromZero = new HawkesIntensity(hp), epoch = new HawkesIntensity(hp);
    for (let i = 0; i < sim.times.length; i++) {
      fromZero.update(sim.types[i], sim.times[i]);
      epoch.update(sim.types[i], EPOCH_S + sim.times[i]);
    }
    const a = fromZero.intensities(sim.times[sim.times.length - 1] + 0.25), b = epoch.intensities(EPOCH_S + sim.times[sim.times.length - 1] + 0.25);
    // Epoch seconds keep about 1e-7 s of the times: the intensities agree to that.
    for (let k = 0; k < 2; k++) expect(Math.abs(a[k] - b[k])).toBeLessThan(1e-5);
  });

  it.each([['ms', 1e3], ['us', 1e6], ['ns', 1e9]] as const)('timeUnit %s: a feed in that unit gives the per-second intensities', (unit, perSecond) => {
    const seconds = new HawkesIntensity(P), scaled = new HawkesIntensity(P, { timeUnit: unit });
    expect(scaled.timeUnit).toBe(unit);
    const times = [0.1, 0.4, 0.4, 1.3, 2.0, 2.05, 3.7];
    times.forEach((t, i) => {
      seconds.update(i % 2, t);
      scaled.update(i % 2, t * perSecond);
    });
    expect(scaled.time).toBeCloseTo(3.7 * perSecond, 3);
    const a = seconds.intensities(4.2), b = scaled.intensities(4.2 * perSecond);
    for (let k = 0; k < 2; k++) expect(b[k]).toBeCloseTo(a[k], 9);
  });

  it('refuses epoch milliseconds read as seconds, saying why; reset() or maxGap lets a real break through', () => {
    const live = new HawkesIntensity(P);
    const t0 = EPOCH_S * 1000;
    live.update(0, t0);
    live.update(1, t0 + 120);
    // Sum of mu is 0.8: the default maxGap is 745 / 0.8 = 931.25 units.
    expect(live.maxGap).toBe(745 / 0.8);
    const before = Array.from(live.intensities());
    refused(() => live.update(0, t0 + 1200), 'ERR_HAWKES_EVENTS',
      /time 1767225601200 comes 1080 after the last event at 1767225600120: the baseline rates \(summing to 0.8 per unit of time\) expect 864 events in that gap \(a chance below e\^-864 that none arrives\)\. Times must be in the parameters' unit .*timeUnit: 'ms'.*reset\(\).*maxGap/);
    expect(Array.from(live.intensities())).toEqual(before);
    expect(live.events).toBe(2);
    live.update(0, t0 + 1000); // within maxGap
    live.reset();
    live.update(0, t0 + 1e6); // the first update after reset sets the clock
    const open = new HawkesIntensity(P, { maxGap: Infinity });
    open.update(0, 1);
    open.update(0, 1 + 86400 * 3);
    expect(open.events).toBe(2);
    const ms = new HawkesIntensity(P, { timeUnit: 'ms' });
    expect(ms.maxGap).toBe((745 / 0.8) * 1000);
    ms.update(0, t0);
    ms.update(1, t0 + 1200);
    // The bound follows the baseline: ten times the rates, a tenth of the gap.
    expect(new HawkesIntensity({ ...P, mu: [5, 3] }).maxGap).toBeCloseTo(745 / 8, 12);
  });

  it('reports a query before the last event as ERR_INVALID_ARGUMENT, distinct from an event out of order', () => {
    const live = new HawkesIntensity(P);
    live.update(1, 2);
    refused(() => live.intensities(1.5), 'ERR_INVALID_ARGUMENT', /query time 1.5 is before the last event at 2: intensities are read at or after the last event fed/);
    refused(() => live.intensity(0, 1), 'ERR_INVALID_ARGUMENT', /query time 1 is before the last event at 2/);
    refused(() => live.update(0, 1), 'ERR_HAWKES_EVENTS', /time 1 is before the last event time 2; events must arrive in time order/);
    refused(() => live.intensities(NaN), 'ERR_HAWKES_EVENTS', /time must be a finite number, got NaN/);
  });

  it('refuses bad options', () => {
    refused(() => new HawkesIntensity(P, { timeUnit: 'min' as never }), 'ERR_INVALID_OPTION', /timeUnit must be one of 's', 'ms', 'us', 'ns', got "min"/);
    refused(() => new HawkesIntensity(P, { timeUnit: 'toString' as never }), 'ERR_INVALID_OPTION', /timeUnit must be one of/);
    refused(() => new HawkesIntensity(P, { maxGap: 0 }), 'ERR_INVALID_OPTION', /maxGap must be a number > 0 \(Infinity: no check\), got 0/);
    refused(() => new HawkesIntensity(P, { maxGap: NaN }), 'ERR_INVALID_OPTION', /maxGap must be a number > 0/);
    refused(() => new HawkesIntensity(P, { unit: 'ms' } as never), 'ERR_INVALID_OPTION', /unknown HawkesIntensity option "unit"/);
    refused(() => new HawkesIntensity(P, null as never), 'ERR_INVALID_OPTION', /HawkesIntensity options must be an object, got null/);
  });
});

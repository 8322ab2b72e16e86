// The 8-event LOB model: prices consistent with the events (the mid moves only on the six
// aggressive types, in the right direction; the spread never below one tick; the jump law), the
// statistics consistent with the paths, and every bad option refused.
import { describe, expect, it } from 'vitest';

import { HawkesProcess, LOB_EVENT_TYPES, LobModel } from '../dist/index.js';
import { refused } from './helpers/errors';

const MAb = 0, MAs = 1, LAb = 2, LAs = 3, CAb = 4, CAs = 5, MNb = 6, MNs = 7;

// A symmetric-ish 8-dimensional process with cross-excitation, spectral radius about 0.7.
function lobHawkes(): HawkesProcess {
  const mu = [0.3, 0.3, 0.5, 0.5, 0.4, 0.4, 0.8, 0.8];
  const alpha = Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (_, l) => (k === l ? 2.5 : 0.8) * (1 + 0.05 * ((k + 2 * l) % 3))));
  return new HawkesProcess({ mu, alpha, beta: 10 });
}

describe('LobModel', () => {
  const hawkes = lobHawkes();
  const tick = 0.05;
  const location = [1, 1, 1, 1, 1, 1, 1, 1];
  const scale = [2, 2, 1.5, 1.5, 0.5, 0.5, 1, 1];
  const model = new LobModel({ hawkes, jumps: { location, scale }, tick, initialBid: 100, initialAsk: 100.2 });

  it('has the design type order and a stable process', () => {
    expect(LOB_EVENT_TYPES).toEqual(['MAb', 'MAs', 'LAb', 'LAs', 'CAb', 'CAs', 'MNb', 'MNs']);
    expect(LobModel.EVENT_TYPES).toBe(LOB_EVENT_TYPES);
    expect(hawkes.branchingRatio()).toBeLessThan(1);
  });

  it.each(['exact', 'thinning'] as const)('%s: prices follow the events, the spread stays >= 1 tick', (method) => {
    const paths = 20;
    const sim = model.simulate({ endTime: 100, seed: 9, paths, method });
    expect(sim.times.length).toBeGreaterThan(10000);
    const toTicks = (x: number) => Math.round(x / tick);
    let limitIntoOneTick = 0;
    const midChanges: number[] = [];
    // Violations are collected (one expect per event would dominate the run time).
    const violations: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok && violations.length < 5) violations.push(what);
    };
    for (let p = 0; p < paths; p++) {
      let bid = toTicks(100), ask = toTicks(100.2);
      for (let i = sim.pathOffsets[p]; i < sim.pathOffsets[p + 1]; i++) {
        const type = sim.types[i], j = sim.jump[i];
        const nb = toTicks(sim.bid[i]), na = toTicks(sim.ask[i]);
        const at = `event ${i} (${LOB_EVENT_TYPES[type]}, jump ${j}, ${bid}/${ask} -> ${nb}/${na})`;
        check(Math.abs(sim.bid[i] - nb * tick) < 1e-9 && Math.abs(sim.ask[i] - na * tick) < 1e-9, `${at}: off the tick grid`);
        check(Math.abs(sim.mid[i] - (sim.bid[i] + sim.ask[i]) / 2) < 1e-9, `${at}: mid`);
        const spread = ask - bid;
        switch (type) {
          case MAb: check(j >= 1 && nb === bid && na === ask + j, at); break;
          case MAs: check(j >= 1 && nb === bid - j && na === ask, at); break;
          case CAb: check(j >= 1 && nb === bid - j && na === ask, at); break;
          case CAs: check(j >= 1 && nb === bid && na === ask + j, at); break;
          case LAb:
          case LAs:
            if (spread === 1) {
              limitIntoOneTick++;
              check(j === 0 && nb === bid && na === ask, at);
            } else {
              check(j >= 1 && j <= spread - 1, at);
              check(type === LAb ? nb === bid + j && na === ask : nb === bid && na === ask - j, at);
            }
            break;
          default:
            check((type === MNb || type === MNs) && nb === bid && na === ask && j === 0, at);
        }
        // The mid moves only on the six aggressive types, up on MAb/LAb/CAs, down on MAs/LAs/CAb.
        const dm = nb + na - bid - ask;
        if (type === MAb || type === LAb || type === CAs) check(dm >= (type === LAb ? 0 : 1), `${at}: mid not up`);
        else if (type === MAs || type === LAs || type === CAb) check(dm <= (type === LAs ? 0 : -1), `${at}: mid not down`);
        else check(dm === 0, `${at}: mid moved`);
        check(na - nb >= 1, `${at}: spread below one tick`);
        bid = nb;
        ask = na;
      }
      midChanges.push((bid + ask - toTicks(100) - toTicks(100.2)) / 2);
    }
    expect(violations).toEqual([]);
    expect(limitIntoOneTick).toBeGreaterThan(0);
    const mean = midChanges.reduce((a, b) => a + b, 0) / paths;
    expect(sim.stats.midChangeMean).toBeCloseTo(mean, 9);
  });

  it('draws jumps from the rounded shifted exponential, truncated only for limit orders', () => {
    const sim = model.simulate({ endTime: 200, seed: 4, paths: 8 });
    for (const type of [MAb, CAb]) {
      const js: number[] = [];
      for (let i = 0; i < sim.types.length; i++) if (sim.types[i] === type) js.push(sim.jump[i]);
      // P(J = 1) = P(loc + s E < 1.5); P(J = j) = P(j - 0.5 <= loc + s E < j + 0.5) for j >= 2.
      const s = scale[type];
      let mean = 1 - Math.exp(-0.5 / s), second = mean;
      for (let j = 2; j < 200; j++) {
        const pj = Math.exp(-(j - 1.5) / s) - Math.exp(-(j - 0.5) / s);
        mean += j * pj;
        second += j * j * pj;
      }
      const sd = Math.sqrt((second - mean * mean) / js.length);
      const got = js.reduce((a, b) => a + b, 0) / js.length;
      expect(js.length).toBeGreaterThan(1000);
      expect(Math.abs(got - mean)).toBeLessThan(4 * sd);
      // A law without the rounding (floor instead) would be off by about 0.5 tick: rejected.
      expect(Math.abs(got - (mean - 0.5))).toBeGreaterThan(4 * sd);
    }
  });

  it('is deterministic in (seed, path) across threads, sync and async, and keeps stats without events', async () => {
    const base = { endTime: 50, seed: 3, paths: 9 };
    const a = model.simulate({ ...base, threads: 1 });
    const b = await model.simulateAsync({ ...base, threads: 2 });
    expect(b.times).toEqual(a.times);
    expect(b.bid).toEqual(a.bid);
    expect(b.ask).toEqual(a.ask);
    expect(b.jump).toEqual(a.jump);
    const s = model.simulate({ ...base, statsOnly: true, threads: 2 });
    expect(s.times.length).toBe(0);
    expect(s.stats).toEqual(a.stats);
    // The same Hawkes paths as the plain process: marks use the same stream after each event,
    // so only the prices are added, never a different event sequence... checked by type counts.
    expect(a.stats.events).toBe(a.times.length);
  });

  it('refuses bad options, naming them', () => {
    const base = { hawkes, initialBid: 100, initialAsk: 100.1, tick: 0.05 };
    refused(() => new LobModel(null as never), 'ERR_INVALID_OPTION', /options object/);
    refused(() => new LobModel({ ...base, hawkes: new HawkesProcess({ mu: [1], alpha: [[0.5]], beta: 1 }) }), 'ERR_INVALID_OPTION', /8 dimensions .* got 1/);
    refused(() => new LobModel({ ...base, tick: 0 }), 'ERR_INVALID_OPTION', /tick must be a finite number > 0, got 0/);
    refused(() => new LobModel({ ...base, initialBid: 100.01 }), 'ERR_INVALID_OPTION', /initialBid 100\.01 is not a multiple of the tick 0\.05/);
    refused(() => new LobModel({ ...base, initialAsk: 100 }), 'ERR_INVALID_OPTION', /initialAsk \(100\) must be at least one tick above initialBid \(100\)/);
    refused(() => new LobModel({ ...base, initialAsk: NaN }), 'ERR_INVALID_OPTION', /initialAsk must be a finite number, got NaN/);
    refused(() => new LobModel({ ...base, jumps: { scale: [1, 2] } }), 'ERR_INVALID_OPTION', /jumps.scale must be a number or an array of 8 numbers/);
    refused(() => new LobModel({ ...base, jumps: { location: -1 } }), 'ERR_INVALID_OPTION', /jumps.location\[0\] must be a finite number >= 0 ticks, got -1/);
    refused(() => new LobModel({ ...base, jumps: { scale: [1, 1, 1, 1, 1, 1, 1, NaN] } }), 'ERR_INVALID_OPTION', /jumps.scale\[7\] .* got NaN/);
    refused(() => new LobModel({ ...base, hawkes: { mu: [1], alpha: [[-1]], beta: 1 } }), 'ERR_HAWKES_PARAMETER', /alpha\[0\]\[0\]/);
    refused(() => model.simulate({ endTime: -1 }), 'ERR_INVALID_OPTION', /endTime/);
  });
});

// LobModel.fit: a long LobModel simulation fitted back. The jump laws (the simulator's rounding,
// and the LA spread cap as right-censoring when spreads are given) recover the true location and
// scale within 3 standard errors; without spreads the LA laws are biased low and the fit says so.
// The Hawkes part recovers mu and alpha (within 4 standard errors, at most two of 72 beyond 3) once
// HawkesProcess.fit returns the maximum (issue 14, deliverable 1; the test waits on its
// certificate, `converged`, and is skipped, saying so, before). The
// fitted config runs in runBacktest as it is; hostile feeds and options are refused.
import { describe, expect, it } from 'vitest';

import { HawkesProcess, HawkgraphError, LOB_EVENT_TYPES, LobModel, runBacktest } from '../dist/index.js';
import { refused } from './helpers/errors';

const TICK = 0.01;
const BID = 100, ASK = 100.03;
// The default backtest process with a little buy/sell cross-excitation; spectral radius 0.6.
const MU = [1.5, 1.5, 7, 7, 1.5, 1.5, 10, 10];
const ALPHA = MU.map((_, k) => MU.map((__, l) => (k === l ? 10 : (k ^ l) === 1 ? 2 : 0)));
const BETA = 20;
// Locations inside a rounding cell (on a cell's edge the likelihood has a kink and no standard error).
const LOCATION = [0.6, 0.6, 1.2, 1.2, 1, 1, 1, 1];
const SCALE = [0.8, 0.8, 1.5, 1.5, 0.4, 0.4, 0, 0];
const END = 2000;

function simulate(seed: number) {
  const hawkes = new HawkesProcess({ mu: MU, alpha: ALPHA, beta: BETA });
  const model = new LobModel({ hawkes, jumps: { location: LOCATION, scale: SCALE }, tick: TICK, initialBid: BID, initialAsk: ASK });
  const sim = model.simulate({ endTime: END, seed });
  // The spread in ticks just before each event: the book after the previous one.
  const n = sim.times.length;
  const spreads = new Float64Array(n);
  let bid = BID, ask = ASK;
  for (let i = 0; i < n; i++) {
    spreads[i] = Math.round((ask - bid) / TICK);
    bid = sim.bid[i];
    ask = sim.ask[i];
  }
  return { hawkes, sim, spreads, jumps: Float64Array.from(sim.jump) };
}

describe('LobModel.fit', () => {
  const { hawkes, sim, spreads, jumps } = simulate(7);
  const fit = LobModel.fit({ times: sim.times, types: sim.types, jumps, spreads }, { startTime: 0, endTime: END, beta: BETA, tick: TICK });

  it('recovers every jump law within 3 standard errors, LA jumps censored by the spread', () => {
    expect(sim.times.length).toBeGreaterThan(150_000);
    expect(fit.warnings).toEqual([]);
    for (let k = 0; k < 6; k++) {
      const j = fit.jumps[k];
      expect(j.type).toBe(LOB_EVENT_TYPES[k]);
      expect(j.source).toBe('type');
      expect(j.exact).toBeGreaterThan(4000);
      for (const field of ['location', 'scale'] as const) {
        const se = j.stdErr[field];
        expect(se, `${j.type}.${field} stdErr`).toBeGreaterThan(0);
        expect(se).toBeLessThan(0.1);
        expect(Math.abs(j[field] - (field === 'location' ? LOCATION : SCALE)[k]), `${j.type}.${field} = ${j[field]} +- ${se}`).toBeLessThan(3 * se);
      }
    }
    // A third of the LA jumps filled the spread: those say only J >= spread - 1.
    expect(fit.jumps[2].censored).toBeGreaterThan(1000);
    expect(fit.jumps[0].censored).toBe(0);
    expect(fit.jumps.slice(6).map((j) => j.source)).toEqual(['none', 'none']);
    expect(fit.config.jumps.location).toEqual(fit.jumps.map((j) => j.location));
    expect(fit.config.jumps.scale).toEqual(fit.jumps.map((j) => j.scale));
    const counts = new Array(8).fill(0);
    for (const k of sim.types) counts[k]++;
    expect(fit.counts).toEqual(counts);
  });

  it('without spreads fits LA jumps as exact, biased low, and warns', () => {
    const plain = LobModel.fit({ times: sim.times, types: sim.types, jumps }, { startTime: 0, endTime: END, beta: BETA });
    expect(plain.warnings.join('\n')).toMatch(/LA location and scale are biased low/);
    for (const k of [2, 3]) {
      expect(plain.jumps[k].scale).toBeLessThan(SCALE[k] - 5 * fit.jumps[k].stdErr.scale);
      expect(plain.jumps[k].exact).toBeGreaterThan(fit.jumps[k].exact);
    }
    // The other types' laws do not depend on spreads.
    for (const k of [0, 1, 4, 5]) expect(plain.jumps[k].location).toBe(fit.jumps[k].location);
  });

  const certified = 'converged' in fit.hawkes;
  // 72 estimates: one of them beyond 3 standard errors is no surprise (about one seed in six),
  // so each must be within 4, and at most two beyond 3.
  it.skipIf(!certified)('recovers mu and alpha within 4 standard errors, at most two beyond 3 (waits on the rewritten HawkesProcess.fit)', () => {
    expect(fit.hawkes.logLikelihood).toBeGreaterThanOrEqual(hawkes.logLikelihood(sim.times, sim.types, END) - 1e-6);
    const z: number[] = [];
    for (let k = 0; k < 8; k++) {
      z.push((fit.hawkes.params.mu[k] - MU[k]) / fit.hawkes.stdErr.mu[k]);
      for (let l = 0; l < 8; l++) {
        const se = fit.hawkes.stdErr.alpha[k][l];
        // An estimate on the bound 0 has no standard error (NaN): its true value must be 0.
        if (Number.isNaN(se)) expect(ALPHA[k][l], `alpha[${k}][${l}] on the bound`).toBe(0);
        else z.push((fit.hawkes.params.alpha[k][l] - ALPHA[k][l]) / se);
      }
    }
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(4);
    expect(z.filter((x) => Math.abs(x) > 3).length).toBeLessThanOrEqual(2);
    expect(fit.branchingRatio).toBeGreaterThan(0.5);
    expect(fit.branchingRatio).toBeLessThan(0.7);
  });

  it('returns a config runBacktest and LobModel take as they are', () => {
    expect(fit.config.tick).toBe(TICK);
    expect(fit.config.hawkes).toEqual(fit.hawkes.params);
    expect(fit.window).toEqual({ startTime: 0, endTime: END });
    const r = runBacktest({ ...fit.config, strategy: 'sym', paths: 8, horizon: 30, seed: 1 });
    expect(r.config.jumps).toEqual(fit.config.jumps);
    expect(r.config.tick).toBe(TICK);
    expect(Number.isFinite(r.metrics.mean)).toBe(true);
    const model = new LobModel({ ...fit.config, initialBid: BID, initialAsk: ASK });
    expect(model.simulate({ endTime: 5, seed: 1 }).times.length).toBeGreaterThan(100);
  });

  it('reads events as objects with type names the same as columns', () => {
    const n = 30_000;
    const objects = Array.from({ length: n }, (_, i) => ({ time: sim.times[i], type: LOB_EVENT_TYPES[sim.types[i]], jump: jumps[i], spread: spreads[i] }));
    const end = sim.times[n - 1];
    const a = LobModel.fit(objects, { startTime: 0, endTime: end, beta: BETA });
    const b = LobModel.fit({ times: sim.times.subarray(0, n), types: sim.types.subarray(0, n), jumps: jumps.subarray(0, n), spreads: spreads.subarray(0, n) }, { startTime: 0, endTime: end, beta: BETA });
    expect(a.jumps).toEqual(b.jumps);
    expect(a.hawkes.logLikelihood).toBe(b.hawkes.logLikelihood);
    // Defaults: the window from the first to the last event.
    const c = LobModel.fit(objects, { beta: BETA });
    expect(c.window).toEqual({ startTime: sim.times[0], endTime: end });
  });

  it('shares one law when asked, or for a type with too few jumps', () => {
    const n = 50_000;
    const part = { times: sim.times.subarray(0, n), types: sim.types.subarray(0, n), jumps: jumps.subarray(0, n), spreads: spreads.subarray(0, n) };
    const shared = LobModel.fit(part, { beta: BETA, jumpLaw: 'shared' });
    for (let k = 0; k < 6; k++) {
      expect(shared.jumps[k].source).toBe('shared');
      expect(shared.jumps[k].location).toBe(shared.sharedJumps.location);
      expect(shared.config.jumps.scale[k]).toBe(shared.sharedJumps.scale);
    }
    const few = LobModel.fit(part, { beta: BETA, minJumps: 1500 });
    expect(few.jumps[2].exact).toBeLessThan(1500);
    expect(few.jumps[0].exact).toBeGreaterThanOrEqual(1500);
    expect(few.jumps[2].source).toBe('shared');
    expect(few.jumps[0].source).toBe('type');
    expect(few.jumps[2].scale).toBe(shared.sharedJumps.scale);
    expect(few.warnings.join('\n')).toMatch(/LAb: \d+ exact jumps \(fewer than minJumps = 1500\)/);
    expect(shared.sharedJumps.exact).toBe(few.jumps.slice(0, 6).reduce((sum, j) => sum + j.exact, 0));
  });

  it('fits a law whose jumps are all one size as that size with scale 0', () => {
    const n = 30_000;
    const same = Float64Array.from(sim.types.subarray(0, n), (k) => (k >= 6 ? 0 : 2));
    const f = LobModel.fit({ times: sim.times.subarray(0, n), types: sim.types.subarray(0, n), jumps: same }, { beta: BETA });
    for (let k = 0; k < 6; k++) expect([f.jumps[k].location, f.jumps[k].scale]).toEqual([2, 0]);
    expect(Number.isNaN(f.jumps[0].stdErr.scale)).toBe(true);
    expect(() => runBacktest({ ...f.config, strategy: 'sym', paths: 2, horizon: 5 })).not.toThrow();
  });
});

describe('LobModel.fit refuses', () => {
  const times = Float64Array.from({ length: 16 }, (_, i) => i * 0.5);
  const types = Int32Array.from({ length: 16 }, (_, i) => i % 8);
  const jumps = Float64Array.from(types, (k) => (k >= 6 ? 0 : 1));
  const spreads = new Float64Array(16).fill(3);
  const ok = { times, types, jumps };
  const with_ = (i: number, patch: Partial<{ time: number; type: unknown; jump: unknown; spread: unknown }>) =>
    Array.from({ length: 16 }, (_, j) => ({ time: times[j], type: types[j], jump: jumps[j], spread: spreads[j], ...(j === i ? patch : {}) }));

  it.each([
    ['a number', 3, /events must be an array .* or columns/],
    ['an event that is not an object', [1, 2], /events\[0\] must be an object/],
    ['a time that is not a number', with_(3, { time: '1' as never }), /events\[3\]\.time must be a number, got "1"/],
    ['a NaN time', with_(4, { time: NaN }), /events\[4\]\.time must be finite, got NaN/],
    ['times out of order', with_(5, { time: 0.1 }), /events\[5\]\.time \(0\.1\) is before the previous event's/],
    ['an unknown type name', with_(2, { type: 'MAX' }), /events\[2\]\.type must be an integer in \[0, 7\] or one of MAb, .*got "MAX"/],
    ['a type out of range', with_(2, { type: 8 }), /events\[2\]\.type must be an integer in \[0, 7\]/],
    ['an MA jump of 0', with_(0, { jump: 0 }), /events\[0\]\.jump must be a whole number of ticks in \[1, \d+\] for a MAb event, got 0/],
    ['a fractional CA jump', with_(4, { jump: 1.5 }), /events\[4\]\.jump must be a whole number of ticks .* for a CAb event, got 1\.5/],
    ['a jump on an MN event', with_(6, { jump: 2 }), /events\[6\]\.jump must be 0 or missing for a MNb event/],
    ['an LA jump not below the spread', with_(2, { jump: 3 }), /events\[2\]\.jump \(3\) must be below the spread \(3 ticks\) for a LAb event/],
    ['a spread of 0', with_(1, { spread: 0 }), /events\[1\]\.spread must be a whole number of ticks >= 1, got 0/],
    ['a missing jump on a price-moving event', with_(1, { jump: undefined }), /events\[1\]\.jump must be a whole number .* got NaN/],
    ['an unknown column', { ...ok, prices: times }, /unknown events column "prices"/],
    ['a short column', { ...ok, jumps: jumps.subarray(0, 15) }, /events\.jumps must have one entry per event \(16\), got 15/],
    ['a column that is not an array', { ...ok, types: 'MAb' }, /events\.types must be an array or typed array, got "MAb"/],
    ['a string in a column', { ...ok, jumps: Array.from(jumps, (j, i) => (i === 9 ? '1' : j)) }, /events\.jumps\[9\] must be a number, got "1"/],
  ])('%s', (_, events, pattern) => {
    refused(() => LobModel.fit(events as never, { beta: 5 }), 'ERR_HAWKES_EVENTS', pattern);
  });

  it('a spread on some events only', () => {
    const events = with_(-1, {}).map((e, i) => (i === 3 ? { ...e, spread: undefined } : e));
    refused(() => LobModel.fit(events, { beta: 5 }), 'ERR_HAWKES_EVENTS', /events\[3\]\.spread is missing: give every event's spread or none/);
  });

  it.each([
    ['an unknown option', { betas: 5 }, /unknown LobModel\.fit option "betas"/],
    ['a startTime after the first event', { startTime: 0.2 }, /startTime must be a finite number at most the first event's time \(0\)/],
    ['an endTime before the last event', { endTime: 7 }, /endTime must be a finite number at least the last event's time \(7\.5\)/],
    ['a bad jumpLaw', { jumpLaw: 'pooled' }, /jumpLaw must be 'perType' or 'shared', got "pooled"/],
    ['a bad minJumps', { minJumps: 0 }, /minJumps must be an integer in \[1, /],
    ['a bad tick', { tick: -1 }, /tick must be a finite number > 0, got -1/],
    ['options that are not an object', 'fast', /LobModel\.fit options must be an object/],
  ])('%s', (_, options, pattern) => {
    refused(() => LobModel.fit(ok, options as never), 'ERR_INVALID_OPTION', pattern);
  });

  it('an unreadable feed, with the caller error as the cause', () => {
    const events = [{ get time(): number { throw new Error('feed gone'); }, type: 0, jump: 1 }];
    let caught: unknown;
    try {
      LobModel.fit(events);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HawkgraphError);
    expect((caught as HawkgraphError).code).toBe('ERR_HAWKES_EVENTS');
    expect((caught as Error).message).toMatch(/events could not be read: feed gone/);
    expect(((caught as Error).cause as Error).message).toBe('feed gone');
  });

  it('a feed with a type that never occurs, or no events', () => {
    const keep = (_: number, i: number) => types[i] !== 7;
    const noMNs = { times: times.filter(keep), types: types.filter(keep), jumps: jumps.filter(keep) };
    refused(() => LobModel.fit(noMNs, { beta: 5 }), 'ERR_FIT_UNIDENTIFIABLE', /no MNs events/);
    refused(() => LobModel.fit([], {}), 'ERR_FIT_UNIDENTIFIABLE', /no events/);
  });
});

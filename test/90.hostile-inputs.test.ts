/**
 * Hostile input at every public entry point of the Hawkes, LOB, live-intensity, backtest and
 * stream APIs, and the GNN engine's (createEngine, predict, predictBatch, features, BookBatch): NaN, infinities, -0, huge and unsafe integers, wrong types (strings, BigInt,
 * symbols, null), getters and Proxy traps that throw, holey arrays, wrong lengths, typed arrays
 * of the wrong type, detached and SharedArrayBuffer-backed arrays, corrupt policy files, aborted
 * signals and throwing listeners and strategies. Each refusal must be a HawkgraphError with a
 * stable code and a message naming the field; nothing may crash, hang or be left half-changed;
 * edge cases that are valid must work.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  DEFAULT_LOB_HAWKES,
  HawkesIntensity,
  HawkesProcess,
  HawkgraphError,
  LobModel,
  computeMetrics,
  createEngine,
  glftOffsets,
  quantileSorted,
  runBacktest,
  runBacktestAsync,
  runStudy,
  runStudyAsync,
} from '../dist/index.js';
import { refused } from './helpers/errors';
import { modelPath } from './helpers/fixtures';
import { policyFile } from './helpers/policy';
import { f32, writeSafetensors, type SafetensorsFile, type Tensor } from './helpers/safetensors';

// Per-test limit: every refusal below is immediate, and the slowest valid run takes well under a
// second, so a test that reaches this has hung.
const LIMIT = { timeout: 20_000 };

const boom = () => new RangeError('boom from the caller');

/** An object whose `key` getter throws. */
function withThrowingGetter<T extends object>(base: T, key: string): T {
  const o = { ...base } as Record<string, unknown>;
  delete o[key];
  Object.defineProperty(o, key, { enumerable: true, get: () => { throw boom(); } });
  return o as T;
}

/** A Proxy of `base` whose get trap throws for `key`. */
function trapping<T extends object>(base: T, key: string | symbol): T {
  return new Proxy(base, {
    get(target, k, receiver) {
      if (k === key) throw boom();
      return Reflect.get(target, k, receiver);
    },
  });
}

/** Transfers the array's buffer away: the view is left detached, of length 0. */
function detached<A extends ArrayBufferView>(a: A): A {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  return a;
}

function sharedF64(values: number[]): Float64Array {
  const a = new Float64Array(new SharedArrayBuffer(8 * values.length));
  a.set(values);
  return a;
}

async function refusedAsync(make: () => Promise<unknown>, code: string, pattern: RegExp): Promise<HawkgraphError> {
  let caught: unknown;
  try {
    await make();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HawkgraphError);
  expect((caught as HawkgraphError).code).toBe(code);
  expect((caught as HawkgraphError).message).toMatch(pattern);
  return caught as HawkgraphError;
}

/** The caller's own error from a getter or trap comes back as the cause of the refusal. */
function refusedWithCause(make: () => unknown, code: string, pattern: RegExp): void {
  refused(make, code, pattern);
  try {
    make();
  } catch (err) {
    expect((err as Error).cause).toBeInstanceOf(RangeError);
  }
}

const P2 = { mu: [0.5, 0.5], alpha: [[0.2, 0.1], [0.1, 0.2]], beta: [1, 1] };

/** The default LOB process's alpha with every entry mapped through f. */
function lobAlpha(f: (x: number) => number): number[][] {
  return Array.from(DEFAULT_LOB_HAWKES.alpha as ArrayLike<ArrayLike<number>>, (row) => Array.from(row, f));
}

// ---- HawkesProcess ----------------------------------------------------------------------------

describe('new HawkesProcess: hostile parameters', () => {
  const bad: [string, unknown, string, RegExp][] = [
    ['params undefined', undefined, 'ERR_HAWKES_PARAMETER', /params must be an object/],
    ['params null', null, 'ERR_HAWKES_PARAMETER', /params must be an object/],
    ['params a string', 'mu', 'ERR_HAWKES_PARAMETER', /params must be an object/],
    ['mu missing', { alpha: P2.alpha, beta: 1 }, 'ERR_HAWKES_PARAMETER', /mu must be an array of numbers, got undefined/],
    ['mu NaN', { ...P2, mu: [NaN, 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a finite number >= 0, got NaN/],
    ['mu +Infinity', { ...P2, mu: [1, Infinity] }, 'ERR_HAWKES_PARAMETER', /mu\[1\] must be a finite number >= 0, got Infinity/],
    ['mu -Infinity', { ...P2, mu: [-Infinity, 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] .* got -Infinity/],
    ['mu negative', { ...P2, mu: [-1e-300, 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a finite number >= 0/],
    ['mu a BigInt', { ...P2, mu: [1n, 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a number, got 1n \(a BigInt\)/],
    ['mu a symbol', { ...P2, mu: [Symbol('s'), 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a number, got a symbol \(Symbol\(s\)\)/],
    ['mu a string', { ...P2, mu: ['1', 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a number, got "1"/],
    ['mu null entry', { ...P2, mu: [null, 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a number, got null/],
    ['mu holey', { ...P2, mu: [, 1] }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a number, got undefined/],
    ['mu a string of digits', { ...P2, mu: '12' }, 'ERR_HAWKES_PARAMETER', /mu must be an array of numbers, got "12"/],
    ['mu empty (D = 0)', { mu: [], alpha: [], beta: 1 }, 'ERR_HAWKES_PARAMETER', /mu must have 1 to 64 entries, got 0/],
    ['mu of 65 (D = 65)', { mu: new Array(65).fill(0.1), alpha: [], beta: 1 }, 'ERR_HAWKES_PARAMETER', /mu must have 1 to 64 entries, got 65/],
    ['mu a BigInt64Array', { ...P2, mu: new BigInt64Array([1n, 1n]) }, 'ERR_HAWKES_PARAMETER', /mu\[0\] must be a number, got 1n/],
    ['mu a DataView', { ...P2, mu: new DataView(new ArrayBuffer(16)) }, 'ERR_HAWKES_PARAMETER', /mu must be an array of numbers, got a DataView/],
    ['mu detached', { ...P2, mu: detached(new Float64Array([0.5, 0.5])) }, 'ERR_HAWKES_PARAMETER', /mu must have 1 to 64 entries, got 0/],
    ['every mu 0', { ...P2, mu: [0, -0] }, 'ERR_HAWKES_PARAMETER', /mu must have at least one positive entry/],
    ['alpha not D x D', { ...P2, alpha: [[0.1], [0.1, 0.1]] }, 'ERR_HAWKES_PARAMETER', /alpha\[0\] must be an array of 2 numbers, got an array of length 1/],
    ['alpha of 3 rows', { ...P2, alpha: [[0, 0], [0, 0], [0, 0]] }, 'ERR_HAWKES_PARAMETER', /alpha must be a 2 x 2 matrix/],
    ['alpha negative', { ...P2, alpha: [[0, -0.1], [0, 0]] }, 'ERR_HAWKES_PARAMETER', /alpha\[0\]\[1\] must be a finite number >= 0, got -0.1/],
    ['alpha NaN', { ...P2, alpha: [[0, 0], [NaN, 0]] }, 'ERR_HAWKES_PARAMETER', /alpha\[1\]\[0\] .* got NaN/],
    ['alpha holey row', { ...P2, alpha: [[0, 0], [, 0]] }, 'ERR_HAWKES_PARAMETER', /alpha\[1\]\[0\] must be a number, got undefined/],
    ['beta 0', { ...P2, beta: 0 }, 'ERR_HAWKES_PARAMETER', /beta\[0\]\[0\] must be a finite number > 0, got 0/],
    ['beta -0', { ...P2, beta: -0 }, 'ERR_HAWKES_PARAMETER', /beta\[0\]\[0\] must be a finite number > 0/],
    ['beta NaN', { ...P2, beta: [1, NaN] }, 'ERR_HAWKES_PARAMETER', /beta\[1\]\[0\] .* got NaN/],
    ['beta Infinity', { ...P2, beta: Infinity }, 'ERR_HAWKES_PARAMETER', /beta\[0\]\[0\] .* got Infinity/],
    ['beta a BigInt', { ...P2, beta: 1n }, 'ERR_HAWKES_PARAMETER', /beta must be a number, an array of 2 numbers .* got 1n/],
    ['beta a string', { ...P2, beta: '1' }, 'ERR_HAWKES_PARAMETER', /beta must be .* got "1"/],
    ['beta of 3', { ...P2, beta: [1, 1, 1] }, 'ERR_HAWKES_PARAMETER', /beta must be .* got an array of length 3/],
    ['beta rows mixed', { ...P2, beta: [1, [1, 1]] }, 'ERR_HAWKES_PARAMETER', /beta\[1\] must be a number, got an array of length 2/],
    ['explosive', { ...P2, alpha: [[2, 0], [0, 2]] }, 'ERR_HAWKES_UNSTABLE', /spectral radius of alpha \/ beta is 2/],
    // alpha / beta overflowed to Infinity, and the spectral radius came out as 0: accepted as stable.
    ['beta 5e-324 (alpha / beta overflows)', { ...P2, beta: 5e-324 }, 'ERR_HAWKES_PARAMETER', /alpha\[0\]\[0\] \/ beta\[0\]\[0\] must be finite .* got 0.2 \/ 5e-324/],
    ['alpha / beta overflowing to 1', { ...P2, alpha: [[1e308, 0], [0, 1e308]], beta: 1e308 }, 'ERR_HAWKES_UNSTABLE', /spectral radius/],
    ['allowExplosive a string', { ...P2, allowExplosive: 'yes' }, 'ERR_INVALID_OPTION', /allowExplosive must be a boolean, got "yes"/],
    ['allowExplosive without maxEvents', { ...P2, allowExplosive: true }, 'ERR_INVALID_OPTION', /requires maxEvents/],
    ['maxEvents NaN', { ...P2, maxEvents: NaN }, 'ERR_INVALID_OPTION', /maxEvents must be an integer in \[1, 9007199254740991\], got NaN/],
    ['maxEvents 2^53 + 1', { ...P2, maxEvents: 2 ** 53 + 1 }, 'ERR_INVALID_OPTION', /maxEvents must be an integer .* got 9007199254740992/],
    ['maxEvents fractional', { ...P2, maxEvents: 1.5 }, 'ERR_INVALID_OPTION', /maxEvents .* got 1.5/],
    ['maxEvents a BigInt', { ...P2, maxEvents: 10n }, 'ERR_INVALID_OPTION', /maxEvents .* got 10n/],
    ['an unknown key', { ...P2, Mu: [1, 1] }, 'ERR_INVALID_OPTION', /unknown HawkesProcess option "Mu"/],
  ];
  for (const [name, params, code, pattern] of bad) {
    it(`refuses ${name} with ${code}`, () => refused(() => new HawkesProcess(params as never), code, pattern));
  }

  it('turns a getter or Proxy trap that throws into ERR_HAWKES_PARAMETER, keeping the cause', LIMIT, () => {
    refusedWithCause(() => new HawkesProcess(withThrowingGetter(P2, 'alpha')), 'ERR_HAWKES_PARAMETER', /params could not be read: boom from the caller/);
    refusedWithCause(() => new HawkesProcess(trapping(P2, 'beta')), 'ERR_HAWKES_PARAMETER', /params could not be read/);
    refusedWithCause(() => new HawkesProcess({ ...P2, mu: trapping([0.5, 0.5], '1') }), 'ERR_HAWKES_PARAMETER', /params could not be read/);
  });

  it('accepts -0, all-zero alpha, D = 1, D = 64, typed and SharedArrayBuffer-backed parameters', LIMIT, () => {
    expect(new HawkesProcess({ mu: [-0, 1], alpha: [[-0, 0], [0, 0]], beta: 1 }).branchingRatio()).toBe(0);
    const zero = new HawkesProcess({ ...P2, alpha: [[0, 0], [0, 0]] });
    expect(zero.branchingRatio()).toBe(0);
    expect(Array.from(zero.stationaryIntensity())).toEqual([0.5, 0.5]);
    expect(new HawkesProcess({ mu: [1], alpha: [[0.5]], beta: 1 }).dims).toBe(1);
    const D = 64;
    const big = new HawkesProcess({ mu: new Array(D).fill(0.1), alpha: Array.from({ length: D }, () => new Array(D).fill(0.001)), beta: 1 });
    expect(big.dims).toBe(64);
    expect(big.branchingRatio()).toBeCloseTo(0.064, 12);
    const typedMu = new HawkesProcess({ ...P2, mu: new Float32Array([0.5, 0.5]) });
    const sharedMu = new HawkesProcess({ ...P2, mu: sharedF64([0.5, 0.5]) });
    expect(sharedMu.branchingRatio()).toBe(typedMu.branchingRatio());
  });
});

// ---- simulate / simulateAsync -----------------------------------------------------------------

describe('HawkesProcess.simulate: hostile options', () => {
  const hp = new HawkesProcess(P2);
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['endTime NaN', { endTime: NaN }, /endTime must be a finite number > 0, got NaN/],
    ['endTime Infinity', { endTime: Infinity }, /endTime .* got Infinity/],
    ['endTime -Infinity', { endTime: -Infinity }, /endTime .* got -Infinity/],
    ['endTime 0', { endTime: 0 }, /endTime .* got 0/],
    ['endTime -0', { endTime: -0 }, /endTime .* got 0/],
    ['endTime negative', { endTime: -1 }, /endTime .* got -1/],
    ['endTime a string', { endTime: '1' }, /endTime .* got "1"/],
    ['endTime a BigInt', { endTime: 1n }, /endTime .* got 1n/],
    ['endTime missing', {}, /endTime .* got undefined/],
    ['paths 0', { endTime: 1, paths: 0 }, /paths must be an integer in \[1, 1099511627776\], got 0/],
    ['paths negative', { endTime: 1, paths: -1 }, /paths .* got -1/],
    ['paths fractional', { endTime: 1, paths: 1.5 }, /paths .* got 1.5/],
    ['paths MAX_SAFE_INTEGER', { endTime: 1, paths: Number.MAX_SAFE_INTEGER }, /paths .* got 9007199254740991/],
    ['paths 2^53 + 1', { endTime: 1, paths: 2 ** 53 + 1 }, /paths .* got 9007199254740992/],
    ['paths a BigInt', { endTime: 1, paths: 1n }, /paths .* got 1n/],
    ['paths a string', { endTime: 1, paths: '2' }, /paths .* got "2"/],
    ['maxEvents 0', { endTime: 1, maxEvents: 0 }, /maxEvents .* got 0/],
    ['maxEvents 2^53 + 1', { endTime: 1, maxEvents: 2 ** 53 + 1 }, /maxEvents .* got 9007199254740992/],
    ['threads 0', { endTime: 1, threads: 0 }, /threads must be an integer in \[1, 1024\], got 0/],
    ['threads MAX_SAFE_INTEGER', { endTime: 1, threads: Number.MAX_SAFE_INTEGER }, /threads .* got 9007199254740991/],
    ['threads fractional', { endTime: 1, threads: 1.5 }, /threads .* got 1.5/],
    ['seed negative', { endTime: 1, seed: -1 }, /seed must be an integer in \[0, 9007199254740991\], got -1/],
    ['seed 2^53', { endTime: 1, seed: 2 ** 53 }, /seed .* got 9007199254740992/],
    ['seed NaN', { endTime: 1, seed: NaN }, /seed .* got NaN/],
    ['maxStoredEvents 0', { endTime: 1, maxStoredEvents: 0 }, /maxStoredEvents .* got 0/],
    ['method unknown', { endTime: 1, method: 'euler' }, /method must be 'exact' or 'thinning', got "euler"/],
    ['method a symbol', { endTime: 1, method: Symbol('exact') }, /method .* got a symbol/],
    ['intensity a number', { endTime: 1, intensity: 1 }, /intensity must be a boolean, got 1/],
    ['statsOnly a string', { endTime: 1, statsOnly: 'true' }, /statsOnly must be a boolean, got "true"/],
    ['backend unknown', { endTime: 1, backend: 'gpu' }, /backend must be 'cpu' or 'cuda', got "gpu"/],
    ['an unknown option', { endTime: 1, endtime: 2 }, /unknown option "endtime"/],
    ['signal on the blocking call', { endTime: 1, signal: new AbortController().signal }, /signal is an option of simulateAsync/],
    ['onProgress on the blocking call', { endTime: 1, onProgress: () => {} }, /onProgress is an option of simulateAsync/],
  ];
  for (const [name, options, pattern] of bad) {
    it(`refuses ${name} (ERR_INVALID_OPTION)`, () => refused(() => hp.simulate(options as never), 'ERR_INVALID_OPTION', pattern));
    it(`simulateAsync rejects ${name} without throwing synchronously`, async () => {
      if ('signal' in options || 'onProgress' in options) return; // valid for simulateAsync
      const promise = hp.simulateAsync(options as never);
      await refusedAsync(() => promise, 'ERR_INVALID_OPTION', pattern);
    });
  }

  it('refuses options that are not an object, or cannot be read', LIMIT, () => {
    for (const o of [undefined, null, 1, 'endTime', 1n]) refused(() => hp.simulate(o as never), 'ERR_INVALID_OPTION', /simulate expects an options object/);
    refusedWithCause(() => hp.simulate(withThrowingGetter({ endTime: 1 }, 'endTime')), 'ERR_INVALID_OPTION', /simulate options could not be read/);
    refusedWithCause(() => hp.simulate(trapping({ endTime: 1, paths: 2 }, 'paths')), 'ERR_INVALID_OPTION', /simulate options could not be read/);
  });

  it('runs the edge cases: paths = 1, a tiny endTime, maxEvents 1 and MAX_SAFE_INTEGER, threads 1024 with 2 paths, D = 64', LIMIT, () => {
    const one = hp.simulate({ endTime: 10, paths: 1, seed: 3 });
    expect(one.pathOffsets.length).toBe(2);
    expect(one.pathOffsets[1]).toBe(one.times.length);
    const tiny = hp.simulate({ endTime: 5e-324 });
    expect(tiny.times.length).toBe(0);
    expect(tiny.truncated[0]).toBe(0);
    const capped = hp.simulate({ endTime: 1e6, maxEvents: 1 });
    expect(capped.times.length).toBe(1);
    expect(capped.truncated[0]).toBe(1);
    expect(hp.simulate({ endTime: 10, maxEvents: Number.MAX_SAFE_INTEGER, seed: 3 }).times).toEqual(one.times);
    const many = hp.simulate({ endTime: 10, paths: 2, threads: 1024, seed: 3 });
    expect(many.times.subarray(0, many.pathOffsets[1])).toEqual(one.times);
    const D = 64;
    const big = new HawkesProcess({ mu: new Array(D).fill(0.05), alpha: Array.from({ length: D }, (_, k) => new Array(D).fill(0).map((__, l) => (k === l ? 0.5 : 0))), beta: 1 });
    const s = big.simulate({ endTime: 20, seed: 1 });
    expect(s.times.length).toBeGreaterThan(0);
    expect(Math.max(...s.types)).toBeLessThan(64);
    const zero = new HawkesProcess({ ...P2, alpha: [[0, 0], [0, 0]] }).simulate({ endTime: 100, seed: 1, method: 'thinning' });
    expect(zero.times.length).toBeGreaterThan(50);
  });

  it('refuses a run whose intensity could overflow (thinning then never advanced), for both methods, sync and async', LIMIT, async () => {
    const huge = new HawkesProcess({ mu: [1], alpha: [[1e308]], beta: 1e300, allowExplosive: true, maxEvents: 1000 });
    for (const method of ['thinning', 'exact'] as const) {
      refused(() => huge.simulate({ endTime: 10, method }), 'ERR_INVALID_OPTION', /maxEvents 1000 could raise the intensity to Infinity .* lower maxEvents or alpha/);
      await refusedAsync(() => huge.simulateAsync({ endTime: 10, method }), 'ERR_INVALID_OPTION', /could raise the intensity/);
    }
    const big = new HawkesProcess({ mu: [1], alpha: [[1e296]], beta: 1e300 });
    refused(() => big.simulate({ endTime: 10 }), 'ERR_INVALID_OPTION', /maxEvents 10000000 could raise the intensity to 1e\+303/);
    const capped = big.simulate({ endTime: 10, method: 'thinning', maxEvents: 1000, seed: 1 });
    expect(capped.times.length).toBeLessThanOrEqual(1000);
    const lob8 = { ...DEFAULT_LOB_HAWKES, alpha: lobAlpha((x) => (x ? 1e300 : 0)), beta: 1e301 };
    refused(() => new LobModel({ hawkes: lob8, initialBid: 100, initialAsk: 100.01 }).simulate({ endTime: 1 }), 'ERR_INVALID_OPTION', /could raise the intensity/);
  });

  it('simulateAsync with an already-aborted signal rejects with its reason and starts nothing', LIMIT, async () => {
    const reason = new Error('stop before start');
    const t0 = performance.now();
    await expect(hp.simulateAsync({ endTime: 1e9, statsOnly: true, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('simulateAsync refuses a signal or onProgress of the wrong type, or one that cannot be read', LIMIT, async () => {
    await refusedAsync(() => hp.simulateAsync({ endTime: 1, signal: { aborted: true } as never }), 'ERR_INVALID_OPTION', /signal must be an AbortSignal, got an object/);
    await refusedAsync(() => hp.simulateAsync({ endTime: 1, onProgress: 'log' as never }), 'ERR_INVALID_OPTION', /onProgress must be a function, got "log"/);
    const unreadable = Object.defineProperty({ endTime: 1 }, 'signal', { enumerable: true, get: () => { throw boom(); } });
    await refusedAsync(() => hp.simulateAsync(unreadable as never), 'ERR_INVALID_OPTION', /could not be read/);
  });

  it('an onProgress that throws ends the run: the promise rejects with its error and the process still works', LIMIT, async () => {
    const listenerError = new Error('progress listener failed');
    let calls = 0;
    const t0 = performance.now();
    // Far more work than the test could wait for: only the listener's throw ends it.
    const run = hp.simulateAsync({ endTime: 1e12, paths: 2, statsOnly: true, maxEvents: Number.MAX_SAFE_INTEGER, onProgress: () => {
      calls++;
      throw listenerError;
    } });
    await expect(run).rejects.toBe(listenerError);
    expect(calls).toBe(1);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(hp.simulate({ endTime: 10, seed: 3 }).times.length).toBeGreaterThan(0);
  });
});

// ---- logLikelihood and fit --------------------------------------------------------------------

describe('logLikelihood and fit: hostile event streams', () => {
  const hp = new HawkesProcess(P2);
  const bad: [string, unknown, unknown, unknown, RegExp][] = [
    ['times null', null, [], 1, /times must be an array of numbers, got null/],
    ['times a string', '0.1', [0, 0, 0], 1, /times must be an array of numbers, got "0.1"/],
    ['times an object', { length: 1, 0: 0.1 }, [0], 1, /times must be an array of numbers, got an object/],
    ['a BigInt time', [1n], [0], 2, /times\[0\] must be a number, got 1n/],
    ['a symbol time', [0.1, Symbol('t')], [0, 0], 2, /times\[1\] must be a number, got a symbol/],
    ['a string time', ['0.1'], [0], 2, /times\[0\] must be a number, got "0.1"/],
    ['a null time', [null], [0], 2, /times\[0\] must be a number, got null/],
    ['a hole in times', [, 0.2], [0, 1], 1, /times\[0\] must be a number, got undefined/],
    ['a NaN time', [0.1, NaN], [0, 0], 1, /times\[1\] must be a finite number >= 0, got NaN/],
    ['an infinite time', [Infinity], [0], 1, /times\[0\] must be a finite number >= 0, got Infinity/],
    ['a negative time', [-1e-300], [0], 1, /times\[0\] .* got -1e-300/],
    ['times out of order', [0.5, 0.2], [0, 1], 1, /times must be non-decreasing: times\[1\] = 0.2/],
    ['a time beyond endTime', [0.5, 2], [0, 1], 1, /endTime 1 is before the last event time 2/],
    ['a type out of range', [0.1], [2], 1, /types\[0\] must be an integer in \[0, 1\], got 2/],
    ['a negative type', [0.1], [-1], 1, /types\[0\] must be an integer in \[0, 1\], got -1/],
    ['a type of 2^31 (no Int32 wrap)', [0.1], [2 ** 31], 1, /types\[0\] must be an integer in \[0, 1\], got 2147483648/],
    ['a fractional type', [0.1], [0.5], 1, /types\[0\] must be an integer, got 0.5/],
    ['a NaN type', [0.1], [NaN], 1, /types\[0\] must be an integer, got NaN/],
    ['a string type', [0.1], ['0'], 1, /types\[0\] must be an integer, got "0"/],
    ['a BigInt type', [0.1], [0n], 1, /types\[0\] must be an integer, got 0n/],
    ['fractional types in a Float64Array', [0.1], new Float64Array([0.5]), 1, /types\[0\] must be an integer, got 0.5/],
    ['an Int32Array type out of range', [0.1], new Int32Array([7]), 1, /types\[0\] must be an integer in \[0, 1\], got 7/],
    ['lengths that differ', [0.1, 0.2], [0], 1, /same length, got 2 and 1/],
    ['detached times', detached(new Float64Array([0.1])), new Int32Array([0]), 1, /same length, got 0 and 1/],
    ['endTime NaN', [0.1], [0], NaN, /endTime must be a finite number > 0, got NaN/],
    ['endTime Infinity', [0.1], [0], Infinity, /endTime .* got Infinity/],
    ['endTime 0 on an empty stream', [], [], 0, /endTime .* got 0/],
    ['endTime a string', [0.1], [0], '1', /endTime must be a number, got "1"/],
    ['endTime a BigInt', [0.1], [0], 1n, /endTime must be a number, got 1n/],
  ];
  for (const [name, times, types, endTime, pattern] of bad) {
    it(`logLikelihood refuses ${name} (ERR_HAWKES_EVENTS)`, () => refused(() => hp.logLikelihood(times as never, types as never, endTime as never), 'ERR_HAWKES_EVENTS', pattern));
  }

  it('turns a Proxy of times whose trap throws into ERR_HAWKES_EVENTS', () => {
    refusedWithCause(() => hp.logLikelihood(trapping([0.1, 0.2], '1'), [0, 1], 1), 'ERR_HAWKES_EVENTS', /times and types could not be read/);
  });

  it('accepts -0, simultaneous events, an empty stream, and typed, shared and Proxy arrays alike', () => {
    const want = hp.logLikelihood([0, 0.3, 0.3], [0, 1, 0], 2);
    expect(hp.logLikelihood([-0, 0.3, 0.3], [0, 1, 0], 2)).toBe(want);
    expect(hp.logLikelihood(sharedF64([0, 0.3, 0.3]), new Int32Array(new SharedArrayBuffer(12)).fill(0).map((_, i) => [0, 1, 0][i]), 2)).toBe(want);
    expect(hp.logLikelihood(new Float32Array([0, 0.3, 0.3]), new Uint8Array([0, 1, 0]), 2)).toBeCloseTo(want, 6);
    expect(hp.logLikelihood(new Proxy([0, 0.3, 0.3], {}), [0, 1, 0], 2)).toBe(want);
    expect(hp.logLikelihood([], [], 2)).toBeCloseTo(-2, 12); // -sum(mu) * T
  });

  const sim = hp.simulate({ endTime: 300, seed: 5 });
  const fitBad: [string, () => unknown, string, RegExp][] = [
    ['a negative type', () => HawkesProcess.fit([0.1], [-1], 1), 'ERR_HAWKES_EVENTS', /types\[0\] must be an integer in \[0, 63\], got -1/],
    ['a type of 64 without dims', () => HawkesProcess.fit([0.1], [64], 1), 'ERR_HAWKES_EVENTS', /types\[0\] must be an integer in \[0, 63\], got 64/],
    ['a type of 1e9 without dims', () => HawkesProcess.fit([0.1], [1e9], 1), 'ERR_HAWKES_EVENTS', /types\[0\] .* got 1000000000/],
    ['a type beyond dims', () => HawkesProcess.fit(sim.times, sim.types, 300, { dims: 1 }), 'ERR_HAWKES_EVENTS', /types\[\d+\] must be an integer in \[0, 0\], got 1/],
    ['no events', () => HawkesProcess.fit([], [], 1), 'ERR_FIT_UNIDENTIFIABLE', /no events/],
    ['dims 0', () => HawkesProcess.fit(sim.times, sim.types, 300, { dims: 0 }), 'ERR_INVALID_OPTION', /dims must be an integer in \[1, 64\], got 0/],
    ['dims 65', () => HawkesProcess.fit(sim.times, sim.types, 300, { dims: 65 }), 'ERR_INVALID_OPTION', /dims .* got 65/],
    ['dims NaN', () => HawkesProcess.fit(sim.times, sim.types, 300, { dims: NaN }), 'ERR_INVALID_OPTION', /dims .* got NaN/],
    ['dims a string', () => HawkesProcess.fit(sim.times, sim.types, 300, { dims: '2' as never }), 'ERR_INVALID_OPTION', /dims .* got "2"/],
    ['an unknown option', () => HawkesProcess.fit(sim.times, sim.types, 300, { dim: 2 } as never), 'ERR_INVALID_OPTION', /unknown fit option "dim"/],
    ['options null', () => HawkesProcess.fit(sim.times, sim.types, 300, null as never), 'ERR_INVALID_OPTION', /fit options must be an object, got null/],
    ['beta NaN', () => HawkesProcess.fit(sim.times, sim.types, 300, { beta: NaN }), 'ERR_INVALID_OPTION', /beta\[0\]\[0\] must be a finite number > 0, got NaN/],
    ['beta 0', () => HawkesProcess.fit(sim.times, sim.types, 300, { beta: [1, 0] }), 'ERR_INVALID_OPTION', /beta\[1\]\[0\] .* got 0/],
    ['beta Infinity', () => HawkesProcess.fit(sim.times, sim.types, 300, { beta: Infinity }), 'ERR_INVALID_OPTION', /beta\[0\]\[0\] .* got Infinity/],
    ['beta a BigInt', () => HawkesProcess.fit(sim.times, sim.types, 300, { beta: 2n as never }), 'ERR_INVALID_OPTION', /beta must be .* got 2n/],
    ['endTime NaN', () => HawkesProcess.fit(sim.times, sim.types, NaN), 'ERR_HAWKES_EVENTS', /endTime must be a finite number > 0, got NaN/],
    ['endTime before the last event', () => HawkesProcess.fit(sim.times, sim.types, 1), 'ERR_HAWKES_EVENTS', /endTime 1 is before the last event time/],
    ['a BigInt time', () => HawkesProcess.fit([1n] as never, [0], 2), 'ERR_HAWKES_EVENTS', /times\[0\] must be a number, got 1n/],
    ['too few events', () => HawkesProcess.fit([1], [0], 2), 'ERR_FIT_UNIDENTIFIABLE', /only 1 events of type 0/],
  ];
  for (const [name, make, code, pattern] of fitBad) {
    it(`fit refuses ${name} (${code})`, LIMIT, () => refused(make, code, pattern));
  }

  it('fit turns unreadable options into ERR_INVALID_OPTION and still fits afterwards', LIMIT, () => {
    refusedWithCause(() => HawkesProcess.fit(sim.times, sim.types, 300, withThrowingGetter({ dims: 2 }, 'dims')), 'ERR_INVALID_OPTION', /fit options could not be read/);
    const fit = HawkesProcess.fit(sim.times, sim.types, 300, { beta: [1, 1] });
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
    expect(fit.params.mu.length).toBe(2);
  });
});

// ---- HawkesIntensity --------------------------------------------------------------------------

describe('HawkesIntensity: hostile updates leave the state as it was', () => {
  const snapshot = (h: HawkesIntensity) => JSON.stringify([h.time, h.events, Array.from(h.intensities(h.time, new Float64Array(h.dims)))]);

  it('refuses bad constructor arguments', () => {
    for (const p of [undefined, null, 5, 'mu']) refused(() => new HawkesIntensity(p as never), 'ERR_HAWKES_PARAMETER', /params must be a HawkesProcess or an object/);
    refused(() => new HawkesIntensity({ ...P2, mu: [NaN, 1] }), 'ERR_HAWKES_PARAMETER', /mu\[0\] .* got NaN/);
    refusedWithCause(() => new HawkesIntensity(withThrowingGetter(P2, 'mu')), 'ERR_HAWKES_PARAMETER', /params could not be read/);
    refusedWithCause(() => new HawkesIntensity(trapping(P2, 'alpha')), 'ERR_HAWKES_PARAMETER', /params could not be read/);
    // Explosive parameters are fine here: nothing is simulated.
    expect(new HawkesIntensity({ mu: [1], alpha: [[5]], beta: 1 }).dims).toBe(1);
    refused(() => new HawkesIntensity({ mu: [1], alpha: [[1e308]], beta: 5e-324 }), 'ERR_HAWKES_PARAMETER', /must be finite \(the mean number of children/);
  });

  it('refuses every bad update and query without changing the state', () => {
    const live = new HawkesIntensity(P2);
    live.update(0, 1);
    live.update(1, 1.5);
    const before = snapshot(live);
    const badUpdates: [unknown, unknown, RegExp][] = [
      [NaN, 2, /type must be an integer in \[0, 1\], got NaN/],
      [-1, 2, /type .* got -1/],
      [2, 2, /type .* got 2/],
      [0.5, 2, /type .* got 0.5/],
      ['0', 2, /type .* got "0"/],
      [0n, 2, /type .* got 0n/],
      [Symbol('t'), 2, /type .* got a symbol/],
      [null, 2, /type .* got null/],
      [0, NaN, /time must be a finite number, got NaN/],
      [0, Infinity, /time .* got Infinity/],
      [0, -Infinity, /time .* got -Infinity/],
      [0, 1.4, /time 1.4 is before the last event time 1.5/],
      [0, -1, /time -1 is before the last event time 1.5/],
      [0, '3', /time must be a finite number, got "3"/],
      [0, 3n, /time .* got 3n/],
      [0, undefined, /time .* got undefined/],
    ];
    for (const [type, time, pattern] of badUpdates) {
      refused(() => live.update(type as never, time as never), 'ERR_HAWKES_EVENTS', pattern);
      expect(snapshot(live)).toBe(before);
    }
    const badOut: unknown[] = [new Float32Array(2), new Float64Array(1), [0, 0], 'ab', null, {}, detached(new Float64Array(2)), new Proxy(new Float64Array(2), {})];
    for (const out of badOut) {
      refused(() => live.intensities(2, out as never), 'ERR_INVALID_ARGUMENT', /out must be a Float64Array of at least 2 values/);
      expect(snapshot(live)).toBe(before);
    }
    refused(() => live.intensities(1), 'ERR_INVALID_ARGUMENT', /query time 1 is before the last event at 1.5/);
    refused(() => live.intensity(2, 2), 'ERR_HAWKES_EVENTS', /type must be an integer in \[0, 1\], got 2/);
    refused(() => live.intensity(0, NaN), 'ERR_HAWKES_EVENTS', /time must be a finite number, got NaN/);
    refused(() => live.trend(2), 'ERR_INVALID_ARGUMENT', /trend\(\) needs the 8-dimensional LOB process/);
    expect(snapshot(live)).toBe(before);
    // And it still works.
    live.update(0, 2);
    expect(live.events).toBe(3);
    expect(live.time).toBe(2);
  });

  it('handles the edges: -0, 1e308, a huge gap, a long out, a shared out, many events at one instant', () => {
    // maxGap: Infinity, or the gap to 1e300 would be refused as a feed in another unit (test/68).
    const live = new HawkesIntensity(P2, { maxGap: Infinity });
    live.update(0, -0);
    expect(Object.is(live.time, 0)).toBe(true);
    live.update(1, 1e300);
    const lam = live.intensities(1e308);
    expect(Array.from(lam)).toEqual([0.5, 0.5]);
    const long = new Float64Array(5).fill(7);
    expect(live.intensities(1e308, long)).toBe(long);
    expect(long[2]).toBe(7);
    const shared = new Float64Array(new SharedArrayBuffer(16));
    expect(Array.from(live.intensities(1e308, shared))).toEqual([0.5, 0.5]);
    // Excitation past the float64 range: Infinity, then back to mu once it has decayed (not NaN for good).
    const overflow = new HawkesIntensity({ mu: [1], alpha: [[1e308]], beta: 1e10 }, { maxGap: Infinity });
    overflow.update(0, 1);
    overflow.update(0, 1);
    expect(overflow.intensity(0)).toBe(Infinity);
    expect(overflow.intensity(0, 1e6)).toBe(1);
    overflow.update(0, 2e6);
    expect(overflow.intensity(0)).toBe(1 + 1e308);
    const burst = new HawkesIntensity(P2);
    for (let i = 0; i < 100_000; i++) burst.update(0, 1);
    expect(burst.intensity(0)).toBeCloseTo(0.5 + 100_000 * 0.2, 6);
    expect(Number.isFinite(burst.intensity(1, 1e6))).toBe(true);
  });
});

// ---- LobModel ---------------------------------------------------------------------------------

describe('LobModel: hostile options', () => {
  const hp8 = new HawkesProcess(DEFAULT_LOB_HAWKES);
  const base = { hawkes: hp8, initialBid: 100, initialAsk: 100.01 };
  const bad: [string, unknown, string, RegExp][] = [
    ['options null', null, 'ERR_INVALID_OPTION', /LobModel expects an options object, got null/],
    ['no hawkes', { initialBid: 100, initialAsk: 100.01 }, 'ERR_HAWKES_PARAMETER', /hawkes: params must be an object/],
    ['a 2-dimensional hawkes', { ...base, hawkes: P2 }, 'ERR_INVALID_OPTION', /hawkes must have 8 dimensions .* got 2/],
    ['a hawkes with NaN', { ...base, hawkes: { ...DEFAULT_LOB_HAWKES, mu: [NaN, 1, 1, 1, 1, 1, 1, 1] } }, 'ERR_HAWKES_PARAMETER', /hawkes: mu\[0\] .* got NaN/],
    ['tick 0', { ...base, tick: 0 }, 'ERR_INVALID_OPTION', /tick must be a finite number > 0, got 0/],
    ['tick NaN', { ...base, tick: NaN }, 'ERR_INVALID_OPTION', /tick .* got NaN/],
    ['tick a string', { ...base, tick: '0.01' }, 'ERR_INVALID_OPTION', /tick .* got "0.01"/],
    ['tick a BigInt', { ...base, tick: 1n }, 'ERR_INVALID_OPTION', /tick .* got 1n/],
    ['tick tiny (prices beyond 2^52 ticks)', { ...base, tick: 1e-300 }, 'ERR_INVALID_OPTION', /initialBid 100 is too many ticks/],
    ['initialBid NaN', { ...base, initialBid: NaN }, 'ERR_INVALID_OPTION', /initialBid must be a finite number, got NaN/],
    ['initialBid a string', { ...base, initialBid: '100' }, 'ERR_INVALID_OPTION', /initialBid .* got "100"/],
    ['initialBid off the grid', { ...base, initialBid: 100.005 }, 'ERR_INVALID_OPTION', /initialBid 100.005 is not a multiple of the tick 0.01/],
    ['initialBid 1e308', { ...base, initialBid: 1e308, initialAsk: 1e308 }, 'ERR_INVALID_OPTION', /initialBid 1e\+308 is/],
    ['a crossed book', { ...base, initialBid: 100.01, initialAsk: 100 }, 'ERR_INVALID_OPTION', /initialAsk \(100\) must be at least one tick above initialBid \(100.01\)/],
    ['a locked book', { ...base, initialAsk: 100 }, 'ERR_INVALID_OPTION', /at least one tick above/],
    ['jumps a string', { ...base, jumps: 'x' }, 'ERR_INVALID_OPTION', /jumps must be an object with location and scale, got "x"/],
    ['an unknown jumps field', { ...base, jumps: { locaton: 2 } }, 'ERR_INVALID_OPTION', /unknown field jumps.locaton/],
    ['jumps of 7 values', { ...base, jumps: { scale: [1, 1, 1, 1, 1, 1, 1] } }, 'ERR_INVALID_OPTION', /jumps.scale must be a number or an array of 8 numbers/],
    ['holey jumps', { ...base, jumps: { scale: new Array(8) } }, 'ERR_INVALID_OPTION', /jumps.scale\[0\] must be a number, got undefined/],
    ['a NaN jump', { ...base, jumps: { location: NaN } }, 'ERR_INVALID_OPTION', /jumps.location\[0\] must be a finite number >= 0 ticks, got NaN/],
    ['a negative jump', { ...base, jumps: { scale: -1 } }, 'ERR_INVALID_OPTION', /jumps.scale\[0\] .* got -1/],
    ['a jump of 1e308 ticks', { ...base, jumps: { location: 1e308 } }, 'ERR_INVALID_OPTION', /jumps.location\[0\] must be at most 1000000 ticks, got 1e\+308/],
    ['a jump scale beyond 1e6 ticks', { ...base, jumps: { scale: [1, 1, 1, 1, 1, 1, 1, 1e6 + 1] } }, 'ERR_INVALID_OPTION', /jumps.scale\[7\] must be at most 1000000 ticks/],
    ['an unknown option', { ...base, ticks: 0.01 }, 'ERR_INVALID_OPTION', /unknown LobModel option "ticks"/],
  ];
  for (const [name, options, code, pattern] of bad) {
    it(`refuses ${name} (${code})`, () => refused(() => new LobModel(options as never), code, pattern));
  }

  it('turns unreadable options into ERR_INVALID_OPTION', () => {
    refusedWithCause(() => new LobModel(withThrowingGetter(base, 'initialAsk')), 'ERR_INVALID_OPTION', /LobModel options could not be read/);
    refusedWithCause(() => new LobModel(trapping(base, 'hawkes')), 'ERR_INVALID_OPTION', /LobModel options could not be read/);
  });

  it('simulates the edges: jumps of exactly 1e6 ticks, negative prices, -0, paths = 1, a tiny endTime', LIMIT, () => {
    const wide = new LobModel({ ...base, jumps: { location: 1e6, scale: 0 } }).simulate({ endTime: 1, seed: 1 });
    expect(wide.times.length).toBeGreaterThan(0);
    for (let i = 0; i < wide.jump.length; i++) expect(wide.jump[i] === 0 || wide.jump[i] >= 1).toBe(true);
    for (let i = 0; i < wide.bid.length; i++) expect(wide.ask[i]).toBeGreaterThan(wide.bid[i]);
    const negative = new LobModel({ ...base, initialBid: -100, initialAsk: -99.99 }).simulate({ endTime: 5, seed: 1 });
    expect(negative.bid.length).toBeGreaterThan(0);
    expect(new LobModel({ ...base, initialBid: -0, initialAsk: 0.01 }).initialBid).toBe(0);
    expect(new LobModel(base).simulate({ endTime: 1e-300, paths: 1 }).times.length).toBe(0);
    const lob = new LobModel(base);
    refused(() => lob.simulate({ endTime: NaN }), 'ERR_INVALID_OPTION', /endTime must be a finite number > 0, got NaN/);
    refused(() => lob.simulate({ endTime: 1, threads: 0 }), 'ERR_INVALID_OPTION', /threads .* got 0/);
    expect(lob.simulate({ endTime: 1, seed: 2 }).times).toEqual(lob.simulate({ endTime: 1, seed: 2 }).times);
  });

  it('simulateAsync: an aborted signal rejects with its reason; bad options reject', LIMIT, async () => {
    const lob = new LobModel(base);
    await expect(lob.simulateAsync({ endTime: 1e9, statsOnly: true, signal: AbortSignal.abort('why') })).rejects.toBe('why');
    await refusedAsync(() => lob.simulateAsync({ endTime: 1, paths: 2 ** 53 + 1 }), 'ERR_INVALID_OPTION', /paths .* got 9007199254740992/);
  });
});

// ---- Backtests --------------------------------------------------------------------------------

const SMALL = { paths: 2, horizon: 1, threads: 1 };
// The factor that takes the default process's spectral radius to 1.2.
const EXPLOSIVE = 1.2 / new HawkesProcess(DEFAULT_LOB_HAWKES).branchingRatio();

describe('runBacktest: hostile configs', () => {
  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['horizon NaN', { horizon: NaN }, 'ERR_INVALID_OPTION', /horizon must be a finite number of seconds > 0, got NaN/],
    ['horizon Infinity', { horizon: Infinity }, 'ERR_INVALID_OPTION', /horizon .* got Infinity/],
    ['horizon -0', { horizon: -0 }, 'ERR_INVALID_OPTION', /horizon .* got 0/],
    ['horizon a string', { horizon: '600' }, 'ERR_INVALID_OPTION', /horizon .* got "600"/],
    ['dt 5e-324 (too many steps)', { dt: 5e-324 }, 'ERR_INVALID_OPTION', /horizon \/ dt must be at most 1e9 steps/],
    ['paths 0', { paths: 0 }, 'ERR_INVALID_OPTION', /paths must be an integer in \[1, 1099511627776\], got 0/],
    ['paths fractional', { paths: 1.5 }, 'ERR_INVALID_OPTION', /paths .* got 1.5/],
    ['paths 2^53 + 1', { paths: 2 ** 53 + 1 }, 'ERR_INVALID_OPTION', /paths .* got 9007199254740992/],
    ['paths MAX_SAFE_INTEGER', { paths: Number.MAX_SAFE_INTEGER }, 'ERR_INVALID_OPTION', /paths .* got 9007199254740991/],
    ['paths a BigInt', { paths: 2n }, 'ERR_INVALID_OPTION', /paths .* got 2n/],
    ['paths 2^40 (results beyond 4 GiB)', { paths: 2 ** 40, timeGrid: 0 }, 'ERR_OUT_OF_MEMORY', /need more than 4 GiB/],
    ['threads MAX_SAFE_INTEGER', { threads: Number.MAX_SAFE_INTEGER }, 'ERR_INVALID_OPTION', /threads must be an integer in \[1, 1024\]/],
    ['threads 0', { threads: 0 }, 'ERR_INVALID_OPTION', /threads .* got 0/],
    ['inventoryLimit 0', { inventoryLimit: 0 }, 'ERR_INVALID_OPTION', /inventoryLimit must be an integer .* got 0/],
    ['inventoryLimit 2^53 + 1', { inventoryLimit: 2 ** 53 + 1 }, 'ERR_INVALID_OPTION', /inventoryLimit .* got 9007199254740992/],
    ['seed negative', { seed: -1 }, 'ERR_INVALID_OPTION', /seed must be an integer in \[0, 9007199254740991\], got -1/],
    ['seed 2^53', { seed: 2 ** 53 }, 'ERR_INVALID_OPTION', /seed .* got 9007199254740992/],
    ['tick 0', { tick: 0 }, 'ERR_INVALID_OPTION', /tick must be a finite number > 0, got 0/],
    ['tick 1e300 (prices off the grid)', { tick: 1e300 }, 'ERR_INVALID_OPTION', /initialBid 99.95 is not a multiple of the tick 1e\+300/],
    ['initialBid 1e300', { initialBid: 1e300, initialAsk: 1e300 + 1e290 }, 'ERR_INVALID_OPTION', /initialBid 1e\+300 is too many ticks/],
    ['initialAsk below initialBid', { initialAsk: 99 }, 'ERR_INVALID_OPTION', /initialAsk \(99\) must be at least one tick above initialBid/],
    ['fees.maker NaN', { fees: { maker: NaN } }, 'ERR_INVALID_OPTION', /fees.maker must be a rate in \(-1, 1\)/],
    ['fees.taker 1', { fees: { taker: 1 } }, 'ERR_INVALID_OPTION', /fees.taker must be a rate .* got 1/],
    ['fees an unknown field', { fees: { maker: 0, tacker: 0 } }, 'ERR_INVALID_OPTION', /unknown field fees.tacker/],
    ['fees null', { fees: null }, 'ERR_INVALID_OPTION', /fees must be an object/],
    ['Z1 NaN', { Z1: NaN }, 'ERR_INVALID_OPTION', /Z1 must be a probability in \[0, 1\], got NaN/],
    ['Z2 -0.1', { Z2: -0.1 }, 'ERR_INVALID_OPTION', /Z2 .* got -0.1/],
    ['Z3 just above 1', { Z3: 1.0000001 }, 'ERR_INVALID_OPTION', /Z3 .* got 1.0000001/],
    ['phi Infinity', { phi: Infinity }, 'ERR_INVALID_OPTION', /phi must be a finite number >= 0, got Infinity/],
    ['noiseVariance negative', { noiseVariance: -1 }, 'ERR_INVALID_OPTION', /noiseVariance must be a finite number >= 0, got -1/],
    ['timeGrid 100001', { timeGrid: 100001 }, 'ERR_INVALID_OPTION', /timeGrid must be an integer in \[0, 100000\]/],
    ['timeGrid fractional', { timeGrid: 1.5 }, 'ERR_INVALID_OPTION', /timeGrid .* got 1.5/],
    ['backend unknown', { backend: 'gpu' }, 'ERR_INVALID_OPTION', /backend must be 'cpu' or 'cuda', got "gpu"/],
    ['record a number', { record: 1 }, 'ERR_INVALID_OPTION', /record must be a boolean, got 1/],
    ['record too large', { record: true, paths: 1000, horizon: 1000, dt: 0.01 }, 'ERR_INVALID_OPTION', /record keeps every step/],
    ['jumps of 1e308 ticks', { jumps: { location: 1e308 } }, 'ERR_INVALID_OPTION', /jumps.location\[0\] must be at most 1000000 ticks/],
    ['an unknown jumps field', { jumps: { locaton: 1 } }, 'ERR_INVALID_OPTION', /unknown field jumps.locaton/],
    ['a 1-dimensional hawkes', { hawkes: { mu: [1], alpha: [[0]], beta: 1 } }, 'ERR_INVALID_OPTION', /hawkes must have 8 dimensions .* got 1/],
    ['an explosive hawkes', { hawkes: { ...DEFAULT_LOB_HAWKES, alpha: lobAlpha((x) => EXPLOSIVE * x) } }, 'ERR_HAWKES_UNSTABLE', /^hawkes: the spectral radius/],
    ['an explosive HawkesProcess instance', { hawkes: new HawkesProcess({ ...DEFAULT_LOB_HAWKES, alpha: lobAlpha((x) => EXPLOSIVE * x), allowExplosive: true, maxEvents: 100 }) }, 'ERR_HAWKES_UNSTABLE', /^hawkes: the spectral radius of alpha \/ beta is 1\.(2|19999)\d*, not below 1: a backtest needs a stable process/],
    ['a hawkes with an unknown key', { hawkes: { ...DEFAULT_LOB_HAWKES, gamma: 1 } }, 'ERR_INVALID_OPTION', /^hawkes: unknown HawkesProcess option "gamma"/],
    ['an unknown field', { colour: 'red' }, 'ERR_INVALID_OPTION', /unknown config field "colour"/],
  ];
  for (const [name, fields, code, pattern] of bad) {
    it(`refuses ${name} (${code})`, () => refused(() => runBacktest({ strategy: 'sym', ...SMALL, ...fields } as never), code, pattern));
  }

  // Events are simulated one by one with no cap per path: these never finished before.
  const endless: [string, Record<string, unknown>][] = [
    ['noiseVariance 1e308', { noiseVariance: 1e308 }],
    ['a horizon of 1e308 s in 1e8 steps', { horizon: 1e308, dt: 1e300 }],
    ['a baseline of 1e12 events/s', { hawkes: { ...DEFAULT_LOB_HAWKES, mu: new Array(8).fill(1e12) } }],
  ];
  for (const [name, fields] of endless) {
    it(`refuses ${name} at once instead of running forever`, LIMIT, async () => {
      refused(() => runBacktest({ strategy: 'sym', ...SMALL, ...fields } as never), 'ERR_INVALID_OPTION', /the order flow is too fast for the horizon: about .* events per path expected/);
      await refusedAsync(() => runBacktestAsync({ strategy: 'sym', ...SMALL, ...fields } as never), 'ERR_INVALID_OPTION', /order flow is too fast/);
      refused(() => runBacktest({ strategy: () => null, ...SMALL, ...fields } as never), 'ERR_INVALID_OPTION', /order flow is too fast/);
    });
  }

  it('refuses configs that are not objects or cannot be read, and reads the strategy once', () => {
    for (const c of [undefined, null, 'sym', 1]) refused(() => runBacktest(c as never), 'ERR_INVALID_OPTION', /backtest config must be an object/);
    refusedWithCause(() => runBacktest(withThrowingGetter({ strategy: 'sym', ...SMALL }, 'horizon') as never), 'ERR_INVALID_OPTION', /backtest config could not be read/);
    refusedWithCause(() => runBacktest(trapping({ strategy: 'sym', ...SMALL }, 'strategy') as never), 'ERR_INVALID_OPTION', /backtest config could not be read/);
    let reads = 0;
    const flipping = { ...SMALL, get strategy() { return reads++ === 0 ? 'sym' : () => ({ market: 'buy' }); } };
    const r = runBacktest(flipping as never);
    expect(reads).toBe(1);
    expect(r.config.strategy).toBe('sym');
  });

  it('runs the edges: paths = 1, one step, dt beyond the horizon, inventoryLimit 1e15, fees near ±1, -0 everywhere', LIMIT, () => {
    expect(runBacktest({ strategy: 'sym', paths: 1, horizon: 1e-9, threads: 1 }).metrics.paths).toBe(1);
    expect(runBacktest({ strategy: 'sym', ...SMALL, dt: 1e308 }).config.steps).toBe(1);
    expect(runBacktest({ strategy: 'sym', ...SMALL, inventoryLimit: 1e15 }).metrics.paths).toBe(2);
    const fees = runBacktest({ strategy: 'sym', ...SMALL, fees: { maker: 0.99999, taker: -0.99999 } });
    expect(Number.isFinite(fees.metrics.mean)).toBe(true);
    const zeros = runBacktest({ strategy: 'sym', ...SMALL, seed: -0, phi: -0, noiseVariance: -0, Z2: -0 });
    expect(zeros.paths.pnl).toEqual(runBacktest({ strategy: 'sym', ...SMALL }).paths.pnl);
  });
});

describe('runBacktest: hostile strategies', () => {
  const bad: [string, unknown, string, RegExp][] = [
    ['missing', undefined, 'ERR_INVALID_OPTION', /strategy is required/],
    ['null', null, 'ERR_INVALID_OPTION', /strategy must be .* got null/],
    ["'SYM'", 'SYM', 'ERR_INVALID_OPTION', /strategy must be .* got "SYM"/],
    ['a number', 42, 'ERR_INVALID_OPTION', /strategy must be .* got 42/],
    ['an array', ['sym'], 'ERR_INVALID_OPTION', /strategy must be .* got an array of length 1/],
    ['an empty object', {}, 'ERR_INVALID_OPTION', /an object strategy has one key, lin, glft or policy, got none/],
    ['both lin and policy', { lin: { bid: [1, 0], ask: [1, 0] }, policy: 'x' }, 'ERR_INVALID_OPTION', /one key, lin, glft or policy, got "lin", "policy"/],
    ['a misspelt kind', { linear: { bid: [1, 0], ask: [1, 0] } }, 'ERR_INVALID_OPTION', /got "linear"/],
    ['lin null', { lin: null }, 'ERR_INVALID_OPTION', /strategy.lin must be \{ bid: \[c0, c1\], ask: \[c0, c1\], from\?: 'mid' \| 'best' \}, got null/],
    ['lin.from not mid or best', { lin: { bid: [1, 0], ask: [1, 0], from: 'touch' } }, 'ERR_INVALID_OPTION', /strategy.lin.from must be 'mid' or 'best', got "touch"/],
    ['lin.bid of 3', { lin: { bid: [1, 0, 0], ask: [1, 0] } }, 'ERR_INVALID_OPTION', /strategy.lin.bid must be \[c0, c1\].* got an array of length 3/],
    ['lin.ask a Float64Array', { lin: { bid: [1, 0], ask: new Float64Array(2) } }, 'ERR_INVALID_OPTION', /strategy.lin.ask must be \[c0, c1\].* got a Float64Array/],
    ['lin.bid NaN', { lin: { bid: [NaN, 0], ask: [1, 0] } }, 'ERR_INVALID_OPTION', /strategy.lin.bid\[0\] must be a finite number, got NaN/],
    ['lin.ask Infinity', { lin: { bid: [1, 0], ask: [1, Infinity] } }, 'ERR_INVALID_OPTION', /strategy.lin.ask\[1\] .* got Infinity/],
    ['lin with an unknown field', { lin: { bid: [1, 0], ask: [1, 0], mid: [0, 0] } }, 'ERR_INVALID_OPTION', /unknown field strategy.lin.mid/],
    ['policy a number', { policy: 5 }, 'ERR_INVALID_OPTION', /strategy.policy must be a safetensors file path or its bytes \(Uint8Array\), got 5/],
    ['policy an Int8Array', { policy: new Int8Array(8) }, 'ERR_INVALID_OPTION', /strategy.policy must be .* got an Int8Array/],
    ['policy a missing path', { policy: '/nonexistent/actor.safetensors' }, 'ERR_POLICY', /strategy.policy: cannot read "\/nonexistent\/actor.safetensors" \(ENOENT/],
    ['policy a directory', { policy: os.tmpdir() }, 'ERR_POLICY', /cannot read .* \(not a regular file\)/],
    ['policy /dev/zero (never ends)', { policy: '/dev/zero' }, 'ERR_POLICY', /cannot read "\/dev\/zero" \(not a regular file\)/],
  ];
  for (const [name, strategy, code, pattern] of bad) {
    it(`refuses a strategy that is ${name} (${code})`, LIMIT, () => refused(() => runBacktest({ strategy, ...SMALL } as never), code, pattern));
  }

  it('refuses a policy path that is a FIFO without blocking on it', LIMIT, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-fifo-'));
    const fifo = path.join(dir, 'actor.safetensors');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here: nothing to test
    }
    try {
      refused(() => runBacktest({ strategy: { policy: fifo }, ...SMALL }), 'ERR_POLICY', /not a regular file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const cbBad: [string, () => unknown, RegExp][] = [
    ['a number', () => 5, /must return \{ bidOffset, askOffset, market\? \} or null, got 5/],
    ['a string', () => 'quote', /or null, got "quote"/],
    ['a symbol', () => Symbol('q'), /or null, got a symbol/],
    ['an array', () => [1, 1], /or null, got an array of length 2/],
    ['a promise (an async callback)', async () => ({ bidOffset: 1, askOffset: 1 }), /returned a promise: it must decide synchronously/],
    ['a misspelt field', () => ({ bid: 1, ask: 1 }), /returned an unknown field "bid"/],
    ['a NaN offset', () => ({ bidOffset: NaN }), /bidOffset must be a finite number of ticks or null, got NaN/],
    ['an infinite offset', () => ({ askOffset: -Infinity }), /askOffset .* got -Infinity/],
    ['a BigInt offset', () => ({ bidOffset: 1n }), /bidOffset .* got 1n/],
    ['a string offset', () => ({ askOffset: '1' }), /askOffset .* got "1"/],
    ['an unknown market order', () => ({ market: 'hold' }), /market must be 'buy', 'sell' or null, got "hold"/],
    ['an action with a throwing getter', () => ({ get bidOffset() { throw boom(); } }), /the strategy callback's action could not be read: boom/],
  ];
  for (const [name, cb, pattern] of cbBad) {
    it(`refuses a callback that returns ${name} (ERR_INVALID_ARGUMENT), then runs again`, LIMIT, () => {
      refused(() => runBacktest({ strategy: cb as never, ...SMALL }), 'ERR_INVALID_ARGUMENT', pattern);
      expect(runBacktest({ strategy: () => null, ...SMALL }).metrics.paths).toBe(2);
    });
  }

  it('a callback that throws stops the run with its own error, sync and async', LIMIT, async () => {
    const mine = new TypeError('strategy bug');
    let caught: unknown;
    try {
      runBacktest({ strategy: () => { throw mine; }, ...SMALL });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(mine);
    await expect(runBacktestAsync({ strategy: () => { throw mine; }, ...SMALL })).rejects.toBe(mine);
    // Thrown late in the run, too.
    let calls = 0;
    expect(() => runBacktest({ strategy: () => { if (++calls === 15) throw mine; return null; }, ...SMALL, horizon: 10 })).toThrow(mine);
    expect(runBacktest({ strategy: 'sym', ...SMALL }).metrics.paths).toBe(2);
  });

  it('accepts callbacks that return null, undefined, {}, huge offsets and market orders; one may even run a backtest itself', LIMIT, () => {
    for (const cb of [() => null, () => undefined, () => ({}), () => ({ bidOffset: null, askOffset: undefined, market: null })]) {
      expect(runBacktest({ strategy: cb as never, ...SMALL }).metrics.meanTrades).toBe(0);
    }
    const huge = runBacktest({ strategy: () => ({ bidOffset: 1e308, askOffset: -1e308 }), ...SMALL });
    expect(huge.paths.pnl.every(Number.isFinite)).toBe(true);
    const market = runBacktest({ strategy: (s) => ({ market: s.step % 2 ? 'buy' : 'sell' }), ...SMALL });
    expect(market.metrics.meanTrades).toBeGreaterThan(0);
    const nested = runBacktest({ strategy: (s) => (s.step === 0 && runBacktest({ strategy: 'sym', paths: 1, horizon: 0.1 }) ? null : null), ...SMALL });
    expect(nested.metrics.paths).toBe(2);
  });

  it('a callback run does not grow memory with the number of calls (one handle scope per call)', LIMIT, () => {
    // 1.2 million calls: the handles of each call used to pile up until the run ended (about 40
    // bytes a call, 50 MB here). Memory is sampled during the run, against a point early in it.
    let calls = 0, early = 0, peak = 0;
    runBacktest({
      strategy: () => {
        if (++calls % 20_000 === 0) {
          const rss = process.memoryUsage().rss;
          if (calls === 100_000) early = rss;
          if (calls > 100_000) peak = Math.max(peak, rss);
        }
        return { bidOffset: 1, askOffset: 1 };
      },
      paths: 200, horizon: 600, dt: 0.1, threads: 1, timeGrid: 0,
    });
    expect(calls).toBe(1_200_000);
    expect(peak - early).toBeLessThan(20e6);
  });
});

// ---- Policy files ---------------------------------------------------------------------------

function parse(bytes: Uint8Array): SafetensorsFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, e] of Object.entries<any>(header)) {
    if (name === '__metadata__') metadata = e;
    else tensors.set(name, { dtype: e.dtype, shape: e.shape, data: new Uint8Array(data.subarray(e.data_offsets[0], e.data_offsets[1])) });
  }
  return { metadata, tensors };
}

describe('policy files given as bytes: corrupt, truncated, wrong dtype or shape, bad weights and metadata', () => {
  const good = policyFile({ hidden: [8, 8] });
  const run = (bytes: Uint8Array) => runBacktest({ strategy: { policy: bytes }, ...SMALL });
  const edit = (change: (f: SafetensorsFile) => void, override?: (h: any) => any) => {
    const f = parse(good);
    change(f);
    return writeSafetensors(f, override);
  };
  const withMeta = (meta: Record<string, string | undefined>) => policyFile({ hidden: [8, 8], metadata: meta as Record<string, string> });
  const header = Buffer.from(good.subarray(8, 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true)))).toString('utf8');

  const bad: [string, () => Uint8Array, RegExp][] = [
    ['empty', () => new Uint8Array(0), /too short for a safetensors header/],
    ['4 bytes', () => good.subarray(0, 4), /too short/],
    ['cut inside the header', () => good.subarray(0, 40), /header length \d+ runs past the end of the 40-byte file/],
    ['cut inside the data', () => good.subarray(0, good.length - 3), /data_offsets .* outside/],
    ['a header length of 2^63', () => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; }, /header length 9223372036854775808 runs past the end/],
    ['header JSON cut short', () => { const h = Buffer.from(header.slice(0, header.length - 5)); const b = new Uint8Array(8 + h.length); new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true); b.set(h, 8); return b; }, /not valid safetensors/],
    ['header bytes garbled', () => { const b = good.slice(); b.fill(0x7b, 8, 20); return b; }, /not valid safetensors/],
    ['detached bytes', () => detached(policyFile({ hidden: [8, 8] })), /too short/],
    ['an I32 weight', () => edit((f) => { const t = f.tensors.get('layers.0.weight')!; f.tensors.set('layers.0.weight', { ...t, dtype: 'I32' }); }), /layers.0.weight/],
    ['a weight of the wrong shape', () => edit((f) => { f.tensors.set('layers.0.weight', f32(new Array(8 * 4).fill(0.1), [8, 4])); }), /layers.0.weight/],
    ['a missing bias', () => edit((f) => { f.tensors.delete('layers.1.bias'); }), /layers.1.bias/],
    ['an extra tensor', () => edit((f) => { f.tensors.set('critic.weight', f32([1], [1])); }), /critic.weight/],
    ['NaN weights', () => policyFile({ hidden: [8, 8], scale: NaN }), /tensor "layers.0.weight" has a non-finite value/],
    ['an infinite bias', () => edit((f) => { f.tensors.set('layers.2.bias', f32([Infinity, 0], [2])); }), /layers.2.bias/],
    ['input_mean missing', () => withMeta({ input_mean: undefined }), /metadata "input_mean" is missing/],
    ['input_std with NaN', () => withMeta({ input_std: '[NaN, 1, 1]' }), /metadata "input_std" must be a JSON array of 3 numbers, got \[NaN, 1, 1\]/],
    ['input_std with null', () => withMeta({ input_std: '[null, 1, 1]' }), /metadata "input_std" has a non-finite entry/],
    ['input_std overflowing', () => withMeta({ input_std: '[1e999, 1, 1]' }), /input_std" has a non-finite entry/],
    ['input_std 0', () => withMeta({ input_std: '[0, 1, 1]' }), /input_std" entries must be > 0/],
    ['input_std of 2', () => withMeta({ input_std: '[1, 1]' }), /input_std" must be a JSON array of 3 numbers/],
    ['input_std not JSON', () => withMeta({ input_std: 'abc' }), /input_std" must be a JSON array/],
    ['an unknown output_activation', () => withMeta({ output_activation: 'sigmoid' }), /output_activation" must be "none" or "tanh"/],
    ['output_scale overflowing', () => withMeta({ output_scale: '[1e400, 1]' }), /output_scale" has a non-finite entry/],
    ['a header nested a million deep', () => { const h = Buffer.from('['.repeat(1e6)); const b = new Uint8Array(8 + h.length); new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true); b.set(h, 8); return b; }, /nesting deeper than 32/],
    ['9 layers', () => policyFile({ hidden: [4, 4, 4, 4, 4, 4, 4, 4] }), /9 layers, at most 8/],
    ['a layer of 257', () => policyFile({ hidden: [257] }), /257 outputs, at most 256/],
  ];
  for (const [name, make, pattern] of bad) {
    it(`refuses ${name} (ERR_POLICY)`, LIMIT, () => refused(() => run(make()), 'ERR_POLICY', pattern));
  }

  it('gives the same run from F32 bytes, F64 bytes, a Buffer and SharedArrayBuffer-backed bytes', LIMIT, () => {
    const want = run(good).paths.pnl;
    const shared = new Uint8Array(new SharedArrayBuffer(good.length));
    shared.set(good);
    expect(run(shared).paths.pnl).toEqual(want);
    expect(run(Buffer.from(good)).paths.pnl).toEqual(want);
    expect(run(policyFile({ hidden: [8, 8], dtype: 'F64' })).paths.pnl).toEqual(want);
  });

  it('runBacktestAsync parses the policy before it starts: a corrupt file rejects, the bytes may change after the call', LIMIT, async () => {
    await refusedAsync(() => runBacktestAsync({ strategy: { policy: good.subarray(0, 40) }, ...SMALL }), 'ERR_POLICY', /runs past the end/);
    const bytes = good.slice();
    const pending = runBacktestAsync({ strategy: { policy: bytes }, ...SMALL });
    bytes.fill(0xff);
    detached(bytes);
    expect((await pending).paths.pnl).toEqual(run(good).paths.pnl);
  });
});

// ---- Async runs, studies, metrics, GLFT ---------------------------------------------------------

describe('runBacktestAsync and studies: hostile options and listeners', () => {
  it('rejects (never throws synchronously) a bad config, signal or onProgress', LIMIT, async () => {
    const p = runBacktestAsync({ strategy: 'sym', paths: -1 });
    await refusedAsync(() => p, 'ERR_INVALID_OPTION', /paths .* got -1/);
    await refusedAsync(() => runBacktestAsync({ strategy: 'sym', ...SMALL }, { signal: 'stop' as never }), 'ERR_INVALID_OPTION', /signal must be an AbortSignal, got "stop"/);
    await refusedAsync(() => runBacktestAsync({ strategy: 'sym', ...SMALL }, { onProgress: 1 as never }), 'ERR_INVALID_OPTION', /onProgress must be a function, got 1/);
    await refusedAsync(() => runBacktestAsync({ strategy: () => null, ...SMALL }, { onProgress: 1 as never }), 'ERR_INVALID_OPTION', /onProgress must be a function/);
    const unreadable = Object.defineProperty({}, 'onProgress', { enumerable: true, get: () => { throw boom(); } });
    await refusedAsync(() => runBacktestAsync({ strategy: 'sym', ...SMALL }, unreadable), 'ERR_INVALID_OPTION', /options could not be read/);
    await refusedAsync(() => runBacktestAsync({ strategy: 'sym', ...SMALL }, 'fast' as never), 'ERR_INVALID_OPTION', /options must be an object \{ signal\?, onProgress\? \}, got "fast"/);
    await refusedAsync(() => runBacktestAsync({ strategy: 'sym', ...SMALL }, { signl: AbortSignal.abort() } as never), 'ERR_INVALID_OPTION', /unknown option "signl" \(expected signal, onProgress\)/);
    await refusedAsync(() => runStudyAsync({ strategies: { S: 'sym' }, ...SMALL }, { progress: () => {} } as never), 'ERR_INVALID_OPTION', /unknown option "progress"/);
    expect((await runBacktestAsync({ strategy: 'sym', ...SMALL }, null as never)).metrics.paths).toBe(2);
  });

  it('an already-aborted signal rejects with its reason, native and callback strategies alike', LIMIT, async () => {
    const reason = new Error('aborted before start');
    await expect(runBacktestAsync({ strategy: 'sym', paths: 1e6, timeGrid: 0 }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(runBacktestAsync({ strategy: () => null, paths: 1e6, timeGrid: 0 }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(runStudyAsync({ strategies: { S: 'sym' }, paths: 1e6, timeGrid: 0 }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('an onProgress that throws ends the run with its error, native and callback strategies alike', LIMIT, async () => {
    const mine = new Error('progress bar broke');
    const t0 = performance.now();
    // About a minute of work on one thread: only the listener can end it in time.
    await expect(runBacktestAsync({ strategy: 'sym', paths: 20_000, threads: 1, timeGrid: 0 }, { onProgress: () => { throw mine; } })).rejects.toBe(mine);
    expect(performance.now() - t0).toBeLessThan(10_000);
    await expect(runBacktestAsync({ strategy: () => null, ...SMALL }, { onProgress: () => { throw mine; } })).rejects.toBe(mine);
    await expect(runStudyAsync({ strategies: { S: 'sym' }, ...SMALL, noise: [], feeSweep: [] }, { onProgress: () => { throw mine; } })).rejects.toBe(mine);
    expect(runBacktest({ strategy: 'sym', ...SMALL }).metrics.paths).toBe(2);
  });

  const studyBad: [string, Record<string, unknown>, RegExp][] = [
    ['strategies null', { strategies: null }, /strategies must be an object of named strategies, got null/],
    ['strategies an array', { strategies: ['sym'] }, /strategies must be an object of named strategies, got an array/],
    ['no strategies', { strategies: {} }, /strategies must be an object of named strategies/],
    ['a bad strategy', { strategies: { X: 'foo' } }, /strategy must be .* got "foo"/],
    ['a hole in noise', { strategies: { S: 'sym' }, noise: [, 0.1] }, /noise\[0\] must be a variance >= 0, got undefined/],
    ['undefined in noise', { strategies: { S: 'sym' }, noise: [undefined] }, /noise\[0\] must be a variance >= 0, got undefined/],
    ['a hole in feeSweep', { strategies: { S: 'sym' }, feeSweep: [0, , 0.002] }, /feeSweep\[1\] must be a rate in \[0, 1\), got undefined/],
    ['a fee of 1', { strategies: { S: 'sym' }, feeSweep: [1] }, /feeSweep\[0\] must be a rate in \[0, 1\), got 1/],
    ['a NaN noise', { strategies: { S: 'sym' }, noise: [NaN] }, /noise\[0\] .* got NaN/],
    ['noise a number', { strategies: { S: 'sym' }, noise: 0.1 }, /noise must be an array of numbers, got 0.1/],
    ['a bad shared field', { strategies: { S: 'sym' }, horizon: -1 }, /horizon .* got -1/],
  ];
  for (const [name, config, pattern] of studyBad) {
    it(`runStudy refuses ${name} (ERR_INVALID_OPTION)`, () => refused(() => runStudy({ ...SMALL, ...config } as never), 'ERR_INVALID_OPTION', pattern));
  }

  it('runStudy keeps a strategy named __proto__ and refuses an unreadable config', LIMIT, () => {
    const strategies = JSON.parse('{"__proto__": "sym", "B": "sym"}');
    const study = runStudy({ strategies, ...SMALL, noise: [], feeSweep: [0] });
    expect(Object.keys(study.base)).toEqual(['__proto__', 'B']);
    expect(Object.getPrototypeOf(study.base)).toBe(Object.prototype);
    expect(study.rows.map((r) => r.strategy)).toEqual(['__proto__', '__proto__', 'B', 'B']);
    refusedWithCause(() => runStudy(withThrowingGetter({ strategies: { S: 'sym' }, ...SMALL }, 'strategies') as never), 'ERR_INVALID_OPTION', /study config could not be read/);
  });

  it('runStudyAsync refuses a bad onProgress or signal before it runs anything', LIMIT, async () => {
    await refusedAsync(() => runStudyAsync({ strategies: { S: 'sym' }, ...SMALL }, { onProgress: 5 as never }), 'ERR_INVALID_OPTION', /onProgress must be a function, got 5/);
    await refusedAsync(() => runStudyAsync({ strategies: { S: 'sym' }, ...SMALL }, { signal: {} as never }), 'ERR_INVALID_OPTION', /signal must be an AbortSignal/);
  });
});

describe('computeMetrics and glftOffsets: hostile values', () => {
  const metricsBad: [string, unknown[], RegExp][] = [
    ['pnl undefined', [undefined], /pnl must be an array of numbers, one per path, got undefined/],
    ['pnl null', [null], /pnl must be an array .* got null/],
    ['pnl a string', ['1,2'], /pnl must be an array .* got "1,2"/],
    ['pnl an object', [{ length: 1, 0: 1 }], /pnl must be an array .* got an object/],
    ['pnl empty', [[]], /pnl must hold at least one value/],
    ['a NaN', [[1, NaN, 3]], /pnl\[1\] must be a finite number, got NaN/],
    ['an Infinity', [[Infinity]], /pnl\[0\] .* got Infinity/],
    ['a BigInt', [[1n, 2n]], /pnl\[0\] must be a finite number, got 1n/],
    ['a string', [['1', '2']], /pnl\[0\] must be a finite number, got "1"/],
    ['a hole', [[1, , 3]], /pnl\[1\] must be a finite number, got undefined/],
    ['a detached array', [detached(new Float64Array(3))], /pnl must hold at least one value/],
    ['map of another length', [[1, 2], [1]], /map must have one value per path \(2, as pnl\), got 1/],
    ['trades with NaN', [[1, 2], undefined, [NaN, 1]], /trades\[0\] must be a finite number, got NaN/],
    ['inventory not an array', [[1, 2], undefined, undefined, 5], /inventory must be an array .* got 5/],
  ];
  for (const [name, args, pattern] of metricsBad) {
    it(`computeMetrics refuses ${name} (ERR_INVALID_ARGUMENT)`, () => refused(() => (computeMetrics as (...a: unknown[]) => unknown)(...args), 'ERR_INVALID_ARGUMENT', pattern));
  }

  it('computeMetrics turns a throwing Proxy into ERR_INVALID_ARGUMENT and handles the edges', () => {
    refusedWithCause(() => computeMetrics(trapping([1, 2, 3], '1')), 'ERR_INVALID_ARGUMENT', /computeMetrics arguments could not be read/);
    const one = computeMetrics([5]);
    expect(one.std).toBe(0);
    expect(one.sharpe).toBeNaN();
    const huge = computeMetrics([1e308, -1e308, 1e308, -1e308]);
    expect(huge.mean).toBe(0);
    expect(huge.std).toBe(1e308);
    expect(huge.skew).toBe(0);
    expect(huge.kurtosis).toBe(-2);
    expect(computeMetrics(new Float32Array([1, 2, 3])).mean).toBe(2);
    expect(computeMetrics(sharedF64([1, 2, 3])).percentiles.p50).toBe(2);
    expect(computeMetrics([-0, 0]).mean).toBe(0);
  });

  it('quantileSorted refuses what is not an array or a q outside [0, 1]', () => {
    for (const sorted of [null, undefined, '123', 5, { length: 2 }]) refused(() => quantileSorted(sorted as never, 0.5), 'ERR_INVALID_ARGUMENT', /sorted must be an array of numbers/);
    for (const q of [NaN, -0.1, 1.5, '0.5', 1n]) refused(() => quantileSorted([1, 2], q as never), 'ERR_INVALID_ARGUMENT', /q must be a number in \[0, 1\]/);
    expect(quantileSorted([1, 2], -0)).toBe(1);
    expect(quantileSorted([1, 2], 1)).toBe(2);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  const glftBad: [string, unknown, RegExp][] = [
    ['null', null, /glftOffsets expects \{ A, k, sigma, gamma \}, got null/],
    ['A missing', { k: 0.5, sigma: 3, gamma: 0.01 }, /A must be a finite number > 0, got undefined/],
    ['A a string', { A: '2', k: 0.5, sigma: 3, gamma: 0.01 }, /A must be a finite number > 0, got "2"/],
    ['k NaN', { A: 2, k: NaN, sigma: 3, gamma: 0.01 }, /k must be .* got NaN/],
    ['sigma 0', { A: 2, k: 0.5, sigma: 0, gamma: 0.01 }, /sigma must be .* got 0/],
    ['gamma Infinity', { A: 2, k: 0.5, sigma: 3, gamma: Infinity }, /gamma must be .* got Infinity/],
    ['size -1', { A: 2, k: 0.5, sigma: 3, gamma: 0.01, size: -1 }, /size must be .* got -1/],
    ['an unknown parameter', { A: 2, k: 0.5, sigma: 3, gamma: 0.01, sigm: 3 }, /unknown GLFT parameter "sigm"/],
    ['gamma 1e308 (offsets overflow)', { A: 2, k: 0.5, sigma: 3, gamma: 1e308, size: 10 }, /GLFT offsets .* are not finite numbers/],
    ['k 5e-324 (offsets overflow)', { A: 2, k: 5e-324, sigma: 3, gamma: 1 }, /are not finite numbers/],
  ];
  for (const [name, params, pattern] of glftBad) {
    it(`glftOffsets refuses ${name} (ERR_INVALID_OPTION)`, () => refused(() => glftOffsets(params as never), 'ERR_INVALID_OPTION', pattern));
  }
});

// ---- engine.submit (stream) -------------------------------------------------------------------

describe('engine.submit: hostile symbols, books and timestamps', () => {
  const good = { bids: [[101.2, 3.5], [101.1, 7]], asks: [[101.3, 1], [101.4, 4]] };

  it('refuses each with a coded error, claims no symbol for a refused book, and keeps streaming', LIMIT, async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { maxSymbols: 2, statsIntervalMs: 0 } });
    const predicted: number[] = [];
    engine.on('prediction', (p) => predicted.push(p.seq));
    try {
      const bad: [string, () => unknown, string, RegExp][] = [
        ['a number symbol', () => engine.submit(5 as never, good), 'ERR_INVALID_ARGUMENT', /symbol must be a non-empty string, got 5/],
        ['a symbol symbol', () => engine.submit(Symbol('BTC') as never, good), 'ERR_INVALID_ARGUMENT', /symbol must be .* got a symbol/],
        ['an empty symbol', () => engine.submit('', good), 'ERR_INVALID_ARGUMENT', /symbol must be a non-empty string, got ""/],
        ['a null book', () => engine.submit('A', null as never), 'ERR_BOOK_TYPE', /book must be \{ bids, asks \}/],
        ['a NaN price', () => engine.submit('A', { bids: [[NaN, 1]], asks: [[2, 1]] }), 'ERR_BOOK_NONFINITE', /book.bids\[0\].price must be finite, got NaN/],
        ['an infinite size', () => engine.submit('A', { bids: [[1, Infinity]], asks: [[2, 1]] }), 'ERR_BOOK_NONFINITE', /book.bids\[0\].size/],
        ['a BigInt price', () => engine.submit('A', { bids: [[1n, 1]], asks: [[2, 1]] } as never), 'ERR_BOOK_TYPE', /book.bids\[0\] must hold numbers, got \[1n/],
        ['a hole in the bids', () => engine.submit('A', { bids: [, [1, 1]], asks: [[2, 1]] } as never), 'ERR_BOOK_TYPE', /book.bids\[0\] must be \[price, size\], got undefined/],
        ['a crossed book', () => engine.submit('A', { bids: [[102, 1]], asks: [[101, 1]] }), 'ERR_BOOK_CROSSED', /crossed/],
        ['a getter that throws', () => engine.submit('A', withThrowingGetter(good, 'asks')), 'ERR_BOOK_TYPE', /book could not be read: boom/],
        ['a Proxy that throws', () => engine.submit('A', trapping(good, 'bids')), 'ERR_BOOK_TYPE', /book could not be read/],
        ['a Float32Array column', () => engine.submit('A', { bidPx: new Float32Array([1]), bidSz: new Float64Array([1]), askPx: new Float64Array([2]), askSz: new Float64Array([1]) } as never), 'ERR_BOOK_TYPE', /book.bidPx must be a Float64Array, got a Float32Array/],
        ['a detached column', () => engine.submit('A', { bidPx: detached(new Float64Array([1])), bidSz: detached(new Float64Array([1])), askPx: new Float64Array([2]), askSz: new Float64Array([1]) }), 'ERR_BOOK_EMPTY', /book.bids is empty/],
        ['ts NaN', () => engine.submit('A', good, { ts: NaN }), 'ERR_INVALID_ARGUMENT', /options.ts must be a finite number of ms, got NaN/],
        ['ts Infinity', () => engine.submit('A', good, { ts: Infinity }), 'ERR_INVALID_ARGUMENT', /options.ts .* got Infinity/],
        ['ts a string', () => engine.submit('A', good, { ts: '5' as never }), 'ERR_INVALID_ARGUMENT', /options.ts .* got "5"/],
        ['ts a BigInt', () => engine.submit('A', good, { ts: 5n as never }), 'ERR_INVALID_ARGUMENT', /options.ts .* got 5n/],
      ];
      for (const [, make, code, pattern] of bad) refused(make, code, pattern);
      // Two new symbols were refused a dozen times over: both slots are still free.
      const seqA = engine.submit('A', good, { ts: -0 });
      const shared = { bidPx: sharedF64([101.2, 101.1]), bidSz: sharedF64([3.5, 7]), askPx: sharedF64([101.3, 101.4]), askSz: sharedF64([1, 4]) };
      const seqB = engine.submit('B', shared, { ts: 1e308 });
      refused(() => engine.submit('C', good), 'ERR_MAX_SYMBOLS', /more than stream.maxSymbols \(2\)/);
      const stats = (await engine.close())!;
      expect(stats.submitted).toBe(2);
      expect(stats.predicted + stats.dropped.total + stats.pending).toBe(stats.submitted);
      expect(predicted.sort()).toEqual([seqA, seqB].sort());
      refused(() => engine.submit('A', good), 'ERR_ENGINE_CLOSED', /closed/);
    } finally {
      await engine.close();
    }
  });

  it('checks the options object, and a refused first submit opens no stream', LIMIT, async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { statsIntervalMs: 0 } });
    try {
      const bad: [string, () => unknown, string, RegExp][] = [
        ['options a number', () => engine.submit('A', good, 5 as never), 'ERR_INVALID_OPTION', /submit options must be an object, got 5/],
        ['options null', () => engine.submit('A', good, null as never), 'ERR_INVALID_OPTION', /submit options must be an object, got null/],
        ['an unknown option', () => engine.submit('A', good, { tss: 5 } as never), 'ERR_INVALID_OPTION', /unknown submit option "tss"/],
        ['ts null', () => engine.submit('A', good, { ts: null } as never), 'ERR_INVALID_ARGUMENT', /options.ts .* got null/],
        ['a ts getter that throws', () => engine.submit('A', good, withThrowingGetter({ ts: 1 }, 'ts') as never), 'ERR_INVALID_OPTION', /submit options could not be read: boom/],
        ['a number symbol', () => engine.submit(5 as never, good), 'ERR_INVALID_ARGUMENT', /symbol must be a non-empty string/],
        ['a null book', () => engine.submit('A', null as never), 'ERR_BOOK_TYPE', /book must be \{ bids, asks \}/],
      ];
      for (const [, make, code, pattern] of bad) refused(make, code, pattern);
      expect(engine.streamStats()).toBeUndefined();
      engine.submit('A', good, { ts: 1 });
      expect(engine.streamStats()).toBeDefined();
    } finally {
      await engine.close();
    }
  });
});

describe('createEngine, predict, predictBatch, features and BookBatch: getters and traps that throw', () => {
  const good = { bids: [[101.2, 3.5], [101.1, 7]], asks: [[101.3, 1], [101.4, 4]] };
  const model = modelPath('pooled');

  it('createEngine reads its options once; a throwing getter or trap is ERR_INVALID_OPTION', LIMIT, () => {
    refusedWithCause(() => createEngine(withThrowingGetter({ model, backend: 'cpu' }, 'model') as never), 'ERR_INVALID_OPTION', /engine options could not be read: boom/);
    refusedWithCause(() => createEngine(trapping({ model, backend: 'cpu' }, 'backend') as never), 'ERR_INVALID_OPTION', /engine options could not be read/);
    // A getter is read once: it cannot pass the check and then change.
    let reads = 0;
    const once = { model, get backend() { reads++; return reads === 1 ? 'cpu' : 'banana'; } };
    const engine = createEngine(once as never);
    expect(engine.info.backend).toBe('cpu');
    expect(reads).toBe(1);
    engine.close();
  });

  it('predict, features and predictBatch turn throwing books and options into coded errors, and keep working', LIMIT, () => {
    const engine = createEngine({ model, backend: 'cpu' });
    try {
      const reference = engine.predict(good);
      const typed = { bidPx: new Float64Array([101.2, 101.1]), bidSz: new Float64Array([3.5, 7]), askPx: new Float64Array([101.3, 101.4]), askSz: new Float64Array([1, 4]) };
      const levelTrap = { bids: new Proxy(good.bids, { get: (t, k) => { if (k === '1') throw boom(); return Reflect.get(t, k); } }), asks: good.asks };
      const bad: [string, () => unknown, string, RegExp][] = [
        ['predict: a bids getter', () => engine.predict(withThrowingGetter(good, 'bids')), 'ERR_BOOK_TYPE', /book could not be read: boom/],
        ['predict: a trapped level', () => engine.predict(levelTrap), 'ERR_BOOK_TYPE', /book could not be read: boom/],
        ['predict: a typed column getter', () => engine.predict(withThrowingGetter(typed, 'askSz')), 'ERR_BOOK_TYPE', /book could not be read: boom/],
        ['predict: an options trap', () => engine.predict(good, trapping({ embedding: true }, 'embedding') as never), 'ERR_INVALID_OPTION', /predict options could not be read/],
        ['predict: a frozen into', () => engine.predict(good, { into: Object.freeze(engine.predict(good)) }), 'ERR_INVALID_OPTION', /read only/],
        ['predict: an into without arrays', () => engine.predict(good, { into: {} as never }), 'ERR_INVALID_OPTION', /into must be a result of predict\(\)/],
        ['predict: an into of frozen arrays', () => engine.predict(good, { into: { ...engine.predict(good), probs: Object.freeze([0, 0, 0]) } as never }), 'ERR_INVALID_OPTION', /read only/],
        ['features: a getter', () => engine.features(withThrowingGetter(good, 'asks')), 'ERR_BOOK_TYPE', /book could not be read: boom/],
        ['predictBatch: a length getter', () => engine.predictBatch(withThrowingGetter([good], 'length') as never), 'ERR_INVALID_ARGUMENT', /books could not be read: boom/],
        ['predictBatch: a length of 1.5', () => engine.predictBatch({ length: 1.5, 0: good } as never), 'ERR_INVALID_ARGUMENT', /books must be an array of books/],
        ['predictBatch: a book getter', () => engine.predictBatch([good, withThrowingGetter(good, 'bids')]), 'ERR_BOOK_TYPE', /^books\[1\] could not be read: boom/],
        ['predictBatch: an element trap', () => engine.predictBatch(trapping([good, good], '1') as never), 'ERR_BOOK_TYPE', /books\[1\] could not be read/],
        ['predictBatch: an options trap', () => engine.predictBatch([good], trapping({ into: undefined }, 'into') as never), 'ERR_INVALID_OPTION', /predictBatch options could not be read/],
      ];
      for (const [name, make, code, pattern] of bad) {
        try {
          refused(make, code, pattern);
        } catch (err) {
          throw new Error(`${name}: ${(err as Error).message}`);
        }
      }
      expect(engine.predict(good)).toEqual(reference);
      expect(engine.predictBatch([good, good]).logits[3]).toBe(reference.logits[0]);
    } finally {
      engine.close();
    }
  });

  it('BookBatch.set of a throwing book is ERR_BOOK_TYPE naming the slot, and leaves the slot as it was', LIMIT, () => {
    const engine = createEngine({ model, backend: 'cpu' });
    try {
      const batch = engine.createBatch(2);
      batch.set(0, good);
      const before = Array.from(batch.columns);
      const counts = Array.from(batch.counts);
      // The trap fires on the second ask level, after the bids and the first ask are read.
      const late = { bids: good.bids, asks: new Proxy(good.asks, { get: (t, k) => { if (k === '1') throw boom(); return Reflect.get(t, k); } }) };
      refused(() => batch.set(0, late), 'ERR_BOOK_TYPE', /^batch\[0\] could not be read: boom/);
      const typedLate = withThrowingGetter({ bidPx: new Float64Array([9, 8]), bidSz: new Float64Array([1, 1]), askPx: new Float64Array([10, 11]), askSz: new Float64Array([1, 1]) }, 'askSz');
      refused(() => batch.set(0, typedLate), 'ERR_BOOK_TYPE', /^batch\[0\] could not be read: boom/);
      expect(Array.from(batch.columns)).toEqual(before);
      expect(Array.from(batch.counts)).toEqual(counts);
      expect(batch.length).toBe(1);
    } finally {
      engine.close();
    }
  });
});

// HawkesProcess parameters: shapes, values and stability are checked once at construction, each
// refusal a HawkgraphError with a stable code and a message naming the field and the value; the
// branching ratio and stationary intensity against independent computations.
import { describe, expect, it } from 'vitest';

import { HawkesProcess } from '../dist/index.js';
import { flat, stationary } from './helpers/hawkes-reference';
import { refused } from './helpers/errors';

const good = { mu: [0.5, 0.3], alpha: [[0.8, 0.3], [0.5, 1.0]], beta: [[2, 2], [3, 3]] };

describe('HawkesProcess parameters', () => {
  it('accepts the three beta forms and reports the fast path', () => {
    const scalar = new HawkesProcess({ ...good, beta: 2 });
    expect(Array.from(scalar.beta)).toEqual([2, 2, 2, 2]);
    expect(scalar.betaPerRow).toBe(true);
    const perRow = new HawkesProcess({ ...good, beta: [2, 3] });
    expect(Array.from(perRow.beta)).toEqual([2, 2, 3, 3]);
    expect(perRow.betaPerRow).toBe(true);
    const full = new HawkesProcess({ ...good, beta: [[2, 4], [3, 1.5]] });
    expect(full.betaPerRow).toBe(false);
    expect(full.params()).toEqual({ mu: [0.5, 0.3], alpha: good.alpha, beta: [[2, 4], [3, 1.5]] });
    expect(new HawkesProcess({ mu: new Float64Array([1]), alpha: [new Float64Array([0.5])], beta: 1 }).dims).toBe(1);
  });

  it('stationaryIntensity is (I - alpha/beta)^-1 mu and branchingRatio the spectral radius', () => {
    const hp = new HawkesProcess(good);
    const ref = stationary(flat(good.mu, good.alpha, good.beta));
    const got = hp.stationaryIntensity();
    for (let k = 0; k < 2; k++) expect(got[k]).toBeCloseTo(ref[k], 12);
    // Eigenvalues of [[0.4, 0.15], [1/6, 1/3]] in closed form.
    const [a, b, c, d] = [0.4, 0.15, 0.5 / 3, 1 / 3];
    const rho = (a + d) / 2 + Math.sqrt(((a - d) / 2) ** 2 + b * c);
    expect(hp.branchingRatio()).toBeCloseTo(rho, 12);
    expect(hp.branchingMatrix()[0][1]).toBeCloseTo(0.15, 15);
    // A periodic (cyclic) branching matrix, where power iteration would not converge.
    const cyclic = new HawkesProcess({ mu: [1, 1], alpha: [[0, 0.5], [0.72, 0]], beta: 1 });
    expect(cyclic.branchingRatio()).toBeCloseTo(0.6, 12);
    // Nilpotent: radius 0.
    expect(new HawkesProcess({ mu: [1, 1], alpha: [[0, 3], [0, 0]], beta: 1 }).branchingRatio()).toBe(0);
    // D = 1: alpha / beta.
    expect(new HawkesProcess({ mu: [1], alpha: [[1.4]], beta: [2] }).branchingRatio()).toBeCloseTo(0.7, 14);
  });

  it('refuses explosive processes with the radius in the message, unless allowed with maxEvents', () => {
    refused(() => new HawkesProcess({ mu: [1], alpha: [[3]], beta: 2 }), 'ERR_HAWKES_UNSTABLE', /spectral radius .* is 1\.5/);
    refused(() => new HawkesProcess({ mu: [1, 1], alpha: [[0.5, 0.5], [0.5, 0.5]], beta: 1 }), 'ERR_HAWKES_UNSTABLE', /is 1,/);
    refused(() => new HawkesProcess({ mu: [1], alpha: [[3]], beta: 2, allowExplosive: true }), 'ERR_INVALID_OPTION', /requires maxEvents/);
    const hp = new HawkesProcess({ mu: [1], alpha: [[3]], beta: 2, allowExplosive: true, maxEvents: 1000 });
    expect(hp.branchingRatio()).toBeCloseTo(1.5, 12);
    refused(() => hp.stationaryIntensity(), 'ERR_HAWKES_UNSTABLE', /1\.5/);
    const sim = hp.simulate({ endTime: 1e9, seed: 1, paths: 3 });
    expect(Array.from(sim.pathOffsets)).toEqual([0, 1000, 2000, 3000]);
    expect(Array.from(sim.truncated)).toEqual([1, 1, 1]);
  });

  it('refuses every bad parameter, naming it', () => {
    const D2 = { alpha: good.alpha, beta: good.beta };
    const cases: Array<[string, () => unknown, string, RegExp]> = [
      ['no object', () => new HawkesProcess(null as never), 'ERR_HAWKES_PARAMETER', /params must be an object/],
      ['mu missing', () => new HawkesProcess({ ...D2, mu: undefined as never }), 'ERR_HAWKES_PARAMETER', /mu must be an array/],
      ['mu empty', () => new HawkesProcess({ mu: [], alpha: [], beta: 1 }), 'ERR_HAWKES_PARAMETER', /mu must have 1 to 64 entries, got 0/],
      ['mu too long', () => new HawkesProcess({ mu: new Array(65).fill(1), alpha: [], beta: 1 }), 'ERR_HAWKES_PARAMETER', /got 65/],
      ['mu string', () => new HawkesProcess({ ...D2, mu: [0.5, '1' as never] }), 'ERR_HAWKES_PARAMETER', /mu\[1\] must be a number, got "1"/],
      ['mu negative', () => new HawkesProcess({ ...D2, mu: [0.5, -0.1] }), 'ERR_HAWKES_PARAMETER', /mu\[1\] must be a finite number >= 0, got -0\.1/],
      ['mu NaN', () => new HawkesProcess({ ...D2, mu: [NaN, 1] }), 'ERR_HAWKES_PARAMETER', /mu\[0\] .* got NaN/],
      ['mu Infinity', () => new HawkesProcess({ ...D2, mu: [Infinity, 1] }), 'ERR_HAWKES_PARAMETER', /mu\[0\] .* got Infinity/],
      ['mu all zero', () => new HawkesProcess({ ...D2, mu: [0, 0] }), 'ERR_HAWKES_PARAMETER', /at least one positive/],
      ['alpha rows', () => new HawkesProcess({ ...good, alpha: [[0.1, 0.1]] }), 'ERR_HAWKES_PARAMETER', /alpha must be a 2 x 2 matrix/],
      ['alpha row length', () => new HawkesProcess({ ...good, alpha: [[0.1, 0.1], [0.1]] }), 'ERR_HAWKES_PARAMETER', /alpha\[1\] must be an array of 2 numbers/],
      ['alpha negative', () => new HawkesProcess({ ...good, alpha: [[0.1, -0.2], [0.1, 0.1]] }), 'ERR_HAWKES_PARAMETER', /alpha\[0\]\[1\] must be a finite number >= 0, got -0\.2/],
      ['alpha NaN', () => new HawkesProcess({ ...good, alpha: [[0.1, 0.1], [NaN, 0.1]] }), 'ERR_HAWKES_PARAMETER', /alpha\[1\]\[0\] .* got NaN/],
      ['alpha not array', () => new HawkesProcess({ ...good, alpha: 0.5 as never }), 'ERR_HAWKES_PARAMETER', /alpha must be a 2 x 2 matrix/],
      ['beta zero', () => new HawkesProcess({ ...good, beta: 0 }), 'ERR_HAWKES_PARAMETER', /beta\[0\]\[0\] must be a finite number > 0, got 0/],
      ['beta negative row', () => new HawkesProcess({ ...good, beta: [2, -1] }), 'ERR_HAWKES_PARAMETER', /beta\[1\]\[0\] must be a finite number > 0, got -1/],
      ['beta Infinity', () => new HawkesProcess({ ...good, beta: [[2, 2], [2, Infinity]] }), 'ERR_HAWKES_PARAMETER', /beta\[1\]\[1\] .* got Infinity/],
      ['beta shape', () => new HawkesProcess({ ...good, beta: [1, 2, 3] }), 'ERR_HAWKES_PARAMETER', /beta must be a number, an array of 2 numbers .* or a 2 x 2 matrix/],
      ['beta string', () => new HawkesProcess({ ...good, beta: 'fast' as never }), 'ERR_HAWKES_PARAMETER', /beta must be .* got "fast"/],
      ['maxEvents', () => new HawkesProcess({ ...good, maxEvents: 0 }), 'ERR_INVALID_OPTION', /maxEvents must be an integer/],
      ['allowExplosive', () => new HawkesProcess({ ...good, allowExplosive: 'yes' as never }), 'ERR_INVALID_OPTION', /allowExplosive must be a boolean/],
    ];
    for (const [, make, code, pattern] of cases) refused(make, code, pattern);
  });

  it('refuses bad simulate options, naming them, before any work', async () => {
    const hp = new HawkesProcess(good);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{}, /endTime must be a finite number > 0, got undefined/],
      [{ endTime: 0 }, /endTime .* got 0/],
      [{ endTime: NaN }, /endTime .* got NaN/],
      [{ endTime: Infinity }, /endTime .* got Infinity/],
      [{ endTime: 1, paths: 0 }, /paths must be an integer in \[1, /],
      [{ endTime: 1, paths: 1.5 }, /paths must be an integer/],
      [{ endTime: 1, seed: -1 }, /seed must be an integer/],
      [{ endTime: 1, threads: 0 }, /threads must be an integer in \[1, 1024\], got 0/],
      [{ endTime: 1, maxEvents: 0 }, /maxEvents must be an integer/],
      [{ endTime: 1, method: 'euler' }, /method must be 'exact' or 'thinning', got "euler"/],
      [{ endTime: 1, backend: 'tpu' }, /backend must be 'cpu' or 'cuda', got "tpu"/],
      [{ endTime: 1, statsOnly: 1 }, /statsOnly must be a boolean/],
      [{ endTime: 1, pathz: 3 }, /unknown option "pathz"/],
    ];
    for (const [opts, pattern] of cases) {
      refused(() => hp.simulate(opts as never), 'ERR_INVALID_OPTION', pattern);
      await expect(hp.simulateAsync(opts as never)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    }
    refused(() => hp.simulate(null as never), 'ERR_INVALID_OPTION', /options object/);
    await expect(hp.simulateAsync({ endTime: 1, signal: {} as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(hp.simulateAsync({ endTime: 1, onProgress: 3 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

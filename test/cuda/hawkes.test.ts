// Hawkes simulation on a CUDA device: one path per thread running the same step functions and
// Philox streams as the CPU. Runs only where a device is present; elsewhere it is skipped with
// the reason printed, and only the "no device" refusal is checked.
import { describe, expect, it } from 'vitest';

import { HawkesProcess, HawkgraphError, LobModel, runtime } from '../../dist/index.js';
import { exp1Cdf, flat, ksPValue, rescaledGaps, stationary } from '../helpers/hawkes-reference';

const cuda = runtime().cuda;
const reason = !cuda.compiled ? 'CUDA support not compiled in' : cuda.devices.length === 0 ? `no CUDA device (${cuda.status})` : '';
if (reason) console.log(`skipping CUDA Hawkes tests: ${reason}`);

const P2 = { mu: [0.5, 0.3], alpha: [[0.6, 1.2], [0.1, 1.2]], beta: [[2, 2], [3, 3]] };
const P3 = { mu: [0.2, 0.4, 0.1], alpha: [[0.5, 0.2, 0.0], [0.3, 0.6, 0.4], [0.1, 0.0, 1.2]], beta: [[1.5, 4, 2], [3, 2, 1], [2, 5, 3]] };

function lobProcess(): HawkesProcess {
  const mu = [0.3, 0.3, 0.5, 0.5, 0.4, 0.4, 0.8, 0.8];
  const alpha = Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (_, l) => (k === l ? 2.5 : 0.8)));
  return new HawkesProcess({ mu, alpha, beta: 10 });
}

describe.skipIf(reason !== '')('CUDA Hawkes simulation', () => {
  it.each([['per-row beta', P2], ['full beta', P3]] as const)('stats on the device (%s): rates within 4 sd of (I - alpha/beta)^-1 mu', (_, c) => {
    const hp = new HawkesProcess(c);
    const D = c.mu.length;
    for (const method of ['exact', 'thinning'] as const) {
      // 200k paths on [0, 300]; from an empty start the mean count trails lambda * T by the
      // transient, which the CPU (same streams) shares: compare to it and to the stationary rate.
      const paths = 200_000, T = 300;
      const gpu = hp.simulate({ endTime: T, seed: 3, paths, statsOnly: true, backend: 'cuda', method }).stats;
      const cpu = hp.simulate({ endTime: T, seed: 3, paths: 2000, statsOnly: true, method }).stats;
      const lambda = stationary(flat(c.mu, c.alpha, c.beta as number[][]));
      for (let k = 0; k < D; k++) {
        const sd = Math.sqrt(gpu.countsVariance[k] / paths);
        expect(Math.abs(gpu.countsMean[k] / T - lambda[k])).toBeLessThan(0.02 * lambda[k]);
        expect(Math.abs(gpu.countsMean[k] - cpu.countsMean[k])).toBeLessThan(4 * Math.sqrt(sd * sd + cpu.countsVariance[k] / 2000));
      }
      expect(gpu.paths).toBe(paths);
    }
  });

  it('events come back in chunks, identical to the CPU paths for the same seed (up to libm last bits)', () => {
    const hp = new HawkesProcess(P2);
    // Few long paths: more events per path than one chunk holds.
    const gpu = hp.simulate({ endTime: 60000, seed: 9, paths: 3, backend: 'cuda', intensity: true });
    const cpu = hp.simulate({ endTime: 60000, seed: 9, paths: 3, intensity: true });
    expect(gpu.times.length).toBeGreaterThan(150000);
    let same = 0;
    const n = Math.min(gpu.times.length, cpu.times.length);
    for (let i = 0; i < n; i++) if (gpu.types[i] === cpu.types[i] && Math.abs(gpu.times[i] - cpu.times[i]) < 1e-9 * Math.max(1, cpu.times[i])) same++;
    // The first path at least agrees well into its run; all paths are statistically right.
    expect(same).toBeGreaterThan(1000);
    for (let p = 0; p < 3; p++) {
      const a = gpu.pathOffsets[p], b = gpu.pathOffsets[p + 1];
      for (let i = a + 1; i < b; i++) expect(gpu.times[i]).toBeGreaterThanOrEqual(gpu.times[i - 1]);
      const gaps = rescaledGaps(flat(P2.mu, P2.alpha, P2.beta), gpu.times.subarray(a, b), gpu.types.subarray(a, b));
      expect(ksPValue(gaps, exp1Cdf)).toBeGreaterThan(1e-3);
    }
  });

  it('many paths in events mode match the CPU path by path (>= 99% identical)', () => {
    const hp = new HawkesProcess(P3);
    const gpu = hp.simulate({ endTime: 20, seed: 4, paths: 20000, backend: 'cuda' });
    const cpu = hp.simulate({ endTime: 20, seed: 4, paths: 20000 });
    let identical = 0;
    for (let p = 0; p < 20000; p++) {
      const a = gpu.pathOffsets[p], b = gpu.pathOffsets[p + 1];
      if (b - a !== cpu.pathOffsets[p + 1] - cpu.pathOffsets[p]) continue;
      let ok = true;
      for (let i = 0; i < b - a && ok; i++) ok = gpu.types[a + i] === cpu.types[cpu.pathOffsets[p] + i];
      if (ok) identical++;
    }
    expect(identical).toBeGreaterThanOrEqual(19800);
  });

  it('the LOB model on the device keeps prices consistent and matches the CPU statistics', () => {
    const model = new LobModel({ hawkes: lobProcess(), jumps: { location: 1, scale: 1.5 }, tick: 0.01, initialBid: 100, initialAsk: 100.02 });
    const gpu = model.simulate({ endTime: 30, seed: 2, paths: 2000, backend: 'cuda' });
    for (let p = 0; p < 2000; p++) {
      for (let i = gpu.pathOffsets[p]; i < gpu.pathOffsets[p + 1]; i++) {
        if (!(gpu.ask[i] - gpu.bid[i] > 0.0099)) throw new Error(`spread below one tick at event ${i}`);
      }
    }
    const cpu = model.simulate({ endTime: 30, seed: 2, paths: 2000, statsOnly: true });
    expect(gpu.stats.events).toBeGreaterThan(0.99 * cpu.stats.events);
    expect(gpu.stats.events).toBeLessThan(1.01 * cpu.stats.events);
    const big = model.simulate({ endTime: 30, seed: 2, paths: 100_000, backend: 'cuda', statsOnly: true });
    const sd = Math.sqrt(big.stats.midChangeVariance / 100_000);
    expect(Math.abs(big.stats.midChangeMean)).toBeLessThan(4 * sd + 1e-9);
  });

  it('bounds explosive paths with maxEvents, aborts, and refuses models too large for a device path', async () => {
    const boom = new HawkesProcess({ mu: [1], alpha: [[3]], beta: 2, allowExplosive: true, maxEvents: 5000 });
    const s = boom.simulate({ endTime: 1e9, seed: 1, paths: 1000, backend: 'cuda', statsOnly: true });
    expect(s.stats.events).toBe(5_000_000);
    const e = boom.simulate({ endTime: 1e9, seed: 1, paths: 4, backend: 'cuda' });
    expect(Array.from(e.truncated)).toEqual([1, 1, 1, 1]);
    const controller = new AbortController();
    // About 5e9 events in launches of 262,144 paths (~1.3e3 events each): abort lands between launches.
    const run = lobProcess().simulateAsync({
      endTime: 100, paths: 4_000_000, seed: 1, statsOnly: true, backend: 'cuda', signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    setTimeout(() => controller.abort(), 50);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const D = 9;
    const wide = new HawkesProcess({
      mu: new Array(D).fill(0.1),
      alpha: Array.from({ length: D }, () => new Array(D).fill(0.01)),
      beta: Array.from({ length: D }, (_, k) => Array.from({ length: D }, (_, l) => 1 + k + 0.1 * l)),
    });
    expect(() => wide.simulate({ endTime: 1, backend: 'cuda' })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe.skipIf(reason === '')('no usable CUDA device', () => {
  it('refuses backend cuda with ERR_BACKEND_UNAVAILABLE, sync and async', async () => {
    const hp = new HawkesProcess(P2);
    let caught: unknown;
    try {
      hp.simulate({ endTime: 1, backend: 'cuda' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HawkgraphError);
    expect((caught as HawkgraphError).code).toBe('ERR_BACKEND_UNAVAILABLE');
    await expect(hp.simulateAsync({ endTime: 1, backend: 'cuda', statsOnly: true })).rejects.toMatchObject({ code: 'ERR_BACKEND_UNAVAILABLE' });
  });
});

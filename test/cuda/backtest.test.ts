// Backtests on a CUDA device: one path per thread through the same PathRun as the CPU
// (native/core/backtest/backtest_step.hpp) with the same Philox streams. Runs only where a device
// is present; elsewhere it is skipped with the reason printed and only the refusal is checked.
// Exact per-path equality is not required: the device's log/exp (and, for the policy, its float
// FMA contraction) may differ from glibc's in the last bit, and a flipped comparison changes a
// path from that event on; the bulk must still agree exactly and the rest statistically.
import { describe, expect, it } from 'vitest';

import { HawkgraphError, glftOffsets, runBacktest, runBacktestAsync, runStudy, runStudyAsync, runtime, type Strategy } from '../../dist/index.js';
import { policyFile } from '../helpers/policy';

const cuda = runtime().cuda;
const reason = !cuda.compiled ? 'CUDA support not compiled in' : cuda.devices.length === 0 ? `no CUDA device (${cuda.status})` : '';
if (reason) console.log(`skipping CUDA backtest tests: ${reason}`);

const strategies: [string, Strategy][] = [
  ['sym', 'sym'],
  ['lin', { lin: glftOffsets({ A: 2, k: 0.5, sigma: 3, gamma: 0.01 }) }],
  ['policy', { policy: policyFile({ seed: 9 }) }],
];

describe.skipIf(reason !== '')('CUDA backtests', () => {
  it.each(strategies)('%s: per-path results equal the CPU on the bulk of paths, metrics agree', (_, strategy) => {
    const cfg = { strategy, paths: 2000, horizon: 120, seed: 5, noiseVariance: 0.1 };
    const gpu = runBacktest({ ...cfg, backend: 'cuda' });
    const cpu = runBacktest(cfg);
    let same = 0;
    for (let p = 0; p < cfg.paths; p++) {
      if (gpu.paths.events[p] === cpu.paths.events[p] && gpu.paths.trades[p] === cpu.paths.trades[p] &&
          Math.abs(gpu.paths.pnl[p] - cpu.paths.pnl[p]) <= 1e-9 * Math.max(1, Math.abs(cpu.paths.pnl[p]))) same++;
    }
    expect(same / cfg.paths).toBeGreaterThan(0.97);
    const se = Math.hypot(gpu.metrics.std, cpu.metrics.std) / Math.sqrt(cfg.paths);
    expect(Math.abs(gpu.metrics.mean - cpu.metrics.mean)).toBeLessThan(4 * se + 1e-9);
    for (let g = 0; g < gpu.pnlOverTime.time.length; g++) expect(gpu.pnlOverTime.time[g]).toBe(cpu.pnlOverTime.time[g]);
    for (let p = 0; p < cfg.paths; p++) expect(Math.abs(gpu.paths.inventory[p])).toBeLessThanOrEqual(10);
  });

  it('large runs span several launches; async reports progress and can be aborted', async () => {
    const progress: number[] = [];
    const r = await runBacktestAsync({ strategy: 'sym', paths: 150_000, horizon: 30, seed: 1, backend: 'cuda', timeGrid: 10 }, { onProgress: (p) => progress.push(p.pathsDone) });
    expect(r.paths.pnl).toHaveLength(150_000);
    expect(r.pnlOverTime.mean).toHaveLength(11);
    const ac = new AbortController();
    const p = runBacktestAsync({ strategy: 'sym', paths: 2_000_000, horizon: 600, seed: 1, backend: 'cuda', timeGrid: 0 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a study runs its strategies and noise levels together on the device: each run equals the same run alone', async () => {
    const study = { strategies: Object.fromEntries(strategies), paths: 500, horizon: 60, seed: 3, noise: [0.2], feeSweep: [0, 0.002], backend: 'cuda' as const };
    const together = runStudy(study);
    const progress: number[] = [];
    const asynchronous = await runStudyAsync(study, { onProgress: (p) => progress.push(p.pathsDone) });
    expect(together.rows).toHaveLength(3 * (1 + 1 + 2));
    for (const [name, strategy] of strategies) {
      const alone = runBacktest({ strategy, paths: 500, horizon: 60, seed: 3, backend: 'cuda' });
      expect(Array.from(together.base[name].paths.pnl), name).toEqual(Array.from(alone.paths.pnl));
      expect(Array.from(asynchronous.base[name].paths.pnl), name).toEqual(Array.from(alone.paths.pnl));
      const noisy = runBacktest({ strategy, paths: 500, horizon: 60, seed: 3, backend: 'cuda', noiseVariance: 0.2 });
      const row = together.rows.find((r) => r.strategy === name && r.study === 'noise')!;
      expect(row.metrics.mean).toBe(noisy.metrics.mean);
    }
    expect(progress.at(-1)).toBeLessThanOrEqual(3 * 2 * 500);
  });

  it('refuses what a device cannot run', () => {
    expect(() => runBacktest({ strategy: () => null, paths: 2, horizon: 1, backend: 'cuda' })).toThrow(/JS callback runs on the CPU only/);
    expect(() => runBacktest({ strategy: 'sym', paths: 2, horizon: 1, backend: 'cuda', record: true })).toThrow(/record/);
  });
});

describe.skipIf(reason === '')('without a device', () => {
  it("backend 'cuda' is refused with ERR_BACKEND_UNAVAILABLE", () => {
    let caught: unknown;
    try {
      runBacktest({ strategy: 'sym', paths: 2, horizon: 1, backend: 'cuda' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HawkgraphError);
    expect((caught as HawkgraphError).code).toBe('ERR_BACKEND_UNAVAILABLE');
  });
});

// trainPolicy and the SAC loop end to end: SAC finds the known optimum of a one-step
// linear-quadratic problem, the same seed gives the same policy bytes (on 1 and 2 threads), the
// policy file loads and runs in runBacktest, the env's rewards are the backtester's, progress and abort work, bad options
// are refused, and the agent trained on the paper's setting beats SYM and the best LIN on Sharpe (an untrained one does not).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { runBacktest, trainPolicy } from '../dist/index.js';
import { resolveTrainOptions, sacHooks } from '../dist/internal.js';
import { readSafetensors } from './helpers/safetensors';
import { policyFile } from './helpers/policy';

// The paper's episode (T = 100 s, dt = 1 s, c = 3) and a small run with small networks.
const market = { horizon: 100, dt: 1, inventoryLimit: 3 };
const quick = { steps: 600, batchSize: 64, hidden: [32, 32], calibrationSteps: 500, learningStarts: 100 };

describe('SAC on a problem with a known optimum', () => {
  it('reward -|a - K s|^2, K = diag(0.5, -0.3): the deterministic action tanh(mean) is within 0.06 of K s', () => {
    const gains = [0.5, -0.3];
    const grid: number[] = [];
    for (const x of [-0.8, -0.3, 0, 0.4, 0.9]) for (const y of [-0.7, 0, 0.6]) grid.push(x, y);
    const o = resolveTrainOptions({ steps: 2500, batchSize: 128, learningRate: 1e-3, seed: 4 }, 0.01);
    const r = sacHooks.trainControl(o, Float64Array.from(gains), Float32Array.from(grid));
    let worst = 0;
    for (let i = 0; i < grid.length; i++) worst = Math.max(worst, Math.abs(r.actions[i] - gains[i % 2] * grid[i]));
    expect(worst).toBeLessThan(0.06);
    // Returns improve: the last 200 episodes lose far less than the random first 100.
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(r.episodeReturns.slice(-200))).toBeGreaterThan(0.2 * mean(r.episodeReturns.slice(0, 100)));
    // alpha was tuned down from 1 towards the target entropy.
    expect(r.alpha.at(-1)!).toBeLessThan(0.5);
  });
});

describe('the LOB env SAC trains on', () => {
  it('episode e under a constant action earns what backtest path e earns under the same quotes (rewards dW - phi |q| dt summed)', () => {
    // action (0.25, 0.5) at scale 8 and offset 1: bid 3 and ask 5 ticks from the best prices (the paper's action),
    // which a policy with constant outputs 3 and 5 and offsets_from "best" quotes too.
    const m = { ...market, seed: 5, paths: 8, phi: 0.01, fees: { maker: 0.001, taker: 0.002 } };
    const returns = sacHooks.lobRollout(m, [0.25, 0.5], 8, 8, 1);
    const constant = policyFile({ metadata: { offsets_from: 'best', output_scale: '[0, 0]', output_offset: '[3, 5]' } });
    const bt = runBacktest({ ...m, strategy: { policy: constant } });
    for (let e = 0; e < 8; e++) expect(Math.abs(returns[e] - bt.paths.reward[e])).toBeLessThan(1e-9);
    expect(new Set(Array.from(returns)).size).toBe(8);
  });
});

describe('trainPolicy', () => {
  it('same seed, same policy bytes, on 1 thread twice and on 2 threads', async () => {
    const a = await trainPolicy({ ...market, seed: 7 }, { ...quick, seed: 3, threads: 1 });
    const b = await trainPolicy({ ...market, seed: 7 }, { ...quick, seed: 3, threads: 1 });
    const c = await trainPolicy({ ...market, seed: 7 }, { ...quick, seed: 3, threads: 2 });
    const d = await trainPolicy({ ...market, seed: 7 }, { ...quick, seed: 4, threads: 1 });
    expect(Buffer.from(a.policy).equals(Buffer.from(b.policy))).toBe(true);
    expect(Buffer.from(a.policy).equals(Buffer.from(c.policy))).toBe(true);
    expect(Buffer.from(a.policy).equals(Buffer.from(d.policy))).toBe(false);
    expect(Array.from(a.metrics.episodeReturns)).toEqual(Array.from(c.metrics.episodeReturns));
    expect(a.steps).toBe(600);
    // 600 steps of 100-step episodes.
    expect(a.metrics.episodeReturns.length).toBe(6);
    expect(a.metrics.criticLoss.length).toBeGreaterThan(0);
    for (const v of a.metrics.criticLoss) expect(Number.isFinite(v)).toBe(true);
  });

  it('writes a policy file the backtester loads and runs: tanh head, z-scores from the calibration run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-sac-'));
    const file = path.join(dir, 'policy.safetensors');
    try {
      const r = await trainPolicy({ ...market, seed: 1 }, { ...quick, path: file });
      expect(r.path).toBe(file);
      expect(Buffer.from(fs.readFileSync(file)).equals(Buffer.from(r.policy))).toBe(true);
      const f = readSafetensors(file);
      expect(f.metadata.output_activation).toBe('tanh');
      expect(JSON.parse(f.metadata.output_scale)).toEqual([100, 100]);
      expect(JSON.parse(f.metadata.input_std)[0]).toBe(3);  // inventory / c
      expect(r.inputStd[1]).toBeGreaterThan(0);
      expect(f.tensors.get('layers.2.weight')!.shape).toEqual([2, 32]);
      const bt = runBacktest({ ...market, seed: 99, paths: 20, strategy: { policy: r.policy } });
      expect(bt.paths.pnl.length).toBe(20);
      for (const v of bt.paths.pnl) expect(Number.isFinite(v)).toBe(true);
      const fromFile = runBacktest({ ...market, seed: 99, paths: 20, strategy: { policy: file } });
      expect(Array.from(fromFile.paths.pnl)).toEqual(Array.from(bt.paths.pnl));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports progress and stops on abort (the promise rejects with the signal reason)', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const run = trainPolicy({}, {
      ...quick, steps: 10_000_000, bufferSize: 10_000,
      onProgress: (p) => {
        seen.push(p.steps);
        expect(p.totalSteps).toBe(10_000_000);
        if (seen.length === 2) ac.abort(new Error('enough'));
      },
      signal: ac.signal,
    });
    await expect(run).rejects.toThrow('enough');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const pre = new AbortController();
    pre.abort(new Error('before'));
    await expect(trainPolicy({}, { ...quick, signal: pre.signal })).rejects.toThrow('before');
  });

  it.each([
    [{ steps: 0 }, /steps must be an integer in \[1, .*got 0/],
    [{ threads: 3 }, /threads must be an integer in \[1, 2\], got 3/],
    [{ hidden: [64, 0] }, /hidden\[1\] must be an integer in \[1, 256\], got 0/],
    [{ hidden: [] }, /hidden must be an array of 1 to 7 layer widths/],
    [{ gamma: 1.5 }, /gamma must be a number in \[0, 1\], got 1.5/],
    [{ learningRate: 0 }, /learningRate must be a number in \(0, 1\], got 0/],
    [{ actionScale: -1 }, /actionScale must be a number of ticks > 0, got -1/],
    [{ batchSize: 1.5 }, /batchSize must be an integer/],
    [{ stpes: 10 }, /unknown trainPolicy option "stpes"/],
    [{ path: '' }, /path must be a non-empty string/],
  ])('refuses %j with ERR_INVALID_OPTION naming the field', async (bad, message) => {
    await expect(trainPolicy({}, bad as never)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(message) });
  });

  it('refuses a config that names a strategy, and a bad market config as runBacktest does', async () => {
    await expect(trainPolicy({ strategy: 'sym' } as never, quick)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/must not name a strategy/) });
    await expect(trainPolicy({ dt: -1 }, quick)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/dt/) });
  });
});

// Sharpe of the paths `idx` (mean over the population std, as computeMetrics).
function sharpeOf(pnl: ArrayLike<number>, idx: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < idx.length; k++) sum += pnl[idx[k]];
  const mean = sum / idx.length;
  let sq = 0;
  for (let k = 0; k < idx.length; k++) sq += (pnl[idx[k]] - mean) ** 2;
  return mean / Math.sqrt(sq / idx.length);
}

// The 1 % quantile of Sharpe(a) - Sharpe(b) over B paired bootstrap resamples of the paths (a fixed LCG, so the bound is reproducible).
function pairedLowerBound(a: ArrayLike<number>, b: ArrayLike<number>, B = 2000): number {
  const n = a.length, idx = new Uint32Array(n), diffs: number[] = [];
  let state = 12345;
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      idx[i] = Math.floor((state / 2 ** 32) * n);
    }
    diffs.push(sharpeOf(a, idx) - sharpeOf(b, idx));
  }
  diffs.sort((x, y) => x - y);
  return diffs[Math.floor(0.01 * B)];
}

describe('the agent trained on the paper\'s setting', () => {
  // 1000 evaluation paths (seed 1); training on other paths (seed 2). SYM and the best of a LIN grid around the
  // paper command's choice (40 + 12 I from the mid), chosen on these same paths (which favours LIN).
  const evaluation = { paths: 1000, seed: 1 };
  const all = Uint32Array.from({ length: 1000 }, (_, i) => i);
  const baselines = () => {
    const sym = runBacktest({ ...evaluation, strategy: 'sym' });
    const lins = [20, 30, 40, 60].flatMap((spread) => [8, 12, 16].map((skew) => runBacktest({ ...evaluation, strategy: { lin: { bid: [spread, skew], ask: [spread, -skew], from: 'mid' } } })));
    const lin = lins.reduce((x, y) => (y.metrics.sharpe > x.metrics.sharpe ? y : x));
    return { sym, lin };
  };

  // 1e5 steps (about 65 s on 2 threads): at 2e4 / 3e4 / 5e4 steps (seeds 1-3) the agent's Sharpe was 1.01-1.54
  // against LIN's 1.29 and the bound below failed for 4 of 6; at 1e5 it was 2.08 (seed 1) with the bound at 0.63.
  it('beats SYM and the best LIN on Sharpe at maker fee 0: the paired bootstrap\'s lower 99 % bound of each difference is > 0', async () => {
    const t = await trainPolicy({ seed: 2 }, { steps: 100_000, seed: 1, threads: 2 });
    const drl = runBacktest({ ...evaluation, strategy: { policy: t.policy } });
    const { sym, lin } = baselines();
    for (const r of [drl, sym, lin]) expect(Math.abs(sharpeOf(r.paths.pnl, all) - r.metrics.sharpe)).toBeLessThan(1e-12);
    expect(pairedLowerBound(drl.paths.pnl, sym.paths.pnl)).toBeGreaterThan(0);
    expect(pairedLowerBound(drl.paths.pnl, lin.paths.pnl)).toBeGreaterThan(0);
  }, 600_000);

  it('an agent with its initial random weights (no update: steps < learningStarts) fails the same check against LIN', async () => {
    const t = await trainPolicy({ seed: 2 }, { steps: 50, seed: 1 });
    const drl = runBacktest({ ...evaluation, strategy: { policy: t.policy } });
    expect(pairedLowerBound(drl.paths.pnl, baselines().lin.paths.pnl)).toBeLessThan(0);
  }, 120_000);
});

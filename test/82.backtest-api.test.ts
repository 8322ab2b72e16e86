// The backtest API: defaults, coded errors naming the field, the policy file checks, the JS
// callback (the slow path) against the same rule run natively, async progress and abort, the
// studies' table and the CUDA backend's refusal where no device is present.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  DEFAULT_LOB_HAWKES, HawkesProcess, PAPER_SETTING, quantileSorted, resolveBacktestConfig, runBacktest, runBacktestAsync, runStudy, runStudyAsync, runtime,
} from '../dist/index.js';
import { runBacktestsTogether as _runBacktestsTogether } from '../dist/internal.js';
import { policyFile } from './helpers/policy';
import { refused } from './helpers/errors';

describe('config', () => {
  it("fills every default but the strategy with the seed paper's setting (PAPER_SETTING)", () => {
    const c = resolveBacktestConfig({ strategy: 'sym' });
    expect(c).toMatchObject({
      horizon: 100, dt: 1, steps: 100, paths: 1000, seed: 0, inventoryLimit: 3, fees: { maker: 0, taker: 0.002 }, phi: 0.01,
      Z1: 8 / 30, Z2: 0.25, Z3: 0.25, fillAtSweepStop: 0.25, eventLoop: 'exact', noiseVariance: 0, timeGrid: 100, backend: 'cpu',
      tick: 0.01, initialBid: 99.95, initialAsk: 100.05,
    });
    expect(c.hawkes.mu).toEqual([0.55, 0.55, 2.6, 2.6, 1.5, 1.5, 1, 1]);
    // alpha[target][source] = E[source][target]: an MAb adds 3 to LAb's intensity, an LAb 0.4 to MAb's.
    expect(c.hawkes.alpha[2][0]).toBe(3);
    expect(c.hawkes.alpha[0][2]).toBe(0.4);
    expect(c.hawkes.beta.flat().every((b) => b === 100)).toBe(true);
    expect(c.jumps).toEqual({ location: [1, 1, 1, 1, 1, 1, 1, 1], scale: [8, 8, 8, 8, 8, 8, 8, 8] });
    const preset = resolveBacktestConfig({ ...PAPER_SETTING, strategy: 'sym' });
    expect(preset).toEqual(c);
  });

  it('the issue example just runs, and the default model runs at its stationary rate less the events the book rules out', () => {
    const r = runBacktest({ strategy: 'sym', paths: 1000, horizon: 600, seed: 1 });
    expect(r.paths.pnl).toHaveLength(1000);
    const events = r.paths.events.reduce((a, b) => a + b, 0);
    // Lambda = (I - alpha / beta)^-1 mu sums to about 11.9 events/s; LA on a one-tick spread and
    // CA onto SYM's resting quote do not happen (and do not excite), so fewer come.
    const rate = new HawkesProcess(DEFAULT_LOB_HAWKES).stationaryIntensity().reduce((a, b) => a + b, 0);
    expect(rate).toBeCloseTo(11.86, 2);
    expect(events / 1000 / 600).toBeGreaterThan(0.6 * rate);
    expect(events / 1000 / 600).toBeLessThan(rate);
    expect(r.pnlOverTime.time).toHaveLength(101);
    expect(r.pnlOverTime.time[100]).toBeCloseTo(600, 9);
    expect(r.pnlOverTime.mean[100]).toBeCloseTo(r.metrics.mean, 6);
    for (let g = 0; g <= 100; g++) expect(r.pnlOverTime.lower[g]).toBeLessThanOrEqual(r.pnlOverTime.upper[g]);
    // The band is the 2.5 % / 97.5 % quantiles across paths: at the horizon, those of the terminal PnL.
    const sorted = Float64Array.from(r.paths.pnl).sort();
    expect(r.pnlOverTime.lower[100]).toBeCloseTo(quantileSorted(sorted, 0.025), 9);
    expect(r.pnlOverTime.upper[100]).toBeCloseTo(quantileSorted(sorted, 0.975), 9);
  });

  it.each([
    [{ strategy: 'sym', horizon: -1 }, /^horizon must be/],
    [{ strategy: 'sym', dt: 0 }, /^dt must be/],
    [{ strategy: 'sym', paths: 1.5 }, /^paths must be an integer/],
    [{ strategy: 'sym', seed: -1 }, /^seed must be/],
    [{ strategy: 'sym', threads: 0 }, /^threads must be/],
    [{ strategy: 'sym', inventoryLimit: 0 }, /^inventoryLimit must be/],
    [{ strategy: 'sym', fees: { maker: 2 } }, /^fees\.maker must be/],
    [{ strategy: 'sym', fees: { maker: 0, rebate: 1 } }, /fees\.rebate/],
    [{ strategy: 'sym', Z3: 1.5 }, /^Z3 must be a probability/],
    [{ strategy: 'sym', phi: -1 }, /^phi must be/],
    [{ strategy: 'sym', noiseVariance: -0.1 }, /^noiseVariance must be/],
    [{ strategy: 'sym', tick: 0 }, /^tick must be/],
    [{ strategy: 'sym', initialBid: 100.005 }, /^initialBid 100.005 is not a multiple/],
    [{ strategy: 'sym', initialAsk: 99.95 }, /^initialAsk \(99.95\) must be at least one tick above/],
    [{ strategy: 'sym', jumps: { scale: [1, 2] } }, /^jumps\.scale must be/],
    [{ strategy: 'sym', backend: 'tpu' }, /^backend must be/],
    [{ strategy: 'sym', horizon: 10, dt: 0.1, paths: 100000, record: true }, /record keeps every step/],
    [{ strategy: 'sym', colour: 'red' }, /unknown config field "colour"/],
    [{ strategy: 'spread' }, /^strategy must be/],
    [{ strategy: { lin: { bid: [1], ask: [1, 0] } } }, /^strategy\.lin\.bid must be/],
    [{ strategy: { policy: 42 } }, /^strategy\.policy must be/],
    [{}, /^strategy is required/],
  ])('refuses %j', (config, pattern) => {
    refused(() => runBacktest(config as never), 'ERR_INVALID_OPTION', pattern);
  });

  it('refuses a run whose results would not fit in memory', () => {
    refused(() => runBacktest({ strategy: 'sym', paths: 2 ** 30, horizon: 1 }), 'ERR_OUT_OF_MEMORY', /need more than 4 GiB/);
  });

  it('refuses a process that is not 8-dimensional or not stable', () => {
    refused(() => runBacktest({ strategy: 'sym', hawkes: { mu: [1, 1], alpha: [[0, 0], [0, 0]], beta: 1 } }), 'ERR_INVALID_OPTION', /^hawkes must have 8 dimensions/);
    const alpha = Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (__, l) => (k === l ? 30 : 0)));
    refused(() => runBacktest({ strategy: 'sym', hawkes: { mu: new Array(8).fill(1), alpha, beta: 20 } }), 'ERR_HAWKES_UNSTABLE', /^hawkes: /);
  });
});

describe('policy strategy', () => {
  const base = { paths: 8, horizon: 20, seed: 4 };

  it('runs a 2 x 64 MLP natively; F64 weights holding the same values give the same results', () => {
    const r = runBacktest({ ...base, strategy: { policy: policyFile({ seed: 3 }) } });
    expect(r.metrics.meanTrades).toBeGreaterThan(0);
    const r64 = runBacktest({ ...base, strategy: { policy: policyFile({ seed: 3, dtype: 'F64' }) } });
    expect(Array.from(r64.paths.pnl)).toEqual(Array.from(r.paths.pnl));
    // From a path on disk too.
    const file = path.join(os.tmpdir(), `hg-policy-${process.pid}.safetensors`);
    fs.writeFileSync(file, policyFile({ seed: 3 }));
    try {
      expect(Array.from(runBacktest({ ...base, strategy: { policy: file } }).paths.pnl)).toEqual(Array.from(r.paths.pnl));
    } finally {
      fs.rmSync(file, { force: true });
    }
    const narrow = runBacktest({ ...base, strategy: { policy: policyFile({ seed: 3, hidden: [16] }) } });
    expect(narrow.paths.pnl).toHaveLength(8);
  });

  it.each([
    [new Uint8Array([1, 2, 3]), /not valid safetensors/],
    [policyFile({ metadata: { input_std: '[1, 0, 1]' } }), /input_std/],
    [policyFile({ metadata: { input_mean: 'oops' } }), /metadata "input_mean" must be a JSON array/],
    [policyFile({ metadata: { output_activation: 'sigmoid' } }), /output_activation/],
  ])('refuses a bad file with ERR_POLICY (%#)', (bytes, pattern) => {
    refused(() => runBacktest({ ...base, strategy: { policy: bytes } }), 'ERR_POLICY', pattern);
  });

  it('refuses a missing file naming it', () => {
    refused(() => runBacktest({ ...base, strategy: { policy: '/nonexistent/actor.safetensors' } }), 'ERR_POLICY', /actor\.safetensors/);
  });
});

describe('callback strategy (the slow path)', () => {
  it('gives the same per-path results as the same rule run natively (LIN)', () => {
    const lin = { bid: [1.5, 0.3] as [number, number], ask: [1.5, -0.3] as [number, number] };
    const native = runBacktest({ strategy: { lin }, paths: 6, horizon: 30, seed: 9, threads: 2 });
    const seen = { states: 0, spreads: 0 };
    const viaJs = runBacktest({
      strategy: (s) => {
        seen.states++;
        if (s.spread >= 1 && Math.abs(s.mid - 0.5 * (s.bid + s.ask)) < 1e-12) seen.spreads++;
        return { bidOffset: lin.bid[0] + lin.bid[1] * s.inventory, askOffset: lin.ask[0] + lin.ask[1] * s.inventory };
      },
      paths: 6, horizon: 30, seed: 9,
    });
    expect(Array.from(viaJs.paths.pnl)).toEqual(Array.from(native.paths.pnl));
    expect(Array.from(viaJs.paths.trades)).toEqual(Array.from(native.paths.trades));
    expect(seen.states).toBe(6 * 30);
    expect(seen.spreads).toBe(seen.states);
    expect(viaJs.config.strategy).toBe('callback');
  });

  it('market orders pay the taker fee; a throwing callback surfaces its error; a bad action is refused', () => {
    const r = runBacktest({ strategy: (s) => ({ market: s.step % 50 === 0 ? (s.inventory > 0 ? 'sell' : 'buy') : null }), paths: 2, horizon: 10, seed: 1, fees: { maker: 0, taker: 0.001 } });
    expect(r.paths.takerNotional[0]).toBeGreaterThan(0);
    expect(r.paths.pnl[0]).toBeCloseTo(r.paths.grossPnl[0] - 0.001 * r.paths.takerNotional[0], 9);
    expect(() => runBacktest({ strategy: () => { throw new Error('boom'); }, paths: 1, horizon: 1 })).toThrow('boom');
    refused(() => runBacktest({ strategy: () => ({ bidOffset: 'x' as never }), paths: 1, horizon: 1 }), 'ERR_INVALID_ARGUMENT', /bidOffset/);
  });

  it('runs async in slices between event-loop turns', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const progress: number[] = [];
    const r = await runBacktestAsync({ strategy: () => ({ bidOffset: 1, askOffset: 1 }), paths: 200, horizon: 60, seed: 1 }, { onProgress: (p) => progress.push(p.pathsDone) });
    clearInterval(timer);
    expect(r.paths.pnl).toHaveLength(200);
    expect(progress.at(-1)).toBe(200);
    expect(progress.length).toBeGreaterThan(1);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('async', () => {
  it('reports progress and resolves with the same results as the sync call', async () => {
    const progress: { pathsDone: number; paths: number; events: number }[] = [];
    const config = { strategy: 'sym' as const, paths: 400, horizon: 120, seed: 6 };
    const r = await runBacktestAsync(config, { onProgress: (p) => progress.push(p) });
    expect(Array.from(r.paths.pnl)).toEqual(Array.from(runBacktest(config).paths.pnl));
    for (const p of progress) expect(p.paths).toBe(400);
  });

  it('aborts with the signal reason and leaves nothing running', async () => {
    const ac = new AbortController();
    const p = runBacktestAsync({ strategy: 'sym', paths: 100000, horizon: 600, seed: 1 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    const pre = new AbortController();
    pre.abort();
    await expect(runBacktestAsync({ strategy: 'sym', paths: 10, horizon: 10 }, { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects (not throws) a bad config', async () => {
    await expect(runBacktestAsync({ strategy: 'sym', horizon: -5 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

describe('studies', () => {
  const config = {
    strategies: { SYM: 'sym' as const, LIN: { lin: { bid: [1, 0.5] as [number, number], ask: [1, -0.5] as [number, number] } } },
    paths: 40, horizon: 30, seed: 2,
  };

  it('noise and fee sweeps in one call: a metrics row per setting', () => {
    const s = runStudy(config);
    expect(s.rows).toHaveLength(2 * (1 + 3 + 4));
    expect(s.rows.filter((r) => r.study === 'noise').map((r) => r.noiseVariance)).toEqual([0.1, 0.2, 0.3, 0.1, 0.2, 0.3]);
    const symFees = s.rows.filter((r) => r.strategy === 'SYM' && r.study === 'fee');
    // The maker fee is swept; the taker fee stays at the config's (the default 0.2 %), as the paper's fee figure.
    expect(symFees.map((r) => r.fee)).toEqual([0, 0.002, 0.004, 0.006].map((maker) => ({ maker, taker: 0.002 })));
    for (let i = 1; i < symFees.length; i++) expect(symFees[i].metrics.mean).toBeLessThan(symFees[i - 1].metrics.mean);
    // The fee rows come from one simulation; a direct run at that fee agrees.
    const direct = runBacktest({ strategy: 'sym', paths: 40, horizon: 30, seed: 2, fees: { maker: 0.004, taker: 0.002 } });
    expect(symFees[2].metrics.mean).toBeCloseTo(direct.metrics.mean, 9);
    expect(s.fees.SYM[2].config.fees).toEqual({ maker: 0.004, taker: 0.002 });
    // Noise changes the paths; a fresh draw per path, clipped at zero.
    const noisy = s.rows.find((r) => r.strategy === 'SYM' && r.noiseVariance === 0.3)!;
    expect(noisy.metrics.mean).not.toBe(s.base.SYM.metrics.mean);
  });

  it('sweepTakerFee moves the taker fee with the maker fee; a taker fee set in the config is the one held otherwise', () => {
    const both = runStudy({ ...config, noise: [], feeSweep: [0, 0.003], sweepTakerFee: true });
    expect(both.rows.filter((r) => r.study === 'fee').map((r) => r.fee)).toEqual([0, 0.003, 0, 0.003].map((f) => ({ maker: f, taker: f })));
    const direct = runBacktest({ strategy: 'sym', paths: 40, horizon: 30, seed: 2, fees: { maker: 0.003, taker: 0.003 } });
    expect(both.fees.SYM[1].metrics.mean).toBeCloseTo(direct.metrics.mean, 9);
    const held = runStudy({ ...config, noise: [], feeSweep: [0.001], fees: { maker: 0, taker: 0.0005 } });
    expect(held.fees.LIN[0].config.fees).toEqual({ maker: 0.001, taker: 0.0005 });
    expect(() => runStudy({ ...config, sweepTakerFee: 'yes' as unknown as boolean })).toThrow(/sweepTakerFee must be a boolean, got "yes"/);
  });

  it('rows come per strategy: base, its noise levels, then its fees', () => {
    const s = runStudy({ ...config, noise: [0.1, 0.3], feeSweep: [0, 0.001, 0.002] });
    const shape = s.rows.map((r) => `${r.strategy} ${r.study} ${r.study === 'fee' ? r.fee.maker : r.noiseVariance}`);
    expect(shape).toEqual([
      'SYM base 0', 'SYM noise 0.1', 'SYM noise 0.3', 'SYM fee 0', 'SYM fee 0.001', 'SYM fee 0.002',
      'LIN base 0', 'LIN noise 0.1', 'LIN noise 0.3', 'LIN fee 0', 'LIN fee 0.001', 'LIN fee 0.002',
    ]);
    expect(s.fees.LIN.map((r) => r.config.fees.maker)).toEqual([0, 0.001, 0.002]);
  });

  it('async with progress over the runs', async () => {
    const labels = new Set<string>();
    const s = await runStudyAsync({ ...config, noise: [0.2], feeSweep: [0, 0.001] }, { onProgress: (p) => labels.add(p.label) });
    expect(s.rows).toHaveLength(2 * (1 + 1 + 2));
    expect([...labels]).toEqual(['SYM', 'SYM noise 0.2', 'LIN', 'LIN noise 0.2']);
  });
});

describe('runs started together (how a CUDA study shares the device)', () => {
  const policy = policyFile({ seed: 3 });
  const configs = [
    { strategy: 'sym' as const, paths: 20, horizon: 20, seed: 4 },
    { strategy: { lin: { bid: [1, 0.5] as [number, number], ask: [1, -0.5] as [number, number] } }, paths: 13, horizon: 20, seed: 4, noiseVariance: 0.2 },
    { strategy: { policy }, paths: 9, horizon: 20, seed: 5, fees: { maker: 0.001, taker: 0.002 }, timeGrid: 10 },
  ];

  it('each run equals the same run on its own, path by path', () => {
    const together = _runBacktestsTogether(configs);
    expect(together).toHaveLength(3);
    configs.forEach((c, i) => {
      const alone = runBacktest(c);
      for (const key of ['pnl', 'inventory', 'map', 'trades', 'cash', 'events', 'reward'] as const) {
        expect(Array.from(together[i].paths[key]), `run ${i} ${key}`).toEqual(Array.from(alone.paths[key]));
      }
      expect(Array.from(together[i].pnlOverTime.mean)).toEqual(Array.from(alone.pnlOverTime.mean));
      expect(together[i].config).toEqual(alone.config);
    });
  });

  it('refuses a bad run (naming the field), runs on different backends or of different Hawkes models', () => {
    refused(() => _runBacktestsTogether([configs[0], { ...configs[1], dt: -1 }]), 'ERR_INVALID_OPTION', /dt/);
    refused(() => _runBacktestsTogether([configs[0], { ...configs[0], backend: 'cuda' }]), 'ERR_INVALID_OPTION', /same backend/);
    const otherHawkes = { ...resolveBacktestConfig(configs[0]).hawkes, mu: resolveBacktestConfig(configs[0]).hawkes.mu.map((m) => m * 1.1) };
    refused(() => _runBacktestsTogether([configs[0], { ...configs[0], hawkes: otherHawkes }]), 'ERR_INVALID_ARGUMENT', /share one Hawkes model/);
  });
});

describe('cuda backend without a device', () => {
  const noDevice = runtime().cuda.devices.length === 0;
  it.skipIf(!noDevice)('refuses with ERR_BACKEND_UNAVAILABLE', () => {
    refused(() => runBacktest({ strategy: 'sym', paths: 4, horizon: 1, backend: 'cuda' }), 'ERR_BACKEND_UNAVAILABLE', /backend 'cuda' is not available/);
  });

  it.skipIf(!noDevice)('refuses a study (its runs go to the device together) with ERR_BACKEND_UNAVAILABLE', async () => {
    const study = { strategies: { SYM: 'sym' as const, LIN: { lin: { bid: [1, 0.5] as [number, number], ask: [1, -0.5] as [number, number] } } }, paths: 4, horizon: 1, backend: 'cuda' as const };
    refused(() => runStudy(study), 'ERR_BACKEND_UNAVAILABLE', /backend 'cuda' is not available/);
    await expect(runStudyAsync(study)).rejects.toMatchObject({ code: 'ERR_BACKEND_UNAVAILABLE' });
  });
});

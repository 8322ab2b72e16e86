// The accounting and the procedure of docs/backtest.md, checked on every path: |I| <= c; wealth
// = cash + inventory x mid; every fill at the quoted price, net of the fee; same seed, same
// results whatever the thread count; a higher fee never raises SYM's mean PnL; without
// aggressive order flow and with zero fees a SYM quoter's wealth never decreases.
import { describe, expect, it } from 'vitest';

import { DEFAULT_LOB_HAWKES, runBacktest, runBacktestAsync, type BacktestResult } from '../dist/index.js';
import { policyFile } from './helpers/policy';

const policy = policyFile({ seed: 7 });
const strategies = {
  sym: 'sym' as const,
  lin: { lin: { bid: [1.5, 0.4] as [number, number], ask: [1.5, -0.4] as [number, number] } },
  policy: { policy },
};

function violations(): { check(ok: boolean, what: string): void; list: string[] } {
  const list: string[] = [];
  return { list, check: (ok, what) => { if (!ok && list.length < 5) list.push(what); } };
}

describe.each(Object.entries(strategies))('%s', (name, strategy) => {
  const c = 3;
  const fee = 0.001;
  const r = runBacktest({ strategy, paths: 24, horizon: 60, dt: 0.1, seed: 5, inventoryLimit: c, fees: { maker: fee, taker: fee }, record: true, threads: 1 });

  it('never holds more than c units', () => {
    const v = violations();
    for (let i = 0; i < r.records!.steps.inventory.length; i++) v.check(Math.abs(r.records!.steps.inventory[i]) <= c, `step ${i}`);
    for (let i = 0; i < r.records!.fills.inventory.length; i++) v.check(Math.abs(r.records!.fills.inventory[i]) <= c, `fill ${i}`);
    for (let p = 0; p < 24; p++) v.check(Math.abs(r.paths.inventory[p]) <= c, `path ${p}`);
    expect(v.list).toEqual([]);
    expect(r.records!.fills.price.length).toBeGreaterThan(100);
  });

  it('wealth = cash + inventory x mid, on every path and at every step', () => {
    const v = violations();
    for (let p = 0; p < 24; p++) {
      const w = r.paths.cash[p] + r.paths.inventory[p] * r.paths.mid[p];
      v.check(Math.abs(w - r.paths.pnl[p]) < 1e-9 * Math.max(1, Math.abs(w)), `path ${p}: ${w} vs ${r.paths.pnl[p]}`);
    }
    const s = r.records!.steps;
    for (let i = 0; i < s.time.length; i++) {
      const w = s.cash[i] + s.inventory[i] * 0.5 * (s.bid[i] + s.ask[i]);
      v.check(Math.abs(w - s.wealth[i]) < 1e-9 * Math.max(1, Math.abs(w)), `step ${i}`);
    }
    expect(v.list).toEqual([]);
  });

  it('fills at the quoted price net of the fee, and the cash they add up to is the path cash', () => {
    const v = violations();
    const s = r.records!.steps, f = r.records!.fills;
    const steps = r.config.steps;
    const cash = new Float64Array(24);
    const inventory = new Float64Array(24);
    for (let i = 0; i < f.price.length; i++) {
      const p = f.path[i];
      const row = p * steps + f.step[i];
      v.check(s.path[row] === p, `fill ${i}: step row`);
      const quoted = f.side[i] > 0 ? s.quoteBid[row] : s.quoteAsk[row];
      if (f.maker[i] === 1) v.check(Math.abs(f.price[i] - quoted) < 1e-9, `fill ${i}: price ${f.price[i]} vs quote ${quoted}`);
      v.check(Math.abs(f.fee[i] - fee * f.price[i]) < 1e-12, `fill ${i}: fee ${f.fee[i]} vs ${fee * f.price[i]}`);
      cash[p] += -f.side[i] * f.price[i] - f.fee[i];
      inventory[p] += f.side[i];
      v.check(Math.abs(cash[p] - f.cash[i]) < 1e-8, `fill ${i}: cash ${f.cash[i]} vs replay ${cash[p]}`);
      v.check(inventory[p] === f.inventory[i], `fill ${i}: inventory`);
    }
    for (let p = 0; p < 24; p++) {
      v.check(Math.abs(cash[p] - r.paths.cash[p]) < 1e-8, `path ${p}: cash ${r.paths.cash[p]} vs replay ${cash[p]}`);
      v.check(inventory[p] === r.paths.inventory[p], `path ${p}: inventory`);
    }
    expect(v.list).toEqual([]);
  });

  it('the single-path loop (what a GPU thread runs, used here by record) equals the interleaved CPU lanes', () => {
    const plain = runBacktest({ strategy, paths: 24, horizon: 60, dt: 0.1, seed: 5, inventoryLimit: c, fees: { maker: fee, taker: fee }, threads: 2 });
    for (const key of ['pnl', 'inventory', 'map', 'trades', 'cash', 'events', 'reward'] as const) expect(Array.from(plain.paths[key])).toEqual(Array.from(r.paths[key]));
  });

  it('same seed, same per-path results on 1, 2 and 3 threads, sync and async', async () => {
    const run = (threads: number) => runBacktest({ strategy, paths: 40, horizon: 30, seed: 11, threads, noiseVariance: name === 'lin' ? 0.2 : 0 });
    const a = run(1), b = run(2), d = run(3);
    const e = await runBacktestAsync({ strategy, paths: 40, horizon: 30, seed: 11, threads: 2, noiseVariance: name === 'lin' ? 0.2 : 0 });
    const same = (x: BacktestResult, y: BacktestResult) => {
      for (const key of ['pnl', 'inventory', 'map', 'trades', 'cash', 'events'] as const) expect(Array.from(y.paths[key])).toEqual(Array.from(x.paths[key]));
      expect(Array.from(y.pnlOverTime.mean)).toEqual(Array.from(x.pnlOverTime.mean));
    };
    same(a, b);
    same(a, d);
    same(a, e);
  });
});

describe('fees and the no-aggression case', () => {
  it('raising the fee never raises SYM mean PnL on the same seeds', () => {
    const fees = [0, 0.0005, 0.001, 0.002, 0.004];
    const means = fees.map((f) => runBacktest({ strategy: 'sym', paths: 32, horizon: 60, seed: 3, fees: { maker: f, taker: f } }).metrics.mean);
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeLessThanOrEqual(means[i - 1]);
    expect(means[4]).toBeLessThan(means[0]);
  });

  // Z2 = 0: SYM's own cancellations would otherwise be aggressive and move the price.
  it('without aggressive orders and with zero fees, SYM wealth never decreases', () => {
    const mu = DEFAULT_LOB_HAWKES.mu.map((m, k) => (k >= 6 ? m : 0));
    const alpha = (DEFAULT_LOB_HAWKES.alpha as number[][]).map((row, k) => row.map((a, l) => (k >= 6 && l >= 6 ? a : 0)));
    const r = runBacktest({ strategy: 'sym', hawkes: { mu, alpha, beta: 20 }, paths: 16, horizon: 60, seed: 2, record: true, inventoryLimit: 5, Z2: 0 });
    const s = r.records!.steps;
    const v = violations();
    for (let i = 1; i < s.time.length; i++) {
      if (s.path[i] !== s.path[i - 1]) continue;
      v.check(s.wealth[i] >= s.wealth[i - 1] - 1e-9, `step ${i}: ${s.wealth[i - 1]} -> ${s.wealth[i]}`);
    }
    for (let p = 0; p < 16; p++) v.check(r.paths.pnl[p] >= -1e-9, `path ${p}`);
    expect(v.list).toEqual([]);
    expect(r.metrics.meanTrades).toBeGreaterThan(10);
    expect(r.metrics.mean).toBeGreaterThan(0);
  });
});

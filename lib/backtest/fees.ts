/**
 * Fee repricing: the quotes of natively evaluated strategies never depend on fees, so one run
 * gives every fee exactly: net = gross - maker * makerNotional - taker * takerNotional, per path
 * and per time-grid point. (A callback sees its cash and must be run again per fee.)
 */
import type { NativeBacktestResult } from '../native';
import type { BacktestPaths } from './types';

type Fees = { maker: number; taker: number };

/** The per-path results of `raw` (run at `runFees`) as they are at `fees`. */
export function repricedPaths(raw: NativeBacktestResult, runFees: Fees, fees: Fees): BacktestPaths {
  const same = fees.maker === runFees.maker && fees.taker === runFees.taker;
  const pnl = same ? raw.pnl : netPnl(raw, fees);
  const cash = same
    ? raw.cash
    : raw.cash.map((c, i) => c + (runFees.maker - fees.maker) * raw.makerNotional[i] + (runFees.taker - fees.taker) * raw.takerNotional[i]);
  return {
    pnl, inventory: raw.inventory, map: raw.map, trades: raw.trades,
    reward: same ? raw.reward : raw.reward.map((x, i) => x + pnl[i] - raw.pnl[i]),
    cash, mid: raw.mid, grossPnl: raw.grossPnl, makerNotional: raw.makerNotional, takerNotional: raw.takerNotional, events: raw.events,
  };
}

function netPnl(raw: NativeBacktestResult, fees: Fees): Float64Array {
  const out = new Float64Array(raw.grossPnl.length);
  for (let i = 0; i < out.length; i++) out[i] = raw.grossPnl[i] - fees.maker * raw.makerNotional[i] - fees.taker * raw.takerNotional[i];
  return out;
}

/** PnL at time-grid entry i (path-major: path p, point g at p * timeGrid + g) at `fees`. */
export function gridPnl(raw: NativeBacktestResult, i: number, fees: Fees): number {
  return raw.gridGross[i] - fees.maker * raw.gridMaker[i] - fees.taker * raw.gridTaker[i];
}

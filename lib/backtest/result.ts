/**
 * A run's result from the native per-path arrays: paths, metrics, pnlOverTime (mean and 95 % band
 * per time point), each at the config's fees or repriced at others (fees.ts); and the raw
 * results of path slices joined into one.
 */
import { NATIVE_RESULT_COLUMNS } from '../native';
import type { NativeBacktestResult } from '../native';
import { gridPnl, repricedPaths } from './fees';
import { computeMetrics } from './metrics';
import { quantileInPlace } from './quantiles';
import type { BacktestRecords, BacktestResult, PnlOverTime, ResolvedBacktestConfig } from './types';

// Mean and 95 % band of PnL across paths at each time-grid point (point 0: time 0, PnL 0).
function pnlOverTime(raw: NativeBacktestResult, r: ResolvedBacktestConfig, fees: { maker: number; taker: number }): PnlOverTime {
  const G = r.timeGrid, P = r.paths;
  const time = new Float64Array(G + 1), mean = new Float64Array(G + 1), lower = new Float64Array(G + 1), upper = new Float64Array(G + 1);
  const column = new Float64Array(P);
  for (let g = 0; g < G; g++) {
    const step = Math.floor(((g + 1) * r.steps) / G);
    time[g + 1] = Math.min(step * r.dt, r.horizon);
    let s = 0;
    for (let p = 0; p < P; p++) {
      const i = p * G + g;
      const v = gridPnl(raw, i, fees);
      column[p] = v;
      s += v;
    }
    mean[g + 1] = s / P;
    lower[g + 1] = quantileInPlace(column, 0.025);
    upper[g + 1] = quantileInPlace(column, 0.975);
  }
  return { time, mean, lower, upper };
}

/** The result of a run of config `r` from its raw arrays, at `fees` (default: the config's own). */
export function toResult(raw: NativeBacktestResult, r: ResolvedBacktestConfig, fees = r.fees): BacktestResult {
  const sameFees = fees.maker === r.fees.maker && fees.taker === r.fees.taker;
  const paths = repricedPaths(raw, r.fees, fees);
  const out: BacktestResult = {
    paths,
    metrics: computeMetrics(paths.pnl, raw.map, raw.trades, raw.inventory),
    pnlOverTime: pnlOverTime(raw, r, fees),
    config: sameFees ? r : { ...r, fees: { ...fees } },
  };
  if (raw.steps && raw.fills && raw.bookEvents) out.records = { steps: raw.steps, fills: raw.fills, events: raw.bookEvents };
  return out;
}

/** The raw results of consecutive path slices of one run, joined (column by column). */
export function concatRaw(parts: NativeBacktestResult[]): NativeBacktestResult {
  if (parts.length === 1) return parts[0];
  const cat = (get: (r: NativeBacktestResult) => Float64Array) => {
    const total = parts.reduce((n, r) => n + get(r).length, 0);
    const out = new Float64Array(total);
    let at = 0;
    for (const r of parts) {
      out.set(get(r), at);
      at += get(r).length;
    }
    return out;
  };
  const out = {} as NativeBacktestResult;
  for (const k of NATIVE_RESULT_COLUMNS) out[k] = cat((r) => r[k]);
  if (parts[0].steps && parts[0].fills) {
    const steps = {} as BacktestRecords['steps'];
    for (const k of Object.keys(parts[0].steps) as (keyof BacktestRecords['steps'])[]) steps[k] = cat((r) => r.steps![k]);
    const fills = {} as BacktestRecords['fills'];
    for (const k of Object.keys(parts[0].fills) as (keyof BacktestRecords['fills'])[]) fills[k] = cat((r) => r.fills![k]);
    const events = {} as BacktestRecords['events'];
    for (const k of Object.keys(parts[0].bookEvents!) as (keyof BacktestRecords['events'])[]) events[k] = cat((r) => r.bookEvents![k]);
    out.steps = steps;
    out.fills = fills;
    out.bookEvents = events;
  }
  return out;
}

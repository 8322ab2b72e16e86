/**
 * Risk metrics over paths (docs/backtest.md), from the per-path arrays a run returns or a
 * caller's own.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { isArrayLike } from '../options';
import { quantileSorted } from './quantiles';
import type { BacktestMetrics } from './types';

/**
 * Metrics over paths (docs/backtest.md): std is the population std (ddof 0); skew and excess
 * kurtosis are the biased moment estimators (scipy.stats.skew / kurtosis defaults); Jarque-Bera
 * = n / 6 (S^2 + K^2 / 4) with its chi-square(2) p-value exp(-JB / 2).
 */
export function computeMetrics(
  pnl: ArrayLike<number>, map?: ArrayLike<number>, trades?: ArrayLike<number>, inventory?: ArrayLike<number>,
): BacktestMetrics {
  const values = readInput('ERR_INVALID_ARGUMENT', 'computeMetrics arguments', () => {
    const x = metricColumn(pnl, 'pnl', undefined);
    if (x === undefined || x.length === 0) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `pnl must hold at least one value, got ${describe(pnl)}`);
    return [x, metricColumn(map, 'map', x.length), metricColumn(trades, 'trades', x.length), metricColumn(inventory, 'inventory', x.length)] as const;
  });
  return metricsOf(values[0], values[1], values[2], values[3]);
}

/** A per-path column of computeMetrics as a Float64Array of finite numbers (ERR_INVALID_ARGUMENT naming the entry). */
function metricColumn(v: unknown, field: string, length: number | undefined): Float64Array | undefined {
  if (v === undefined && length !== undefined) return undefined;
  if (!isArrayLike(v)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `${field} must be an array of numbers, one per path, got ${describe(v)}`);
  const a = v as ArrayLike<unknown>;
  if (length !== undefined && a.length !== length) {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', `${field} must have one value per path (${length}, as pnl), got ${a.length}`);
  }
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `${field}[${i}] must be a finite number, got ${describe(x)}`);
    out[i] = x;
  }
  return out;
}

function metricsOf(pnl: Float64Array, map?: Float64Array, trades?: Float64Array, inventory?: Float64Array): BacktestMetrics {
  const n = pnl.length;
  // Moments of values near the float64 limit would overflow (1e308 squared); they are taken in
  // units of the largest |value| then, which leaves the ordinary case bit for bit as it was.
  let big = 0;
  for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(pnl[i]));
  const unit = big > 1e150 ? big : 1;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += pnl[i] / unit;
  const mean = (sum / n) * unit;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = unit === 1 ? pnl[i] - mean : pnl[i] / unit - mean / unit;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const std = Math.sqrt(m2) * unit;
  const skew = m2 > 0 ? m3 / Math.pow(m2, 1.5) : NaN;
  const kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3 : NaN;
  const jb = (n / 6) * (skew * skew + (kurtosis * kurtosis) / 4);
  const sorted = Float64Array.from(pnl).sort();
  const avg = (a?: ArrayLike<number>) => {
    if (!a || a.length === 0) return NaN;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    return s / a.length;
  };
  const mapMean = avg(map);
  const counts = new Map<number, number>();
  if (inventory) for (let i = 0; i < inventory.length; i++) counts.set(inventory[i], (counts.get(inventory[i]) ?? 0) + 1);
  const values = [...counts.keys()].sort((a, b) => a - b);
  return {
    paths: n,
    mean,
    std,
    percentiles: {
      p1: quantileSorted(sorted, 0.01),
      p5: quantileSorted(sorted, 0.05),
      p50: quantileSorted(sorted, 0.5),
      p95: quantileSorted(sorted, 0.95),
      p99: quantileSorted(sorted, 0.99),
    },
    sharpe: std > 0 ? mean / std : NaN,
    skew,
    kurtosis,
    jarqueBera: { statistic: jb, pValue: Math.exp(-jb / 2) },
    map: mapMean,
    meanPnlOverMap: mean / mapMean,
    meanTrades: avg(trades),
    inventoryDistribution: { values, counts: values.map((v) => counts.get(v)!) },
  };
}

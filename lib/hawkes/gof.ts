/**
 * Goodness of fit of a Hawkes process to an event stream by time rescaling (docs/hawkes.md,
 * "Goodness of fit"): the native residuals (compensator increments between consecutive events of
 * each type, i.i.d. Exp(1) under the model), their Kolmogorov-Smirnov test against Exp(1) per type
 * and pooled, and QQ points to plot. Depends on native/, params.ts and kolmogorov.ts; not on
 * process.ts (which delegates here), so the fit code can call goodnessOfFitFor too.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { native } from '../native';
import { LIB_LIMITS } from '../native/layouts';
import { checkKeys, integerOption, optionError } from '../options';
import { kolmogorovSf } from './kolmogorov';
import { endTimeArg, eventArrays, readProcessParams } from './params';
import type { HawkesParams } from './types';

/** A one-sample Kolmogorov-Smirnov test against Exp(1). */
export interface KsTest {
  /** D_n = sup_x |F_n(x) - F(x)|, F(x) = 1 - exp(-x). NaN without samples. */
  statistic: number;
  /** P(D_n >= statistic) under the null, from the exact distribution of D_n (scipy's kstwo.sf). */
  pValue: number;
  /** Samples tested. */
  n: number;
}

/** Points of a QQ plot against Exp(1): on the line y = x when the residuals are Exp(1). */
export interface QqPoints {
  /** Exp(1) quantiles -log(1 - p) at the probabilities p_j = (j + 1/2) / m. */
  theoretical: Float64Array;
  /** The residuals' empirical quantiles at the same p_j (order statistics when m = n). */
  empirical: Float64Array;
}

/** The test of one event type. */
export interface HawkesTypeGoodness {
  type: number;
  /** Events of this type in the window. */
  events: number;
  /** Residuals of this type's events, in time order (the first from the window start). */
  residuals: Float64Array;
  /** Lambda_k over the whole window (residuals plus the censored gap after the last event): about `events` when the model fits. */
  compensator: number;
  ks: KsTest;
  qq: QqPoints;
}

export interface HawkesGoodnessOfFit {
  startTime: number;
  endTime: number;
  /** One entry per event type, in type order. */
  types: HawkesTypeGoodness[];
  /**
   * Every type's residuals pooled: under the model the types' rescaled streams are independent
   * unit Poisson processes, so all residuals together are i.i.d. Exp(1) as well.
   */
  overall: KsTest;
}

export interface GoodnessOfFitOptions {
  /** Start of the observation window [startTime, endTime] (default 0), at or before the first event; the history before it is taken as empty. */
  startTime?: number;
  /** QQ points per type (default 200, 2 .. 10000; all residuals when a type has fewer). */
  qqPoints?: number;
}

const OPTION_KEYS = new Set(['startTime', 'qqPoints']);

/** F(x) = 1 - exp(-x) without losing the digits of small x. */
const exp1Cdf = (x: number): number => (x > 0 ? -Math.expm1(-x) : 0);

/** The Kolmogorov-Smirnov test of samples against Exp(1); `sorted` says they are sorted ascending already. */
export function ksExp1(samples: ArrayLike<number>, sorted = false): KsTest {
  const xs = sorted ? samples : Float64Array.from(samples).sort();
  const n = xs.length;
  if (n === 0) return { statistic: NaN, pValue: NaN, n };
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = exp1Cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return { statistic: d, pValue: kolmogorovSf(n, d), n };
}

/** QQ points of sorted samples against Exp(1): `points` quantiles (Hazen plotting positions), or every sample when there are fewer. */
export function exp1Qq(sorted: ArrayLike<number>, points: number = LIB_LIMITS.hawkesQqPoints.default): QqPoints {
  const n = sorted.length, m = Math.min(n, points);
  const theoretical = new Float64Array(m), empirical = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const p = (j + 0.5) / m;
    theoretical[j] = -Math.log1p(-p);
    // Linear interpolation between order statistics at position p n - 1/2 (exact when m = n).
    const pos = Math.min(n - 1, Math.max(0, p * n - 0.5)), lo = Math.floor(pos), frac = pos - lo;
    empirical[j] = frac > 0 ? sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
  }
  return { theoretical, empirical };
}

function readOptions(options: unknown): { startTime: number; qqPoints: number } {
  if (options === null || typeof options !== 'object') optionError(`goodness-of-fit options must be an object, got ${describe(options)}`);
  checkKeys(options, OPTION_KEYS, 'goodness-of-fit option');
  const o = options as GoodnessOfFitOptions;
  const startTime = o.startTime ?? 0;
  if (typeof startTime !== 'number') throw new HawkgraphError('ERR_HAWKES_EVENTS', `startTime must be a number, got ${describe(startTime)}`);
  const q = LIB_LIMITS.hawkesQqPoints;
  return { startTime, qqPoints: integerOption(o.qqPoints, 'qqPoints', q.default, q.min, q.max) };
}

/** The process fields goodnessOfFit reads: flat mu [D], alpha and beta [D * D] row-major. */
export interface FlatHawkes {
  dims: number;
  mu: Float64Array;
  alpha: Float64Array;
  beta: Float64Array;
}

/** HawkesProcess.goodnessOfFit's body. */
export function processGoodnessOfFit(hp: FlatHawkes, times: ArrayLike<number>, types: ArrayLike<number>, endTime: number, options: GoodnessOfFitOptions = {}): HawkesGoodnessOfFit {
  const { startTime, qqPoints } = readOptions(options);
  const [t, k] = eventArrays(times, types, hp.dims - 1);
  const end = endTimeArg(endTime);
  const r = native().addon.hawkesResiduals(hp.mu, hp.alpha, hp.beta, t, k, end, startTime);
  const D = hp.dims, n = k.length;
  const counts = new Int32Array(D);
  for (let i = 0; i < n; i++) counts[k[i]]++;
  const perType = Array.from({ length: D }, (_, type) => new Float64Array(counts[type]));
  const fill = new Int32Array(D);
  for (let i = 0; i < n; i++) perType[k[i]][fill[k[i]]++] = r.residuals[i];
  const result: HawkesTypeGoodness[] = perType.map((residuals, type) => {
    const sorted = Float64Array.from(residuals).sort();
    let compensator = r.tail[type];
    for (let i = 0; i < residuals.length; i++) compensator += residuals[i];
    return { type, events: residuals.length, residuals, compensator, ks: ksExp1(sorted, true), qq: exp1Qq(sorted, qqPoints) };
  });
  return { startTime, endTime: end, types: result, overall: ksExp1(r.residuals) };
}

/**
 * The goodness of fit of parameters { mu, alpha, beta } (e.g. a fit's `params`; beta a number, a
 * vector or a matrix, as HawkesProcess takes it) on the window [startTime, endTime] (startTime
 * default 0). Parameters are checked as HawkesProcess checks them, but an explosive process is
 * tested too (a fit may land there; the test then says how badly it fits).
 */
export function goodnessOfFitFor(params: HawkesParams, times: ArrayLike<number>, types: ArrayLike<number>, endTime: number, startTime?: number): HawkesGoodnessOfFit {
  if (params === null || typeof params !== 'object') {
    throw new HawkgraphError('ERR_HAWKES_PARAMETER', `params must be an object with mu, alpha and beta, got ${describe(params)}`);
  }
  const { mu, alpha, beta } = readInput('ERR_HAWKES_PARAMETER', 'params', () => readProcessParams({ mu: params.mu, alpha: params.alpha, beta: params.beta }));
  return processGoodnessOfFit({ dims: mu.length, mu, alpha, beta }, times, types, endTime, startTime === undefined ? {} : { startTime });
}

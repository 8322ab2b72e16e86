/**
 * HawkesProcess.fit / fitAsync's plumbing: the options read and checked once (the native side
 * checks values again), the native arguments, and the typed result with its optimality
 * certificate. Method and certificate: docs/hawkes.md ("Calibration").
 */
import { HawkgraphError, describe, readInput } from '../errors';
import type { NativeHawkesFit } from '../native';
import { LIMITS } from '../native/layouts';
import { integerOption, optionError } from '../options';
import { MAX_DIMS, endTimeArg, eventArrays, toBeta, toRows } from './params';
import { goodnessOfFitFor } from './gof';
import type { HawkesFit, HawkesFitOptions } from './types';

const FIT_KEYS = ['dims', 'beta', 'startTime', 'threads', 'goodness'];
const ASYNC_KEYS = ['signal', 'onProgress'];

/** What the native fit takes: (times, types, endTime, dims, beta | undefined, startTime, threads). */
export interface FitArgs {
  times: Float64Array;
  types: Int32Array;
  endTime: number;
  dims: number;
  beta: Float64Array | undefined;
  startTime: number;
  threads: number;
  /** Attach the goodness of fit of the fitted parameters (option goodness, default true). */
  goodness: boolean;
}

/** The window start of logLikelihood's options ({ startTime }), default 0. */
export function startTimeOption(options: unknown): number {
  if (options === undefined) return 0;
  if (options === null || typeof options !== 'object') optionError(`logLikelihood options must be an object { startTime }, got ${describe(options)}`);
  return readInput('ERR_INVALID_OPTION', 'logLikelihood options', () => {
    for (const key of Object.keys(options)) if (key !== 'startTime') optionError(`unknown logLikelihood option ${JSON.stringify(key)} (expected startTime)`);
    return startTimeValue((options as { startTime?: unknown }).startTime);
  });
}

function startTimeValue(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) optionError(`startTime must be a finite number (the window's start, in the events' time unit), got ${describe(v)}`);
  return v;
}

export function fitArgs(times: unknown, types: unknown, endTime: unknown, options: unknown, async: boolean): FitArgs {
  if (options === null || typeof options !== 'object') optionError(`fit options must be an object, got ${describe(options)}`);
  const given = readInput('ERR_INVALID_OPTION', 'fit options', () => {
    for (const key of Object.keys(options)) {
      if (ASYNC_KEYS.includes(key) && !async) optionError(`${key} is an option of fitAsync; fit blocks until it returns`);
      if (!FIT_KEYS.includes(key) && !ASYNC_KEYS.includes(key)) {
        optionError(`unknown fit option ${JSON.stringify(key)} (expected ${[...FIT_KEYS, ...(async ? ASYNC_KEYS : [])].join(', ')})`);
      }
    }
    const o = options as HawkesFitOptions;
    return { dims: o.dims, beta: o.beta, startTime: o.startTime, threads: o.threads, goodness: o.goodness };
  });
  const dims = given.dims === undefined ? undefined : integerOption(given.dims, 'dims', 1, 1, MAX_DIMS);
  const startTime = startTimeValue(given.startTime);
  const threads = integerOption(given.threads, 'threads', 1, 1, LIMITS.maxFitThreads);
  if (given.goodness !== undefined && typeof given.goodness !== 'boolean') optionError(`goodness must be a boolean, got ${describe(given.goodness)}`);
  const goodness = given.goodness ?? true;
  // Without dims, every type must name one of the 64 dimensions a process may have.
  const [t, k] = eventArrays(times, types, (dims ?? MAX_DIMS) - 1);
  let D = dims;
  if (D === undefined) {
    let max = -1;
    for (let i = 0; i < k.length; i++) max = Math.max(max, k[i]);
    if (max < 0) throw new HawkgraphError('ERR_FIT_UNIDENTIFIABLE', 'no events: nothing to fit');
    D = max + 1;
  }
  let beta: Float64Array | undefined;
  if (given.beta !== undefined) {
    try {
      beta = readInput('ERR_INVALID_OPTION', 'beta', () => toBeta(given.beta, D!));
    } catch (err) {
      if (err instanceof HawkgraphError) throw new HawkgraphError('ERR_INVALID_OPTION', err.message, { cause: err.cause });
      throw err;
    }
  }
  return { times: t, types: k, endTime: endTimeArg(endTime), dims: D, beta, startTime, threads, goodness };
}

export function toFit(r: NativeHawkesFit, a: FitArgs): HawkesFit {
  const D = a.dims;
  const fit: HawkesFit = {
    params: { mu: Array.from(r.mu), alpha: toRows(r.alpha, D), beta: toRows(r.beta, D) },
    stdErr: { mu: Array.from(r.stdMu), alpha: toRows(r.stdAlpha, D), beta: toRows(r.stdBeta, D) },
    logLikelihood: r.logLikelihood,
    iterations: r.iterations,
    converged: r.converged,
    optimality: {
      maxFreeGradient: r.maxFreeGradient,
      maxBoundViolation: r.maxBoundViolation,
      iterations: r.iterations,
      kktResidual: r.kktResidual,
      tolerance: LIMITS.fitKktTolerance,
      expectedGain: r.expectedGain,
      worstDimension: r.worstDimension,
    },
    betaSearch: r.betaSearch === undefined ? null : r.betaSearch.map((b) => ({
      lower: b.lower,
      upper: b.upper,
      starts: Array.from(b.starts),
      reached: Array.from(b.reached),
      profileLogLikelihood: Array.from(b.profile),
      winner: b.winner,
      evaluations: b.evaluations,
    })),
  };
  if (!r.converged) fit.message = r.message;
  if (a.goodness) fit.goodness = goodnessOfFitFor(fit.params, a.times, a.types, a.endTime, a.startTime);
  return fit;
}

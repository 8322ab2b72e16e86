/**
 * HawkesProcess: a D-dimensional Hawkes process with exponential kernels, checked once at
 * construction; simulation (native threads or a CUDA device), the log-likelihood and
 * maximum-likelihood calibration run natively.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { native } from '../native';
import type { NativeSimulateOptions } from '../native';
import { integerOption, optionError } from '../options';
import { processGoodnessOfFit, type GoodnessOfFitOptions, type HawkesGoodnessOfFit } from './gof';
import { MAX_DIMS, endTimeArg, eventArrays, fail, readProcessParams, toBeta, toRows } from './params';
import { nativeSimulateOptions, runAsync, toSimulation } from './simulate';
import type { HawkesFit, HawkesFitOptions, HawkesProcessOptions, HawkesSimulation, SimulateAsyncOptions, SimulateOptions } from './types';

/**
 * A D-dimensional Hawkes process with exponential kernels. Parameters are checked once here
 * (shapes, finite, mu >= 0, alpha >= 0, beta > 0, spectral radius of alpha / beta below 1).
 */
export class HawkesProcess {
  readonly dims: number;
  /** Flat copies: mu [D], alpha and beta [D * D] row-major. */
  readonly mu: Float64Array;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  /** True when each row of beta is constant (one decay rate per excited dimension: the fast path). */
  readonly betaPerRow: boolean;
  readonly allowExplosive: boolean;
  readonly maxEvents: number;
  readonly #radius: number;
  readonly #stationary: Float64Array | null;

  constructor(params: HawkesProcessOptions) {
    if (params === null || typeof params !== 'object') fail('params', `must be an object with mu, alpha and beta, got ${describe(params)}`);
    const { mu, alpha, beta, allowExplosive, maxEvents } = readInput('ERR_HAWKES_PARAMETER', 'params', () => readProcessParams(params));
    const D = mu.length;
    this.maxEvents = maxEvents;
    const check = native().addon.hawkesCheck(mu, alpha, beta, allowExplosive);
    this.dims = D;
    this.mu = mu;
    this.alpha = alpha;
    this.beta = beta;
    this.betaPerRow = check.betaPerRow;
    this.allowExplosive = allowExplosive;
    this.#radius = check.spectralRadius;
    this.#stationary = check.stationary;
  }

  /** The spectral radius of the branching matrix alpha / beta (the mean offspring of an event, for D = 1). */
  branchingRatio(): number {
    return this.#radius;
  }

  /** The branching matrix alpha / beta: entry [k][l] is the mean number of type-k children of a type-l event. */
  branchingMatrix(): number[][] {
    const D = this.dims;
    const g = new Float64Array(D * D);
    for (let i = 0; i < D * D; i++) g[i] = this.alpha[i] / this.beta[i];
    return toRows(g, D);
  }

  /** (I - alpha / beta)^-1 mu, the long-run mean intensity; ERR_HAWKES_UNSTABLE for an explosive process. */
  stationaryIntensity(): Float64Array {
    if (this.#stationary === null) {
      throw new HawkgraphError('ERR_HAWKES_UNSTABLE', `no stationary intensity: the spectral radius of alpha / beta is ${this.#radius}`);
    }
    return Float64Array.from(this.#stationary);
  }

  /** The parameters as nested arrays. */
  params(): { mu: number[]; alpha: number[][]; beta: number[][] } {
    return { mu: Array.from(this.mu), alpha: toRows(this.alpha, this.dims), beta: toRows(this.beta, this.dims) };
  }

  /**
   * Simulates paths on [0, endTime]. Blocks the calling thread until done (it uses `threads`
   * native threads); use simulateAsync to keep the event loop free.
   */
  simulate(options: SimulateOptions): HawkesSimulation {
    const o = nativeSimulateOptions(options, this.maxEvents);
    const raw = native().addon.hawkesSimulate(this.mu, this.alpha, this.beta, this.allowExplosive, o);
    return toSimulation(raw, this.dims, o.paths);
  }

  /** Like simulate, on native threads off the JS thread; abortable, with progress reports. */
  simulateAsync(options: SimulateAsyncOptions): Promise<HawkesSimulation> {
    let o: NativeSimulateOptions;
    try {
      o = nativeSimulateOptions(options, this.maxEvents, true);
    } catch (err) {
      return Promise.reject(err);
    }
    return runAsync(
      (onProgress) => native().addon.hawkesSimulateAsync(this.mu, this.alpha, this.beta, this.allowExplosive, o, onProgress),
      options,
      (raw) => toSimulation(raw, this.dims, o.paths),
    );
  }

  /** The exact log-likelihood of one event stream on [0, endTime], in O(n D). */
  logLikelihood(times: ArrayLike<number>, types: ArrayLike<number>, endTime: number): number {
    const [t, k] = eventArrays(times, types, this.dims - 1);
    return native().addon.hawkesLogLikelihood(this.mu, this.alpha, this.beta, t, k, endTimeArg(endTime));
  }

  /**
   * Time-rescaling goodness of fit on [startTime (default 0), endTime]: per type, the residuals
   * (i.i.d. Exp(1) under this process), their Kolmogorov-Smirnov test and QQ points (docs/hawkes.md).
   */
  goodnessOfFit(times: ArrayLike<number>, types: ArrayLike<number>, endTime: number, options: GoodnessOfFitOptions = {}): HawkesGoodnessOfFit {
    return processGoodnessOfFit(this, times, types, endTime, options);
  }

  /**
   * Maximum-likelihood estimates of mu and alpha (and beta, one per excited dimension, unless
   * given) from one event stream, with standard errors from the observed information.
   * ERR_FIT_UNIDENTIFIABLE when the data cannot identify the model.
   */
  static fit(times: ArrayLike<number>, types: ArrayLike<number>, endTime: number, options: HawkesFitOptions = {}): HawkesFit {
    if (options === null || typeof options !== 'object') optionError(`fit options must be an object, got ${describe(options)}`);
    const given = readInput('ERR_INVALID_OPTION', 'fit options', () => {
      for (const key of Object.keys(options)) {
        if (key !== 'dims' && key !== 'beta') optionError(`unknown fit option ${JSON.stringify(key)} (expected dims, beta)`);
      }
      return { dims: options.dims, beta: options.beta };
    });
    const dims = given.dims === undefined ? undefined : integerOption(given.dims, 'dims', 1, 1, MAX_DIMS);
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
    const r = native().addon.hawkesFit(t, k, endTimeArg(endTime), D, beta);
    return {
      params: { mu: Array.from(r.mu), alpha: toRows(r.alpha, D), beta: toRows(r.beta, D) },
      stdErr: { mu: Array.from(r.stdMu), alpha: toRows(r.stdAlpha, D), beta: toRows(r.stdBeta, D) },
      logLikelihood: r.logLikelihood,
      iterations: r.iterations,
    };
  }
}

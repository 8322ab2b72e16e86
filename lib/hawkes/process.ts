/**
 * HawkesProcess: a D-dimensional Hawkes process with exponential kernels, checked once at
 * construction; simulation (native threads or a CUDA device), the log-likelihood and
 * maximum-likelihood calibration run natively.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { native } from '../native';
import type { NativeSimulateOptions } from '../native';
import { type FitArgs, fitArgs, startTimeOption, toFit } from './fit';
import { processGoodnessOfFit, type GoodnessOfFitOptions, type HawkesGoodnessOfFit } from './gof';
import { endTimeArg, eventArrays, fail, readProcessParams, toRows } from './params';
import { nativeSimulateOptions, runAsync, toSimulation } from './simulate';
import type { HawkesFit, HawkesFitAsyncOptions, HawkesFitOptions, HawkesProcessOptions, HawkesSimulation, SimulateAsyncOptions, SimulateOptions } from './types';

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

  /**
   * The exact log-likelihood of one event stream on the window [startTime, endTime] (startTime
   * default 0; no history before it), in O(n D). Times in the parameters' unit (seconds by
   * convention). A window implausible for its events is refused (see HawkesFitOptions.startTime).
   */
  logLikelihood(times: ArrayLike<number>, types: ArrayLike<number>, endTime: number, options?: { startTime?: number }): number {
    const [t, k] = eventArrays(times, types, this.dims - 1);
    const end = endTimeArg(endTime);
    return native().addon.hawkesLogLikelihood(this.mu, this.alpha, this.beta, t, k, end, startTimeOption(options));
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
   * given) from one event stream on [startTime, endTime], with standard errors from the observed
   * information and a certificate (converged, optimality). Blocks the calling thread: fitAsync
   * runs on a native thread. ERR_FIT_UNIDENTIFIABLE when the data cannot identify the model.
   */
  static fit(times: ArrayLike<number>, types: ArrayLike<number>, endTime: number, options: HawkesFitOptions = {}): HawkesFit {
    const a = fitArgs(times, types, endTime, options, false);
    return toFit(native().addon.hawkesFit(a.times, a.types, a.endTime, a.dims, a.beta, a.startTime, a.threads), a);
  }

  /** Like fit, on a native thread off the JS thread; abortable (rejects with signal.reason), with progress reports. */
  static fitAsync(times: ArrayLike<number>, types: ArrayLike<number>, endTime: number, options: HawkesFitAsyncOptions = {}): Promise<HawkesFit> {
    let a: FitArgs;
    try {
      a = fitArgs(times, types, endTime, options, true);
    } catch (err) {
      return Promise.reject(err);
    }
    const onProgress = options.onProgress;
    return runAsync(
      (progress) => native().addon.hawkesFitAsync(a.times, a.types, a.endTime, a.dims, a.beta, a.startTime, a.threads, progress),
      { signal: options.signal, onProgress: onProgress === undefined ? undefined : (p) => onProgress({ dimensionsDone: p.pathsDone, dims: p.paths, iterations: p.events }) },
      (raw) => toFit(raw, a),
    );
  }
}

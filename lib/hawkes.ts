/**
 * Multivariate exponential-kernel Hawkes processes: parameters and their checks, exact
 * simulation on native threads (or a CUDA device), the log-likelihood, maximum-likelihood
 * calibration, and live intensities from an event feed. Conventions in docs/hawkes.md:
 * lambda_k(t) = mu_k + sum over earlier events j of alpha[k][type_j] * exp(-beta[k][type_j] (t - t_j)).
 */
import * as os from 'node:os';

import { HawkgraphError, describe, readInput } from './errors';
import { native } from './native';

/** A D x D matrix as nested arrays (row = the excited type). */
export type Matrix = ArrayLike<ArrayLike<number>>;

export interface HawkesParams {
  /** Baseline intensities, one per dimension (1 to 64 dimensions). */
  mu: ArrayLike<number>;
  /** Excitation: alpha[k][l] is the jump in type k's intensity after an event of type l. */
  alpha: Matrix;
  /**
   * Decay rates: one number for every kernel, one per excited dimension (beta[k] for row k:
   * the fast path), or a full D x D matrix.
   */
  beta: number | ArrayLike<number> | Matrix;
}

export interface HawkesProcessOptions extends HawkesParams {
  /** Accept a spectral radius >= 1 (the process explodes); then maxEvents is required. */
  allowExplosive?: boolean;
  /** Default cap on the events of one simulated path. */
  maxEvents?: number;
}

export type SimulationMethod = 'exact' | 'thinning';

export interface SimulateOptions {
  /** Simulate on [0, endTime]. */
  endTime: number;
  /** Path p draws only from Philox(seed, p): results do not depend on threads or backend. Default 0. */
  seed?: number;
  /** Independent paths. Default 1. */
  paths?: number;
  /** Cap per path; a path that reaches it stops early and is flagged in `truncated`. Default 10,000,000 (or the constructor's). */
  maxEvents?: number;
  /** Native threads (CPU backend). Default: the machine's available parallelism. */
  threads?: number;
  /**
   * Bound on the events stored over all paths (not with statsOnly): beyond it the run stops with
   * ERR_OUT_OF_MEMORY instead of exhausting memory. Default 2^28 (about 3 GiB of results).
   */
  maxStoredEvents?: number;
  /** 'exact' (default; the faster, see docs/hawkes.md) or 'thinning' (Ogata, the reference). */
  method?: SimulationMethod;
  /** Also return the intensity of each event's type just before it. */
  intensity?: boolean;
  /** Keep only statistics (no events): for large Monte Carlo runs. */
  statsOnly?: boolean;
  /** 'cpu' (default) or 'cuda' (one path per GPU thread). */
  backend?: 'cpu' | 'cuda';
}

export interface SimulateAsyncOptions extends SimulateOptions {
  /** Aborting rejects the promise with signal.reason and stops the native threads. */
  signal?: AbortSignal;
  /** Called on the JS thread about every 100 ms while the simulation runs. */
  onProgress?: (progress: SimulationProgress) => void;
}

export interface SimulationProgress {
  pathsDone: number;
  paths: number;
  events: number;
}

/** Statistics over all paths (always computed; the only output with statsOnly). */
export interface HawkesStats {
  paths: number;
  events: number;
  /** Mean number of events of each type per path. */
  countsMean: Float64Array;
  /** Variance across paths of the number of events of each type. */
  countsVariance: Float64Array;
  /** Mean and variance of the gaps between consecutive events of a path (all types). */
  interArrivalMean: number;
  interArrivalVariance: number;
  /** Mean over paths of each type's intensity at endTime. */
  terminalIntensityMean: Float64Array;
  /** LOB model: mean and variance of the mid-price change over a path, in ticks. */
  midChangeMean: number;
  midChangeVariance: number;
}

export interface HawkesSimulation {
  /** Event times of all paths, path after path, increasing within a path. */
  times: Float64Array;
  /** Event types (0 .. D-1), parallel to times. */
  types: Int32Array;
  /** Path p's events are [pathOffsets[p], pathOffsets[p + 1]). */
  pathOffsets: Float64Array;
  /** 1 where a path stopped at maxEvents before endTime. */
  truncated: Uint8Array;
  /** With intensity: true, lambda_{type}(t-) at each event. */
  intensity?: Float64Array;
  stats: HawkesStats;
}

export interface HawkesFitOptions {
  /** Number of dimensions. Default: 1 + the largest type seen. */
  dims?: number;
  /** Fixed decay rates (as in HawkesParams). Omitted: one beta per excited dimension is fitted too. */
  beta?: number | ArrayLike<number> | Matrix;
}

export interface HawkesFit {
  params: { mu: number[]; alpha: number[][]; beta: number[][] };
  /** Standard errors from the observed information; NaN where an estimate sits on the bound 0, 0 for a given beta. */
  stdErr: { mu: number[]; alpha: number[][]; beta: number[][] };
  logLikelihood: number;
  iterations: number;
}

// ---- The addon's raw Hawkes surface (see native/addon/hawkes_wrap.cpp) --------------------------

/** @internal */
export interface NativeSimulateOptions {
  endTime: number;
  seed: number;
  paths: number;
  maxEvents: number;
  threads: number;
  maxStoredEvents: number;
  method: SimulationMethod;
  intensity: boolean;
  statsOnly: boolean;
  backend: 'cpu' | 'cuda';
  lob?: { location: Float64Array; scale: Float64Array; initialBid: number; initialAsk: number; tick: number };
}

/** @internal */
export interface NativeSimulation {
  stats: Float64Array;
  times?: Float64Array;
  types?: Int32Array;
  pathOffsets?: Float64Array;
  truncated?: Uint8Array;
  intensity?: Float64Array;
  /** LOB prices (ticks times the tick size), computed natively. */
  bid?: Float64Array;
  ask?: Float64Array;
  mid?: Float64Array;
  jump?: Int32Array;
}

interface NativeHawkes {
  hawkesCheck(mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean): {
    spectralRadius: number;
    stationary: Float64Array | null;
    betaPerRow: boolean;
  };
  hawkesSimulate(mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean, options: NativeSimulateOptions): NativeSimulation;
  hawkesSimulateAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean, options: NativeSimulateOptions,
    onProgress?: (p: SimulationProgress) => void,
  ): { promise: Promise<NativeSimulation>; cancel(): void };
  hawkesLogLikelihood(mu: Float64Array, alpha: Float64Array, beta: Float64Array, times: Float64Array, types: Int32Array, endTime: number): number;
  hawkesFit(times: Float64Array, types: Int32Array, endTime: number, dims: number, beta?: Float64Array): {
    mu: Float64Array; alpha: Float64Array; beta: Float64Array;
    stdMu: Float64Array; stdAlpha: Float64Array; stdBeta: Float64Array;
    logLikelihood: number; iterations: number;
  };
}

function addon(): NativeHawkes {
  return native().addon as unknown as NativeHawkes;
}

// ---- Argument checks (structure here; values are checked natively, once) -----------------------

export const MAX_DIMS = 64;
const DEFAULT_MAX_EVENTS = 10_000_000;

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function fail(field: string, message: string): never {
  throw new HawkgraphError('ERR_HAWKES_PARAMETER', `${field} ${message}`);
}

function numberAt(v: unknown, field: string): number {
  if (typeof v !== 'number') fail(field, `must be a number, got ${describe(v)}`);
  return v;
}

/** mu as a Float64Array of 1 .. 64 numbers. */
function toVector(v: unknown, field: string): Float64Array {
  if (!isArrayLike(v)) fail(field, `must be an array of numbers, got ${describe(v)}`);
  if (v.length < 1 || v.length > MAX_DIMS) fail(field, `must have 1 to ${MAX_DIMS} entries, got ${v.length}`);
  const out = new Float64Array(v.length);
  for (let k = 0; k < v.length; k++) out[k] = numberAt(v[k], `${field}[${k}]`);
  return out;
}

function toMatrix(v: unknown, D: number, field: string): Float64Array {
  if (!isArrayLike(v) || v.length !== D) fail(field, `must be a ${D} x ${D} matrix (an array of ${D} rows), got ${describe(v)}`);
  const out = new Float64Array(D * D);
  for (let k = 0; k < D; k++) {
    const row = v[k];
    if (!isArrayLike(row) || row.length !== D) fail(`${field}[${k}]`, `must be an array of ${D} numbers, got ${describe(row)}`);
    for (let l = 0; l < D; l++) out[k * D + l] = numberAt(row[l], `${field}[${k}][${l}]`);
  }
  return out;
}

/** beta as a D x D matrix from a number, a per-row vector or a matrix. */
function toBeta(v: unknown, D: number, field = 'beta'): Float64Array {
  if (typeof v === 'number') return new Float64Array(D * D).fill(v);
  if (isArrayLike(v) && v.length === D && (D === 0 || !isArrayLike(v[0]))) {
    const out = new Float64Array(D * D);
    for (let k = 0; k < D; k++) out.fill(numberAt(v[k], `${field}[${k}]`), k * D, (k + 1) * D);
    return out;
  }
  if (isArrayLike(v) && v.length === D) return toMatrix(v, D, field);
  return fail(field, `must be a number, an array of ${D} numbers (one per excited dimension) or a ${D} x ${D} matrix, got ${describe(v)}`);
}

function toRows(flat: Float64Array, D: number): number[][] {
  const rows: number[][] = [];
  for (let k = 0; k < D; k++) rows.push(Array.from(flat.subarray(k * D, (k + 1) * D)));
  return rows;
}

function optionError(message: string): never {
  throw new HawkgraphError('ERR_INVALID_OPTION', message);
}

function integerOption(v: unknown, name: string, fallback: number, lo: number, hi: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    optionError(`${name} must be an integer in [${lo}, ${hi}], got ${describe(v)}`);
  }
  return v;
}

const SIMULATE_KEYS = new Set(['endTime', 'seed', 'paths', 'maxEvents', 'maxStoredEvents', 'threads', 'method', 'intensity', 'statsOnly', 'backend']);
const ASYNC_KEYS = new Set(['signal', 'onProgress']);

/**
 * @internal Builds the native options from user options (shared with LobModel). `async`: the
 * options of simulateAsync, which may also hold signal and onProgress (read by runAsync).
 */
export function nativeSimulateOptions(options: unknown, defaultMaxEvents: number, async = false): NativeSimulateOptions {
  if (options === null || typeof options !== 'object') optionError(`simulate expects an options object, got ${describe(options)}`);
  return readInput('ERR_INVALID_OPTION', 'simulate options', () => readSimulateOptions(options as Record<string, unknown>, defaultMaxEvents, async));
}

function readSimulateOptions(o: Record<string, unknown>, defaultMaxEvents: number, async: boolean): NativeSimulateOptions {
  for (const key of Object.keys(o)) {
    if (ASYNC_KEYS.has(key) && !async) optionError(`${key} is an option of simulateAsync; simulate blocks until it returns`);
    if (!SIMULATE_KEYS.has(key) && !ASYNC_KEYS.has(key)) {
      optionError(`unknown option ${JSON.stringify(key)} (expected one of ${[...SIMULATE_KEYS, ...(async ? ASYNC_KEYS : [])].join(', ')})`);
    }
  }
  if (typeof o.endTime !== 'number' || !Number.isFinite(o.endTime) || o.endTime <= 0) {
    optionError(`endTime must be a finite number > 0, got ${describe(o.endTime)}`);
  }
  const method = o.method ?? 'exact';
  if (method !== 'exact' && method !== 'thinning') optionError(`method must be 'exact' or 'thinning', got ${describe(method)}`);
  const backend = o.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'cuda') optionError(`backend must be 'cpu' or 'cuda', got ${describe(backend)}`);
  for (const flag of ['intensity', 'statsOnly'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') optionError(`${flag} must be a boolean, got ${describe(o[flag])}`);
  }
  const paths = integerOption(o.paths, 'paths', 1, 1, 2 ** 40);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return {
    endTime: o.endTime,
    seed: integerOption(o.seed, 'seed', 0, 0, Number.MAX_SAFE_INTEGER),
    paths,
    maxEvents: integerOption(o.maxEvents, 'maxEvents', defaultMaxEvents, 1, Number.MAX_SAFE_INTEGER),
    threads: integerOption(o.threads, 'threads', Math.max(1, Math.min(cores, paths)), 1, 1024),
    maxStoredEvents: integerOption(o.maxStoredEvents, 'maxStoredEvents', 2 ** 28, 1, Number.MAX_SAFE_INTEGER),
    method,
    intensity: o.intensity === true,
    statsOnly: o.statsOnly === true,
    backend,
  };
}

/** @internal */
export function statsFromRow(row: Float64Array, D: number, paths: number): HawkesStats {
  const countsMean = new Float64Array(D), countsVariance = new Float64Array(D), terminal = new Float64Array(D);
  for (let k = 0; k < D; k++) {
    const m = row[6 + k] / paths;
    countsMean[k] = m;
    countsVariance[k] = paths > 1 ? Math.max(0, (row[6 + D + k] - paths * m * m) / (paths - 1)) : 0;
    terminal[k] = row[6 + 2 * D + k] / paths;
  }
  const gaps = row[1];
  const gm = gaps > 0 ? row[2] / gaps : NaN;
  const mm = row[4] / paths;
  return {
    paths,
    events: row[0],
    countsMean,
    countsVariance,
    interArrivalMean: gm,
    interArrivalVariance: gaps > 1 ? Math.max(0, (row[3] - gaps * gm * gm) / (gaps - 1)) : NaN,
    terminalIntensityMean: terminal,
    midChangeMean: mm,
    midChangeVariance: paths > 1 ? Math.max(0, (row[5] - paths * mm * mm) / (paths - 1)) : 0,
  };
}

function toSimulation(raw: NativeSimulation, D: number, paths: number): HawkesSimulation {
  const empty = raw.times === undefined;
  const sim: HawkesSimulation = {
    times: raw.times ?? new Float64Array(0),
    types: raw.types ?? new Int32Array(0),
    pathOffsets: raw.pathOffsets ?? new Float64Array(0),
    truncated: raw.truncated ?? new Uint8Array(0),
    stats: statsFromRow(raw.stats, D, paths),
  };
  if (!empty && raw.intensity) sim.intensity = raw.intensity;
  return sim;
}

/** @internal Runs the native async simulation with abort and progress wiring. */
export function runAsync<T>(
  start: (onProgress?: (p: SimulationProgress) => void) => { promise: Promise<NativeSimulation>; cancel(): void },
  options: SimulateAsyncOptions,
  finish: (raw: NativeSimulation) => T,
): Promise<T> {
  let signal: AbortSignal | undefined;
  let onProgress: ((p: SimulationProgress) => void) | undefined;
  try {
    [signal, onProgress] = asyncOptions(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  let handle: { promise: Promise<NativeSimulation>; cancel(): void } | undefined;
  // A listener that throws ends the run: the native threads stop and the promise rejects with
  // its error (as a throwing strategy callback does), rather than the error being lost.
  let listenerError: { error: unknown } | undefined;
  const progress = onProgress === undefined ? undefined : (p: SimulationProgress) => {
    if (listenerError !== undefined) return;
    try {
      onProgress!(p);
    } catch (error) {
      listenerError = { error };
      handle?.cancel();
    }
  };
  try {
    handle = start(progress);
  } catch (err) {
    return Promise.reject(err);
  }
  const onAbort = () => handle!.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  return handle.promise.then(
    (raw) => {
      signal?.removeEventListener('abort', onAbort);
      if (listenerError !== undefined) throw listenerError.error;
      return finish(raw);
    },
    (err: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      if (listenerError !== undefined) throw listenerError.error;
      if (signal?.aborted && err instanceof HawkgraphError && err.code === 'ERR_ABORTED') throw signal.reason;
      throw err;
    },
  );
}

/**
 * @internal The signal and progress listener of async options, read once and checked
 * (ERR_INVALID_OPTION).
 */
export function asyncOptions(options: unknown, only = false): [AbortSignal | undefined, ((p: SimulationProgress) => void) | undefined] {
  if (options === undefined || options === null) return [undefined, undefined];
  if (typeof options !== 'object') optionError(`options must be an object { signal?, onProgress? }, got ${describe(options)}`);
  return readInput('ERR_INVALID_OPTION', 'options', () => {
    // `only`: the options hold nothing else (runBacktestAsync, runStudyAsync), so a typo is refused.
    if (only) for (const key of Object.keys(options)) if (key !== 'signal' && key !== 'onProgress') optionError(`unknown option ${JSON.stringify(key)} (expected signal, onProgress)`);
    const { signal, onProgress } = options as { signal?: unknown; onProgress?: unknown };
    if (signal !== undefined && !(signal instanceof AbortSignal)) optionError(`signal must be an AbortSignal, got ${describe(signal)}`);
    if (onProgress !== undefined && typeof onProgress !== 'function') optionError(`onProgress must be a function, got ${describe(onProgress)}`);
    return [signal, onProgress as ((p: SimulationProgress) => void) | undefined];
  });
}

function eventError(message: string): never {
  throw new HawkgraphError('ERR_HAWKES_EVENTS', message);
}

/**
 * times as a Float64Array and types as an Int32Array (views of the caller's arrays when they are
 * already those). Element types are checked here; a type outside [0, maxType] is refused here
 * too, before an Int32Array could wrap it. Values (finite, ordered, within endTime, types
 * within the dimensions) are checked natively.
 */
function eventArrays(times: unknown, types: unknown, maxType: number): [Float64Array, Int32Array] {
  return readInput('ERR_HAWKES_EVENTS', 'times and types', () => {
    let t: Float64Array;
    if (times instanceof Float64Array) {
      t = times;
    } else if (isArrayLike(times)) {
      t = new Float64Array(times.length);
      for (let i = 0; i < t.length; i++) {
        const v = times[i];
        if (typeof v !== 'number') eventError(`times[${i}] must be a number, got ${describe(v)}`);
        t[i] = v;
      }
    } else {
      eventError(`times must be an array of numbers, got ${describe(times)}`);
    }
    let k: Int32Array;
    const outOfRange = (i: number, v: unknown) =>
      eventError(`types[${i}] must be an integer${typeof v === 'number' && Number.isInteger(v) ? ` in [0, ${maxType}]` : ''}, got ${describe(v)}`);
    if (types instanceof Int32Array) {
      k = types;
      for (let i = 0; i < k.length; i++) if (k[i] < 0 || k[i] > maxType) outOfRange(i, k[i]);
    } else if (isArrayLike(types)) {
      k = new Int32Array(types.length);
      for (let i = 0; i < k.length; i++) {
        const v = types[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > maxType) outOfRange(i, v);
        k[i] = v as number;
      }
    } else {
      eventError(`types must be an array of integers, got ${describe(types)}`);
    }
    if (t.length !== k.length) eventError(`times and types must have the same length, got ${t.length} and ${k.length}`);
    return [t, k];
  });
}

function endTimeArg(endTime: unknown): number {
  if (typeof endTime !== 'number') throw new HawkgraphError('ERR_HAWKES_EVENTS', `endTime must be a number, got ${describe(endTime)}`);
  return endTime;
}

const PROCESS_KEYS = new Set(['mu', 'alpha', 'beta', 'allowExplosive', 'maxEvents']);

function readProcessParams(params: HawkesProcessOptions) {
  for (const key of Object.keys(params)) {
    if (!PROCESS_KEYS.has(key)) optionError(`unknown HawkesProcess option ${JSON.stringify(key)} (expected one of ${[...PROCESS_KEYS].join(', ')})`);
  }
  const mu = toVector(params.mu, 'mu');
  const D = mu.length;
  const alpha = toMatrix(params.alpha, D, 'alpha');
  const beta = toBeta(params.beta, D);
  const explosive = params.allowExplosive;
  if (explosive !== undefined && typeof explosive !== 'boolean') optionError(`allowExplosive must be a boolean, got ${describe(explosive)}`);
  const maxEvents = params.maxEvents;
  if (explosive === true && maxEvents === undefined) {
    optionError('allowExplosive: true requires maxEvents (an explosive process never stops on its own)');
  }
  return {
    mu, alpha, beta,
    allowExplosive: explosive === true,
    maxEvents: integerOption(maxEvents, 'maxEvents', DEFAULT_MAX_EVENTS, 1, Number.MAX_SAFE_INTEGER),
  };
}

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
    const check = addon().hawkesCheck(mu, alpha, beta, allowExplosive);
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
    const raw = addon().hawkesSimulate(this.mu, this.alpha, this.beta, this.allowExplosive, o);
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
      (onProgress) => addon().hawkesSimulateAsync(this.mu, this.alpha, this.beta, this.allowExplosive, o, onProgress),
      options,
      (raw) => toSimulation(raw, this.dims, o.paths),
    );
  }

  /** The exact log-likelihood of one event stream on [0, endTime], in O(n D). */
  logLikelihood(times: ArrayLike<number>, types: ArrayLike<number>, endTime: number): number {
    const [t, k] = eventArrays(times, types, this.dims - 1);
    return addon().hawkesLogLikelihood(this.mu, this.alpha, this.beta, t, k, endTimeArg(endTime));
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
    const r = addon().hawkesFit(t, k, endTimeArg(endTime), D, beta);
    return {
      params: { mu: Array.from(r.mu), alpha: toRows(r.alpha, D), beta: toRows(r.beta, D) },
      stdErr: { mu: Array.from(r.stdMu), alpha: toRows(r.stdAlpha, D), beta: toRows(r.stdBeta, D) },
      logLikelihood: r.logLikelihood,
      iterations: r.iterations,
    };
  }
}

/**
 * y * exp(-x). An excitation that overflowed to Infinity (alpha near the float64 limit) decays to
 * 0 once exp underflows, instead of Infinity * 0 = NaN poisoning the state for good.
 */
function decayed(y: number, x: number): number {
  const f = Math.exp(-x);
  return f === 0 ? 0 : y * f;
}

/** Index of each LOB event type in an 8-dimensional process (docs/hawkes.md). */
export const LOB_EVENT_TYPES = ['MAb', 'MAs', 'LAb', 'LAs', 'CAb', 'CAs', 'MNb', 'MNs'] as const;
export type LobEventType = (typeof LOB_EVENT_TYPES)[number];

/**
 * Live intensities from a real event feed: update(type, time) as events arrive, then read
 * lambda(t) for every type at any later time. O(D) per update and per query with one beta per
 * excited dimension (O(D^2) with a full beta matrix); no allocation after construction.
 * Values are right-continuous: an event at time t is included in the intensity at t.
 */
export class HawkesIntensity {
  readonly dims: number;
  readonly #mu: Float64Array;
  readonly #alpha: Float64Array;
  readonly #beta: Float64Array;
  readonly #perRow: boolean;
  // Excitation at #time: per excited dimension (per-row beta) or per (k, l) pair.
  readonly #y: Float64Array;
  readonly #out: Float64Array;
  #time = 0;
  #events = 0;

  constructor(params: HawkesParams | HawkesProcess) {
    if (params === null || typeof params !== 'object') fail('params', `must be a HawkesProcess or an object with mu, alpha and beta, got ${describe(params)}`);
    const hp = readInput('ERR_HAWKES_PARAMETER', 'params', () =>
      params instanceof HawkesProcess ? params : new HawkesProcess({ ...params, allowExplosive: true, maxEvents: 1 }));
    this.dims = hp.dims;
    this.#mu = hp.mu;
    this.#alpha = hp.alpha;
    this.#beta = hp.beta;
    this.#perRow = hp.betaPerRow;
    this.#y = new Float64Array(this.#perRow ? hp.dims : hp.dims * hp.dims);
    this.#out = new Float64Array(hp.dims);
  }

  /** Time of the last event fed (0 before any). */
  get time(): number {
    return this.#time;
  }

  /** Number of events fed since construction or reset(). */
  get events(): number {
    return this.#events;
  }

  #checkTime(time: number, what: string): void {
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `${what} must be a finite number, got ${describe(time)}`);
    }
    if (time < this.#time) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `${what} ${time} is before the last event time ${this.#time}; events must arrive in time order`);
    }
  }

  #decayTo(time: number): void {
    const dt = time - this.#time;
    if (dt === 0) return;
    const D = this.dims, y = this.#y, beta = this.#beta;
    if (this.#perRow) {
      for (let k = 0; k < D; k++) y[k] = decayed(y[k], beta[k * D] * dt);
    } else {
      for (let i = 0; i < D * D; i++) y[i] = decayed(y[i], beta[i] * dt);
    }
    this.#time = time;
  }

  /** Feeds one event of `type` at `time` (times must not decrease). */
  update(type: number, time: number): void {
    const D = this.dims;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type >= D) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `type must be an integer in [0, ${D - 1}], got ${describe(type)}`);
    }
    this.#checkTime(time, 'time');
    this.#decayTo(time);
    const y = this.#y, alpha = this.#alpha;
    if (this.#perRow) {
      for (let k = 0; k < D; k++) y[k] += alpha[k * D + type];
    } else {
      for (let k = 0; k < D; k++) y[k * D + type] += alpha[k * D + type];
    }
    this.#events++;
  }

  /**
   * lambda_k(time) for every k (time >= the last event; default: the last event time), written
   * into `out` (or an internal buffer reused by every call).
   */
  intensities(time: number = this.#time, out: Float64Array = this.#out): Float64Array {
    this.#checkTime(time, 'time');
    // isView first: it is false for a Proxy without running a trap.
    if (out !== this.#out && !(ArrayBuffer.isView(out) && out instanceof Float64Array && out.length >= this.dims)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `out must be a Float64Array of at least ${this.dims} values, got ${describe(out)}${ArrayBuffer.isView(out) ? ` of length ${(out as Float64Array).length}` : ''}`);
    }
    const D = this.dims, y = this.#y, beta = this.#beta, mu = this.#mu;
    const dt = time - this.#time;
    for (let k = 0; k < D; k++) {
      let lam = mu[k];
      if (this.#perRow) {
        lam += decayed(y[k], beta[k * D] * dt);
      } else {
        for (let l = 0; l < D; l++) lam += decayed(y[k * D + l], beta[k * D + l] * dt);
      }
      out[k] = lam;
    }
    return out;
  }

  /** lambda_type(time). */
  intensity(type: number, time: number = this.#time): number {
    const D = this.dims;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type >= D) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `type must be an integer in [0, ${D - 1}], got ${describe(type)}`);
    }
    return this.intensities(time)[type];
  }

  /**
   * The LOB trend signal lambda_MAb + lambda_MNb - lambda_MAs - lambda_MNs (8-dimensional
   * process in the LOB type order): positive when buy pressure dominates.
   */
  trend(time: number = this.#time): number {
    if (this.dims !== 8) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `trend() needs the 8-dimensional LOB process, this one has ${this.dims} dimensions`);
    }
    const lam = this.intensities(time);
    return lam[0] + lam[6] - lam[1] - lam[7];
  }

  /** Forgets every event (intensities back to mu, time back to 0). */
  reset(): void {
    this.#y.fill(0);
    this.#time = 0;
    this.#events = 0;
  }
}

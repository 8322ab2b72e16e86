/**
 * The Hawkes API's public shapes: parameters, simulation options and results, fits, the LOB event
 * types. Conventions in docs/hawkes.md: lambda_k(t) = mu_k + sum over earlier events j of
 * alpha[k][type_j] * exp(-beta[k][type_j] (t - t_j)). Types only (and the event-type names).
 */
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

/** Index of each LOB event type in an 8-dimensional process (docs/hawkes.md). */
export const LOB_EVENT_TYPES = ['MAb', 'MAs', 'LAb', 'LAs', 'CAb', 'CAs', 'MNb', 'MNs'] as const;
export type LobEventType = (typeof LOB_EVENT_TYPES)[number];

/**
 * The Hawkes API's public shapes: parameters, simulation options and results, fits, the LOB event
 * types. Conventions in docs/hawkes.md: lambda_k(t) = mu_k + sum over earlier events j of
 * alpha[k][type_j] * exp(-beta[k][type_j] (t - t_j)). Types only (and the event-type names).
 */
import type { HawkesGoodnessOfFit } from './gof';

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

/**
 * Times are in any unit used consistently (seconds by convention): mu and alpha come out in
 * events per unit, beta in 1 / unit.
 */
export interface HawkesFitOptions {
  /** Number of dimensions. Default: 1 + the largest type seen. */
  dims?: number;
  /** Fixed decay rates (as in HawkesParams). Omitted: one beta per excited dimension is fitted too. */
  beta?: number | ArrayLike<number> | Matrix;
  /**
   * Start of the observation window [startTime, endTime] (default 0); no history before it.
   * A window with an empty stretch at either end longer than LIMITS.maxWindowGapRatio (1000) mean
   * gaps between events is refused (ERR_HAWKES_EVENTS): e.g. epoch times with startTime 0.
   */
  startTime?: number;
  /** Native threads: rows (target dimensions) are fitted in parallel. Default 1; the result does not depend on it. */
  threads?: number;
  /**
   * Attach `goodness`, the time-rescaling goodness of fit of the fitted parameters on the same
   * window (default true; about 0.35 µs an event, mostly the exact KS p-values). false skips it.
   */
  goodness?: boolean;
}

export interface HawkesFitAsyncOptions extends HawkesFitOptions {
  /** Aborting rejects the promise with signal.reason and stops the native thread. */
  signal?: AbortSignal;
  /** Called on the JS thread about every 100 ms while the fit runs. */
  onProgress?: (progress: FitProgress) => void;
}

export interface FitProgress {
  /** Target dimensions (rows) finished, of `dims`. */
  dimensionsDone: number;
  dims: number;
  /** Newton iterations so far (all rows, beta searches included). */
  iterations: number;
}

/** Why a fit is a maximum: the KKT conditions at the estimate, measured. */
export interface FitOptimality {
  /** max |d logLikelihood / d theta| over estimates (mu, alpha) off the bound 0, nats per unit of intensity. */
  maxFreeGradient: number;
  /** max d logLikelihood / d theta > 0 (pointing into the interior) over estimates held at 0; 0 when none. */
  maxBoundViolation: number;
  /** Newton iterations of the final row solves, summed over rows. */
  iterations: number;
  /** The largest standardised violation |g_j| / sqrt(-H_jj) (free) or g_j / sqrt(-H_jj) (at 0), over all rows. */
  kktResidual: number;
  /** What kktResidual must not exceed for converged (LIMITS.fitKktTolerance). */
  tolerance: number;
  /** Nats a further Newton step would gain, summed over rows. */
  expectedGain: number;
  /** The dimension (row) with the largest kktResidual. */
  worstDimension: number;
}

/** How one row's beta was found (beta fitted): a grid over [lower, upper], local searches from its best maxima. */
export interface BetaSearchRow {
  lower: number;
  upper: number;
  /** The beta each local search started from (the best grid maxima, best first). */
  starts: number[];
  /** The beta each reached, and its profile log-likelihood (that row's part of the log-likelihood). */
  reached: number[];
  profileLogLikelihood: number[];
  /** Index into starts of the search that won (its `reached` is the fitted beta of the row). */
  winner: number;
  /** Row solves the search took. */
  evaluations: number;
}

export interface HawkesFit {
  params: { mu: number[]; alpha: number[][]; beta: number[][] };
  /** Standard errors from the observed information; NaN where an estimate sits on the bound 0, 0 for a given beta. */
  stdErr: { mu: number[]; alpha: number[][]; beta: number[][] };
  logLikelihood: number;
  iterations: number;
  /** Every row met the KKT conditions (optimality.kktResidual <= optimality.tolerance). */
  converged: boolean;
  /** With converged false: which dimensions did not converge, and why. */
  message?: string;
  optimality: FitOptimality;
  /** Per row, how beta was found; null when beta was given. */
  betaSearch: BetaSearchRow[] | null;
  /**
   * The time-rescaling goodness of fit of the fitted parameters (hp.goodnessOfFit on them, same
   * window); absent with { goodness: false }. Its p-values are conservative: the parameters
   * were fitted to the same events.
   */
  goodness?: HawkesGoodnessOfFit;
}

/** Index of each LOB event type in an 8-dimensional process (docs/hawkes.md). */
export const LOB_EVENT_TYPES = ['MAb', 'MAs', 'LAb', 'LAs', 'CAb', 'CAs', 'MNb', 'MNs'] as const;
export type LobEventType = (typeof LOB_EVENT_TYPES)[number];

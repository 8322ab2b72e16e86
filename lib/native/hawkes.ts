/**
 * The addon's Hawkes surface (native/addon/hawkes_wrap.cpp): the functions, their option records
 * and results. Types only; reached through native() (lib/native/index.ts). Depends on nothing.
 */

/** A native job that runs off the JS thread. */
export interface NativeJob<T> {
  promise: Promise<T>;
  cancel(): void;
}

/** What an async native job reports about every 100 ms. */
export interface NativeProgress {
  pathsDone: number;
  paths: number;
  events: number;
}

export interface NativeSimulateOptions {
  endTime: number;
  seed: number;
  paths: number;
  maxEvents: number;
  threads: number;
  maxStoredEvents: number;
  method: 'exact' | 'thinning';
  intensity: boolean;
  statsOnly: boolean;
  backend: 'cpu' | 'cuda';
  /** A shard of a distributed run (cpu only): path p is path firstPath + p of a run of totalPaths paths. */
  firstPath?: number;
  totalPaths?: number;
  /** Also return every statistics block's row (blockRows) and the whole run's block size (statsBlock). */
  blockRows?: boolean;
  /** The LOB model's jump laws and initial quotes (ticks). */
  lob?: { location: Float64Array; scale: Float64Array; initialBid: number; initialAsk: number; tick: number };
}

export interface NativeSimulation {
  /** The statistics row (LAYOUTS.hawkesStats). */
  stats: Float64Array;
  /** With blockRows: one statistics row per block in path order (a block the shard covers in part: one per path). */
  blockRows?: Float64Array;
  statsBlock?: number;
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

export interface NativeHawkesCheck {
  spectralRadius: number;
  stationary: Float64Array | null;
  betaPerRow: boolean;
}

export interface NativeHawkesFit {
  mu: Float64Array;
  alpha: Float64Array;
  beta: Float64Array;
  stdMu: Float64Array;
  stdAlpha: Float64Array;
  stdBeta: Float64Array;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  /** Empty when converged. */
  message: string;
  maxFreeGradient: number;
  maxBoundViolation: number;
  kktResidual: number;
  expectedGain: number;
  worstDimension: number;
  /** With beta fitted: one record per row. */
  betaSearch?: { lower: number; upper: number; starts: Float64Array; reached: Float64Array; profile: Float64Array; winner: number; evaluations: number }[];
}

/** mu [D], alpha and beta [D * D] row-major, as every Hawkes function takes them. */
export interface NativeHawkes {
  hawkesCheck(mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean): NativeHawkesCheck;
  hawkesSimulate(mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean, options: NativeSimulateOptions): NativeSimulation;
  hawkesSimulateAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean, options: NativeSimulateOptions,
    onProgress?: (p: NativeProgress) => void,
  ): NativeJob<NativeSimulation>;
  hawkesLogLikelihood(mu: Float64Array, alpha: Float64Array, beta: Float64Array, times: Float64Array, types: Int32Array, endTime: number, startTime?: number): number;
  /** Progress of the async fit: pathsDone = rows done, paths = dims, events = Newton iterations. */
  hawkesFit(
    times: Float64Array, types: Int32Array, endTime: number, dims: number, beta: Float64Array | undefined, startTime: number, threads: number,
  ): NativeHawkesFit;
  hawkesFitAsync(
    times: Float64Array, types: Int32Array, endTime: number, dims: number, beta: Float64Array | undefined, startTime: number, threads: number,
    onProgress?: (p: NativeProgress) => void,
  ): NativeJob<NativeHawkesFit>;
}

/**
 * The addon's GNN surface (native/addon/engine_wrap.cpp, stream_wrap.cpp): the GnnEngine and
 * BookStream classes, their argument records and what info() returns. Types only; the functions
 * are reached through native() (lib/native/index.ts). Depends on nothing.
 */

/** The backends native code runs: 'cuda-host-twin' is the CUDA path on the host, for tests. */
export type NativeBackendName = 'cpu' | 'cuda' | 'cuda-host-twin';

/** The backend createEngine asks for ('auto': native code tries CUDA, then the CPU). */
export type NativeBackendRequest = 'auto' | NativeBackendName;

export type NativePrecision = 'fp32' | 'fp16' | 'bf16';

/**
 * The options object new GnnEngine() reads (one flat record: lib has checked every field).
 * `threads` is the CPU backend's predictBatch threads, or the CUDA backend's staging threads.
 */
export interface NativeEngineOptions {
  precision?: NativePrecision;
  threads?: number;
  kernels?: string;
  folds?: boolean;
  fallback: 'none' | 'cpu';
  singleBook: 'auto' | 'persistent' | 'graph';
  /** Host twin only: the twin's Nth run (0-based) fails as a lost device would. */
  twinFaultAfter?: number;
  /** Host twin only: stage and unpack, but compute nothing (benchmarks of the staging). */
  twinSkipKernels?: boolean;
}

export interface NativeEngineInfo {
  backend: NativeBackendName;
  precision: NativePrecision;
  levels: number;
  nodeFeatures: number;
  hidden: number;
  embed: number;
  heads: number;
  attention: 'pooled' | 'levels';
  edges: number;
  rowWidth: number;
  metadata: Record<string, string>;
  /** SHA-256 (hex) of the running model's file. */
  modelId: string;
  /** The running model's metadata `name`, when it has one. */
  modelName?: string;
  /** What prediction rows carry (LAYOUTS.predictionRow.model) to name the running model. */
  modelSerial: number;
  /** CPU: the kernel table, its threads, folds and multiply-adds. */
  kernels?: string;
  threads?: number;
  folds?: boolean;
  macs?: { folded: number; asWritten: number };
  /** The CUDA device, when the backend is 'cuda'. */
  device?: string;
  /** Why CUDA was not used (or stopped being used) although it was asked for or allowed. */
  fallbackReason?: string;
  /** Backend plan and counters (the CUDA backend's buckets, bytes per book, single-book path). */
  backendStats?: Record<string, number>;
}

/** The result columns native predictBatch writes (a BatchPrediction's arrays). */
export interface NativeBatchColumns {
  direction: Uint8Array;
  logits: Float64Array;
  probs: Float64Array;
  confidence: Float64Array;
  magnitude: Float64Array;
  volatility: Float64Array;
  levelsUsed: Int32Array;
  embedding?: Float32Array;
}

export interface NativeGnnEngine {
  info(): NativeEngineInfo;
  /** Writes one prediction row (LAYOUTS.predictionRow) into `row`. */
  predict(
    bidPx: Float64Array, bidSz: Float64Array, bidCount: number,
    askPx: Float64Array, askSz: Float64Array, askCount: number,
    row: Float64Array,
  ): void;
  /**
   * Writes the results of `count` packed books into `out`'s columns (embedding only when present);
   * returns the serial of the model that made them.
   */
  predictBatch(packed: Float64Array, counts: Int32Array, count: number, out: NativeBatchColumns): number;
  /**
   * Reads (a path, on the worker), hashes, parses and checks a model off the JS thread and builds
   * `runs` runs of it (backends with prepared weights); a handle instead of a source builds more
   * runs of that prepared model. Rejects with ERR_MODEL_* for a model this engine cannot run
   * (`shadow`: beside this model, same levels and order flow; else in its place, same sizes);
   * `reserveBooks`: each run's batch staging is sized for that many books.
   */
  prepareModel(source: Uint8Array | string | NativePreparedHandle, runs: number, shadow?: boolean, reserveBooks?: number): Promise<NativePreparedModel>;
  /** predict() / predictBatch() run the prepared model from the next call on. */
  installModel(handle: NativePreparedHandle): void;
  nodeFeatures(
    bidPx: Float64Array, bidSz: Float64Array, bidCount: number,
    askPx: Float64Array, askSz: Float64Array, askCount: number,
  ): Float64Array;
  close(): void;
}

/** An opaque native handle holding a prepared model's runs until they are installed. */
export type NativePreparedHandle = { readonly __brand: 'NativePreparedHandle' };

/** What prepareModel resolves with. */
export interface NativePreparedModel {
  modelId: string;
  modelName?: string;
  serial: number;
  handle: NativePreparedHandle;
}

/** Single-thread peak GFLOP/s of a kernel table (the benchmark's floors). */
export interface NativeCpuPeak {
  kernels: string;
  fp32GFlops: number;
  bf16GFlops: number;
}

export interface NativeGnnEngineConstructor {
  /** onFallback(reason) runs once when a CUDA failure moved the engine to the CPU. */
  new (modelBytes: Uint8Array, backend: NativeBackendRequest, options: NativeEngineOptions, onFallback: (reason: string) => void): NativeGnnEngine;
  /** The kernel tables this CPU runs, widest first. */
  cpuKernels(): string[];
  /** Blocks about 2 x seconds. */
  measureCpuPeak(kernels: string, seconds: number): NativeCpuPeak;
}

/** The streaming side of an engine: records arrive in the inbox (LAYOUTS.streamRecord). */
export interface NativeBookStream {
  /** Returns the book's seq; writes the superseded book's seq (or 0) to submitOut[0]. */
  submit(
    symbol: number,
    bidPx: Float64Array, bidSz: Float64Array, bidCount: number,
    askPx: Float64Array, askSz: Float64Array, askCount: number,
    ts: number,
  ): number;
  /** Starts closing; returns the books it discarded (LAYOUTS.streamDiscarded; none when draining). */
  close(drain: boolean): Float64Array;
  /** Writes LAYOUTS.streamCounters into out. */
  counters(out: Float64Array): void;
  /** The stream thread runs the prepared model (one of its runs) from its next batch on. */
  offerModel(handle: NativePreparedHandle): void;
  /** The A/B split's model B (its first, or a swap of it), from the thread's next batch on. */
  offerModelB(handle: NativePreparedHandle): void;
  /** A symbol's place in [0, 1) for the split, before its first submit. */
  routeSymbol(symbol: number, route: number): void;
  /** Symbols whose route is below `share` go to model B. */
  setShareB(share: number): void;
  /** The drift histograms' statistics, or undefined when the stream keeps none. */
  featureDrift(): NativeFeatureDrift[] | undefined;
}

export interface NativeFeatureDrift {
  feature: string;
  psi: number;
  ks: number;
  windowBooks: number;
  values: number;
  bins: 'histogram' | 'quantiles' | 'normal';
  actual: Float64Array;
}

/** A shadow model fed by a stream's thread; records arrive in its inbox (LAYOUTS.streamRecord). */
export interface NativeShadow {
  /** The stream stops feeding it; onFinish runs once its last block is dispatched. */
  close(drain: boolean): void;
  /** Writes LAYOUTS.shadowCounters into out. */
  counters(out: Float64Array): void;
}

export interface NativeShadowConstructor {
  new (
    stream: NativeBookStream, handle: NativePreparedHandle, maxBatch: number, queueBooks: number,
    dispatch: (count: number, dispatchNs: number, errorCode?: string, errorMessage?: string) => void,
    onFinish: () => void,
    inbox: Float64Array,
    yieldToPrimary: boolean,
  ): NativeShadow;
}

export interface NativeBookStreamConstructor {
  new (
    engine: NativeGnnEngine, maxBatch: number, maxWaitUs: number, maxSymbols: number,
    dispatch: (count: number, dispatchNs: number, errorCode?: string, errorMessage?: string) => void,
    onFinish: () => void,
    inbox: Float64Array, submitOut: Float64Array, spinUs: number, driftWindowBooks: number,
  ): NativeBookStream;
}

/**
 * The GNN inference engine: createEngine() loads a safetensors model into a native engine that
 * preallocates every buffer; predict() is synchronous and allocates only its result object.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { EventEmitter } from 'eventemitter3';

import { Book, BookBatch, TypedBook, bookKind, packBook, packBookInto, typedBookCounts } from './book';
import { HawkgraphError, describe, readInput, unreadable } from './errors';
import {
  Prediction, ROW_EMBEDDING, readPredictionRow,
} from './prediction';
import { LoadedBinary, NativeBatchColumns, NativeEngineInfo, NativeGnnEngine, native } from './native';
import {
  BookStreamController, EngineEvents, PredictionEvent, PredictionIterator, ResolvedStreamOptions, StreamOptions,
  StreamStats, SubmitOptions, resolveStreamOptions,
} from './stream';

export { DIRECTIONS } from './prediction';
export type { Direction, Prediction } from './prediction';

/** The example model shipped with the package (pooled attention, 20 levels, hidden 128, 4 heads). */
export const exampleModelPath: string = path.resolve(__dirname, '..', 'models', 'orderbook-gnn-pooled.safetensors');

export interface EngineOptions {
  /** A safetensors file path, or its bytes. */
  model: string | Uint8Array;
  /** The stream that submit() opens on first use: batching, symbol limit, stats period. */
  stream?: StreamOptions;
  /**
   * 'auto' (default) picks CUDA when this build has GPU kernels and a usable device (and precision
   * is not 'bf16', a CPU-only mode), else the CPU; engine.info.backend says which. 'cuda' without a
   * usable device throws ERR_BACKEND_UNAVAILABLE unless `fallback: 'cpu'`.
   */
  backend?: 'auto' | 'cpu' | 'cuda';
  /**
   * CUDA: what a CUDA failure does, at creation or mid-run (device lost, out of memory, a kernel
   * that stops answering). 'none' (default): throw HawkgraphError (ERR_CUDA, with the CUDA error
   * name). 'cpu': continue on the CPU backend; engine.info then says backend 'cpu' and gives
   * fallbackReason, and onFallback is called once (after the call that failed has completed on the CPU).
   */
  fallback?: 'none' | 'cpu';
  /** CUDA: called once when a mid-run CUDA failure moved the engine to the CPU (fallback 'cpu'). */
  onFallback?: (event: { from: 'cuda'; to: 'cpu'; reason: string }) => void;
  /**
   * CUDA: how predict() runs a single book. 'auto' (default) times both at creation and keeps the
   * faster; 'persistent': a kernel started with the engine polls mapped host memory (no launch or
   * copy call per prediction; it leaves after 100 ms idle and restarts on the next call);
   * 'graph': a replay of the captured batch-1 graph.
   */
  singleBook?: 'auto' | 'persistent' | 'graph';
  /**
   * Arithmetic precision of the forward pass: 'fp32' is the default on the CPU, 'fp16' on CUDA
   * (tensor cores, fp32 accumulation; 'fp32' there runs fp32 kernels). On the CPU, 'fp16' and 'bf16'
   * store the large layers' weights in half size and accumulate in fp32 ('bf16' uses AVX-512 BF16
   * dot products where the CPU has them, rounding activations to bf16 as well).
   */
  precision?: 'fp32' | 'fp16' | 'bf16';
  /**
   * CPU: threads for predictBatch(), the calling thread included (default 1). Workers are created
   * once with the engine; predict() always runs on the calling thread. CUDA: host threads that
   * validate and stage a predictBatch()'s books.
   */
  threads?: number;
  /**
   * CPU: the SIMD kernel table. 'auto' (default) takes $HAWKGRAPH_CPU_KERNELS when set, else the
   * widest this CPU runs; 'amx' (AVX-512 with the large layers on AMX tiles), 'avx512', 'avx2' or
   * 'portable' force one (ERR_BACKEND_UNAVAILABLE when the CPU or OS lacks it).
   */
  kernels?: 'auto' | 'amx' | 'avx512' | 'avx2' | 'portable';
  /**
   * CPU: the algebraic folds computed at load (default true). false runs every layer as written;
   * slower, for comparison and tests.
   */
  folds?: boolean;
}

export interface EngineInfo {
  backend: 'cpu' | 'cuda';
  precision: 'fp32' | 'fp16' | 'bf16';
  /** Book depth the model was trained on (L); books may have fewer levels. */
  levels: number;
  nodeFeatures: number;
  hidden: number;
  /** Embedding size (hidden / 2). */
  embed: number;
  heads: number;
  attention: 'pooled' | 'levels';
  /** CPU: the kernel table in use ('amx', 'avx512', 'avx2', 'portable'). */
  kernels?: string;
  /** CPU: threads predictBatch() uses. CUDA: host threads that validate and stage its books. */
  threads?: number;
  /** CPU: multiply-adds of one forward pass at full depth, as computed (folded) and as written. */
  macs?: { folded: number; asWritten: number };
  /** The CUDA device in use, when backend is 'cuda'. */
  device?: string;
  /** Why the engine runs on the CPU although CUDA was asked for or allowed ('auto', fallback 'cpu'). */
  fallbackReason?: string;
  /**
   * CUDA: the plan and counters (tileBooks, sharedMemoryBytes, inputBytesPerBook,
   * outputBytesPerBook, persistentSingle, singleGraphMedianNs, singlePersistentMedianNs, bucketRunsN...).
   */
  backendStats?: Readonly<Record<string, number>>;
  metadata: Readonly<Record<string, string>>;
  binary: LoadedBinary;
}

export interface PredictOptions {
  /** Also return the embedding. */
  embedding?: boolean;
  /** Fill this object (from an earlier predict) instead of allocating a new one. */
  into?: Prediction;
}

/**
 * Results of predictBatch, one entry per book, as struct-of-arrays. A result filled with `into`
 * may have longer arrays than `count`; only the first `count` entries belong to this call.
 */
export interface BatchPrediction {
  /** Books predicted. */
  count: number;
  /** Index into DIRECTIONS: 0 down, 1 flat, 2 up. */
  direction: Uint8Array;
  /** [count * 3]: down, flat, up per book. */
  probs: Float64Array;
  /** [count * 3] */
  logits: Float64Array;
  confidence: Float64Array;
  magnitude: Float64Array;
  volatility: Float64Array;
  levelsUsed: Int32Array;
  /** [count * embed], when requested. */
  embedding?: Float32Array;
}

export interface BatchOptions {
  /** Also return the embeddings. */
  embedding?: boolean;
  /**
   * Fill this result (from an earlier predictBatch) instead of allocating one. Its arrays are
   * reused while they hold `count` books and replaced by larger ones otherwise; entries past
   * `count` keep their old values. Left untouched when the call throws, with one exception: after
   * an ERR_CUDA failure without `fallback: 'cpu'` in a batch of more than 16384 books, its
   * embedding may hold the results of the books before the failure.
   */
  into?: BatchPrediction;
}

// One book's columns and level counts, as native predict / nodeFeatures take them.
interface BookColumns {
  bidPx: Float64Array;
  bidSz: Float64Array;
  bids: number;
  askPx: Float64Array;
  askSz: Float64Array;
  asks: number;
}

// The most books one predictBatch takes (the native count is an int32; a batch this large is
// gigabytes of columns long before then).
const MAX_BATCH_BOOKS = 2 ** 30;

// Assigns each field of `o` to itself: in strict code that throws where a field is read-only
// (a frozen result) or a getter or trap throws, so a result that cannot be filled is refused
// before anything is written into it.
function assignEachToItself(o: object, keys: readonly string[]): void {
  const fields = o as Record<string, unknown>;
  for (const key of keys) fields[key] = fields[key];
}

// The fields predict() writes into `into` (and one element of each of its arrays).
const PREDICTION_FIELDS = ['direction', 'probs', 'logits', 'confidence', 'magnitude', 'volatility', 'levelsUsed', 'embedding'] as const;

function checkPredictInto(into: Prediction): void {
  if (into === null || typeof into !== 'object' || !Array.isArray(into.probs) || !Array.isArray(into.logits)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `into must be a result of predict(), got ${describe(into)}`);
  }
  assignEachToItself(into, PREDICTION_FIELDS);
  assignEachToItself(into.probs, ['0']);
  assignEachToItself(into.logits, ['0']);
}

// The fields predictBatch writes into a result.
const RESULT_FIELDS = ['count', 'direction', 'probs', 'logits', 'confidence', 'magnitude', 'volatility', 'levelsUsed', 'embedding'] as const;

// Whether a result's arrays hold n books (and an embedding of embedLength values, or none when
// embedLength < 0), so predictBatch can write into them as they are.
function columnsFit(r: BatchPrediction, n: number, embedLength: number): boolean {
  const f64 = (a: unknown, length: number): boolean => a instanceof Float64Array && a.length >= length;
  return (
    r.direction instanceof Uint8Array && r.direction.length >= n && r.levelsUsed instanceof Int32Array && r.levelsUsed.length >= n &&
    f64(r.logits, 3 * n) && f64(r.probs, 3 * n) && f64(r.confidence, n) && f64(r.magnitude, n) && f64(r.volatility, n) &&
    (embedLength < 0 ? r.embedding === undefined : r.embedding instanceof Float32Array && r.embedding.length >= embedLength)
  );
}

// Native code names a refused book books[k]; in a BookBatch that book is slot batch[k].
function nameBatchSlot(err: unknown): unknown {
  if (err instanceof HawkgraphError && err.message.startsWith('books[')) {
    const message = `batch${err.message.slice('books'.length)}`;
    if (err.stack !== undefined) err.stack = err.stack.replace(err.message, message);
    err.message = message;
  }
  return err;
}


const ENGINE_OPTIONS = new Set(['model', 'stream', 'backend', 'precision', 'fallback', 'onFallback', 'singleBook', 'threads', 'kernels', 'folds']);
const CPU_KERNELS = new Set(['auto', 'amx', 'avx512', 'avx2', 'portable']);
const MAX_MODEL_BYTES = 2 ** 31 - 1;

function readModel(model: unknown): Uint8Array {
  if (model instanceof Uint8Array) return model;
  if (typeof model !== 'string' || model.length === 0) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `model must be a file path or a Uint8Array, got ${describe(model)}`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(model);
  } catch (err) {
    throw new HawkgraphError('ERR_MODEL_READ', `model file ${JSON.stringify(model)} cannot be read: ${(err as Error).message}`);
  }
  if (!stat.isFile()) throw new HawkgraphError('ERR_MODEL_READ', `model ${JSON.stringify(model)} is not a file`);
  if (stat.size > MAX_MODEL_BYTES) {
    throw new HawkgraphError('ERR_MODEL_READ', `model file ${JSON.stringify(model)} is ${stat.size} bytes, more than the 2 GiB a model may be`);
  }
  try {
    return fs.readFileSync(model);
  } catch (err) {
    throw new HawkgraphError('ERR_MODEL_READ', `model file ${JSON.stringify(model)} cannot be read: ${(err as Error).message}`);
  }
}

function resolveBackend(requested: unknown, precision: unknown): 'cpu' | 'cuda' | 'auto' {
  switch (requested) {
    case undefined:
    case 'auto':
      // bf16 is a CPU mode; otherwise native code tries CUDA and falls back to the CPU.
      return precision === 'bf16' ? 'cpu' : 'auto';
    case 'cpu':
      return 'cpu';
    case 'cuda':
      if (precision === 'bf16') {
        throw new HawkgraphError('ERR_INVALID_OPTION', "precision 'bf16' is not available on the cuda backend; use 'fp16' or 'fp32'");
      }
      return 'cuda';
    default:
      throw new HawkgraphError('ERR_INVALID_OPTION', `backend must be 'auto', 'cpu' or 'cuda', got ${describe(requested)}`);
  }
}

// CUDA options, checked here so native code sees only well-typed values.
function cudaOptions(options: EngineOptions): { fallback: string; singleBook: string } {
  const { fallback = 'none', singleBook = 'auto', onFallback } = options;
  if (fallback !== 'none' && fallback !== 'cpu') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `fallback must be 'none' or 'cpu', got ${describe(fallback)}`);
  }
  if (singleBook !== 'auto' && singleBook !== 'persistent' && singleBook !== 'graph') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `singleBook must be 'auto', 'persistent' or 'graph', got ${describe(singleBook)}`);
  }
  if (onFallback !== undefined && typeof onFallback !== 'function') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `onFallback must be a function, got ${describe(onFallback)}`);
  }
  return { fallback, singleBook };
}

function checkPrecision(requested: unknown): void {
  if (requested === undefined || requested === 'fp32' || requested === 'fp16' || requested === 'bf16') return;
  throw new HawkgraphError('ERR_INVALID_OPTION', `precision must be 'fp32', 'fp16' or 'bf16', got ${describe(requested)}`);
}

// CPU options, checked here so native code sees only well-typed values.
function cpuOptions(options: EngineOptions): { precision?: string; threads?: number; kernels?: string; folds?: boolean } {
  const { threads, kernels, folds } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `threads must be an integer from 1 to 256, got ${describe(threads)}`);
  }
  if (kernels !== undefined && !CPU_KERNELS.has(kernels as string)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `kernels must be 'auto', 'amx', 'avx512', 'avx2' or 'portable', got ${describe(kernels)}`);
  }
  if (folds !== undefined && typeof folds !== 'boolean') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `folds must be a boolean, got ${describe(folds)}`);
  }
  return { precision: options.precision, threads, kernels, folds };
}

// CUDA fields of the native info (absent for other backends).
function cudaInfo(info: NativeEngineInfo): Pick<EngineInfo, 'device' | 'fallbackReason' | 'backendStats' | 'threads'> {
  const out: Pick<EngineInfo, 'device' | 'fallbackReason' | 'backendStats' | 'threads'> = {};
  const staged = info as NativeEngineInfo & { kernels?: string; threads?: number };
  if (staged.kernels === undefined && staged.threads !== undefined) out.threads = staged.threads;
  if (info.device !== undefined) out.device = info.device;
  if (info.fallbackReason !== undefined) out.fallbackReason = info.fallbackReason;
  if (info.backendStats !== undefined) out.backendStats = Object.freeze({ ...info.backendStats });
  return out;
}

// CPU fields of the native info (absent for other backends).
function cpuInfo(info: NativeEngineInfo): Pick<EngineInfo, 'kernels' | 'threads' | 'macs'> {
  const cpu = info as NativeEngineInfo & Pick<EngineInfo, 'kernels' | 'threads' | 'macs'>;
  return cpu.kernels === undefined ? {} : { kernels: cpu.kernels, threads: cpu.threads, macs: cpu.macs };
}

export interface CloseOptions {
  /** true (default): predict every book already submitted first; false: drop them as 'closed'. */
  drain?: boolean;
}

/** submit()'s options: undefined, or an object with at most a finite `ts` (default: now). */
function submitTimestamp(options: SubmitOptions | undefined): number {
  if (options === undefined) return performance.timeOrigin + performance.now();
  if (options === null || typeof options !== 'object') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `submit options must be an object, got ${describe(options)}`);
  }
  return readInput('ERR_INVALID_OPTION', 'submit options', () => {
    for (const key of Object.keys(options)) {
      if (key !== 'ts') throw new HawkgraphError('ERR_INVALID_OPTION', `unknown submit option ${describe(key)} (known: ts)`);
    }
    const ts = options.ts;
    if (ts === undefined) return performance.timeOrigin + performance.now();
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `options.ts must be a finite number of ms, got ${describe(ts)}`);
    }
    return ts;
  });
}

/**
 * An inference engine. predict()/predictBatch() run synchronously on the calling thread; submit()
 * streams books to a native inference thread and results arrive as events ('prediction',
 * 'dropped', 'error', 'stats'; see lib/stream.ts).
 */
export class Engine extends EventEmitter<EngineEvents> {
  /** Replaced (never mutated) when a CUDA failure moves the engine to the CPU. */
  info: Readonly<EngineInfo>;
  #native: NativeGnnEngine | null;
  readonly #levels: number;
  readonly #embed: number;
  // Single-book staging for nested books (packed layout, see packBook) and its four columns.
  readonly #staging: Float64Array;
  readonly #bidPx: Float64Array;
  readonly #bidSz: Float64Array;
  readonly #askPx: Float64Array;
  readonly #askSz: Float64Array;
  readonly #view: BookColumns;
  readonly #row: Float64Array;
  // Batch staging for arrays of books, and the result rows of any batch; grown when a larger
  // batch than any before arrives.
  #batchCapacity = 0;
  #batchPacked = new Float64Array(0);
  #batchCounts = new Int32Array(0);

  // Streaming: opened by the first submit() with createEngine's `stream` options.
  readonly #streamOptions: ResolvedStreamOptions;
  #stream: BookStreamController | null = null;
  #closing: Promise<StreamStats | undefined> | null = null;
  readonly #iterators = new Set<PredictionIterator>();

  /** @internal use createEngine() */
  constructor(nativeEngine: NativeGnnEngine, info: NativeEngineInfo, binary: LoadedBinary, stream?: ResolvedStreamOptions) {
    super();
    this.#streamOptions = stream ?? resolveStreamOptions(undefined);
    this.#native = nativeEngine;
    this.#levels = info.levels;
    this.#embed = info.embed;
    const L = info.levels;
    this.#staging = new Float64Array(4 * L);
    this.#bidPx = this.#staging.subarray(0, L);
    this.#bidSz = this.#staging.subarray(L, 2 * L);
    this.#askPx = this.#staging.subarray(2 * L, 3 * L);
    this.#askSz = this.#staging.subarray(3 * L, 4 * L);
    this.#view = { bidPx: this.#bidPx, bidSz: this.#bidSz, bids: 0, askPx: this.#askPx, askSz: this.#askSz, asks: 0 };
    this.#row = new Float64Array(info.rowWidth);
    this.info = Object.freeze({
      backend: info.backend,
      precision: info.precision,
      ...cpuInfo(info),
      ...cudaInfo(info),
      levels: info.levels,
      nodeFeatures: info.nodeFeatures,
      hidden: info.hidden,
      embed: info.embed,
      heads: info.heads,
      attention: info.attention,
      metadata: Object.freeze({ ...info.metadata }),
      binary,
    });
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#native === null;
  }

  #engine(): NativeGnnEngine {
    if (this.#native === null) throw new HawkgraphError('ERR_ENGINE_CLOSED', 'engine is closed');
    return this.#native;
  }

  // One book of either form as the columns native code reads (written into #view, reused):
  // typed books in place, nested ones packed into the preallocated staging columns. A getter or
  // trap that throws is ERR_BOOK_TYPE; a HawkgraphError passes as it is.
  #viewBook(book: Book): BookColumns {
    const v = this.#view;
    try {
      if (bookKind(book, 'book') === 'typed') {
        const t = book as TypedBook;
        [v.bids, v.asks] = typedBookCounts(t, 'book');
        v.bidPx = t.bidPx;
        v.bidSz = t.bidSz;
        v.askPx = t.askPx;
        v.askSz = t.askSz;
      } else {
        [v.bids, v.asks] = packBook(book, this.#staging, 0, this.#levels, 'book');
        v.bidPx = this.#bidPx;
        v.bidSz = this.#bidSz;
        v.askPx = this.#askPx;
        v.askSz = this.#askSz;
      }
    } catch (err) {
      throw unreadable('ERR_BOOK_TYPE', 'book', err);
    }
    return v;
  }

  // Runs the native call for one book of either form; the result lands in this.#row.
  #run(book: Book): void {
    const engine = this.#engine();
    const v = this.#viewBook(book);
    engine.predict(v.bidPx, v.bidSz, v.bids, v.askPx, v.askSz, v.asks, this.#row);
  }

  /**
   * Predicts the next mid-price move from one book. Synchronous: it runs on the calling thread
   * and returns in microseconds. Throws HawkgraphError (ERR_BOOK_*) for a malformed book.
   */
  predict(book: Book, options?: PredictOptions): Prediction {
    let into: Prediction | undefined;
    let embedding = false;
    if (options !== undefined && options !== null) {
      try {
        into = options.into;
        embedding = Boolean(options.embedding);
        if (into !== undefined) checkPredictInto(into);
      } catch (err) {
        throw unreadable('ERR_INVALID_OPTION', 'predict options', err);
      }
    }
    this.#run(book);
    const row = this.#row;
    const out = into ?? ({ probs: [0, 0, 0], logits: [0, 0, 0] } as unknown as Prediction);
    readPredictionRow(row, 0, out);
    if (embedding) {
      const e = out.embedding?.length === this.#embed ? out.embedding : new Float32Array(this.#embed);
      for (let c = 0; c < this.#embed; c++) e[c] = row[ROW_EMBEDDING + c];
      out.embedding = e;
    } else if (out.embedding !== undefined) {
      out.embedding = undefined;
    }
    return out;
  }

  #ensureBatchCapacity(count: number): void {
    if (count <= this.#batchCapacity) return;
    const capacity = Math.max(count, 2 * this.#batchCapacity, 8);
    this.#batchPacked = new Float64Array(capacity * 4 * this.#levels);
    this.#batchCounts = new Int32Array(capacity * 2);
    this.#batchCapacity = capacity;
  }

  /**
   * A batch of `capacity` book slots in this engine's packed layout, allocated once: fill it with
   * batch.set(i, book), or write levels into batch.columns / batch.slot(i) and call
   * batch.setCounts(i, bids, asks); then predictBatch(batch) reads the books in place. It works
   * with any engine whose model has the same depth (engine.info.levels).
   */
  createBatch(capacity: number): BookBatch {
    this.#engine();
    return new BookBatch(this.#levels, capacity);
  }

  /**
   * Predicts many books (e.g. one per symbol) in one native call: an array of books (nested or
   * typed, packed here), or a BookBatch (read in place: no per-book JS work). Results come back
   * as struct-of-arrays; book k's probabilities are probs[3k .. 3k+2]. Every book is validated
   * before any is computed; a bad one throws naming books[k] (batch[k] for a BookBatch).
   */
  predictBatch(books: ArrayLike<Book> | BookBatch, options?: BatchOptions): BatchPrediction {
    const engine = this.#engine();
    // Plain try/catch rather than readInput: a steady loop of calls allocates nothing.
    let into: BatchPrediction | undefined;
    let embedding: boolean;
    try {
      into = options?.into;
      embedding = options?.embedding === true;
    } catch (err) {
      throw unreadable('ERR_INVALID_OPTION', 'predictBatch options', err);
    }
    if (into !== undefined && (into === null || typeof into !== 'object')) {
      throw new HawkgraphError('ERR_INVALID_OPTION', `into must be a result of predictBatch, got ${describe(into)}`);
    }
    let out: NativeBatchColumns;
    let n: number;
    if (books instanceof BookBatch) {
      if (books.levels !== this.#levels) {
        throw new HawkgraphError(
          'ERR_INVALID_ARGUMENT',
          `batch holds books of ${books.levels} levels but this engine's model reads ${this.#levels}; create it with this engine's createBatch()`,
        );
      }
      n = books.length;
      out = this.#resultColumns(n, embedding, into);
      try {
        engine.predictBatch(books.columns, books.counts, n, out);
      } catch (err) {
        throw nameBatchSlot(err);
      }
    } else {
      let length: unknown;
      try {
        length = books === null || typeof books !== 'object' ? undefined : books.length;
      } catch (err) {
        throw unreadable('ERR_INVALID_ARGUMENT', 'books', err);
      }
      if (typeof length !== 'number' || !(length >= 0 && length <= MAX_BATCH_BOOKS && Number.isInteger(length))) {
        throw new HawkgraphError('ERR_INVALID_ARGUMENT', `books must be an array of books or a BookBatch, got ${describe(books)}`);
      }
      n = length;
      this.#ensureBatchCapacity(n);
      const L = this.#levels;
      const packed = this.#batchPacked;
      const counts = this.#batchCounts;
      for (let k = 0; k < n; k++) {
        try {
          packBookInto(books[k], packed, k * 4 * L, L, counts, 2 * k, 'book');
        } catch (err) {
          // The book's name is built only for a refused book: packing it again under its name
          // throws the same error, naming books[k].
          const where = `books[${k}]`;
          try {
            packBookInto(books[k], packed, k * 4 * L, L, counts, 2 * k, where);
          } catch (named) {
            throw unreadable('ERR_BOOK_TYPE', where, named);
          }
          throw unreadable('ERR_BOOK_TYPE', where, err);
        }
      }
      out = this.#resultColumns(n, embedding, into);
      engine.predictBatch(this.#batchPacked, this.#batchCounts, n, out);
    }
    const r = into ?? ({} as BatchPrediction);
    if (out !== r) Object.assign(r, out);
    r.count = n;
    return r;
  }

  // #batchColumns for a caller's `into`, refused up front (ERR_INVALID_OPTION) when it cannot be
  // filled, before native code writes into its arrays.
  #resultColumns(n: number, embedding: boolean, into: BatchPrediction | undefined): NativeBatchColumns {
    if (into === undefined) return this.#batchColumns(n, embedding, undefined);
    try {
      assignEachToItself(into, RESULT_FIELDS);
      return this.#batchColumns(n, embedding, into);
    } catch (err) {
      throw unreadable('ERR_INVALID_OPTION', 'into (a writable result of predictBatch)', err);
    }
  }

  // The arrays native predictBatch fills for n books: `into` itself when all of its arrays fit
  // (the steady state of a loop: nothing allocated), else a new set that reuses those that do.
  // The native call writes into them directly; `into` takes them only after it succeeds.
  #batchColumns(n: number, embedding: boolean, into: BatchPrediction | undefined): NativeBatchColumns {
    const E = this.#embed;
    if (into !== undefined && columnsFit(into, n, embedding ? n * E : -1)) return into;
    const f64 = (a: unknown, per: number): Float64Array => (a instanceof Float64Array && a.length >= per * n ? a : new Float64Array(per * n));
    const direction = into?.direction instanceof Uint8Array && into.direction.length >= n ? into.direction : new Uint8Array(n);
    const levelsUsed = into?.levelsUsed instanceof Int32Array && into.levelsUsed.length >= n ? into.levelsUsed : new Int32Array(n);
    const emb = into?.embedding instanceof Float32Array && into.embedding.length >= n * E ? into.embedding : undefined;
    return {
      direction,
      logits: f64(into?.logits, 3),
      probs: f64(into?.probs, 3),
      confidence: f64(into?.confidence, 1),
      magnitude: f64(into?.magnitude, 1),
      volatility: f64(into?.volatility, 1),
      levelsUsed,
      embedding: embedding ? (emb ?? new Float32Array(n * E)) : undefined,
    };
  }

  /** The node features the model sees for this book: 2 * levelsUsed rows of 8 float64 values. */
  features(book: Book): Float64Array {
    const engine = this.#engine();
    const v = this.#viewBook(book);
    return engine.nodeFeatures(v.bidPx, v.bidSz, v.bids, v.askPx, v.askSz, v.asks);
  }

  /** @internal the native engine moved from CUDA to the CPU after a failure (fallback 'cpu'). */
  _cudaFellBack(reason: string, hook: EngineOptions['onFallback']): void {
    const { device: _device, backendStats: _stats, ...rest } = this.info;
    const now = this.#native?.info();
    this.info = Object.freeze({ ...rest, backend: 'cpu', precision: now?.precision ?? rest.precision, fallbackReason: reason });
    hook?.({ from: 'cuda', to: 'cpu', reason });
  }

  /**
   * Queues a book for the native inference thread and returns its seq at once; the prediction
   * arrives as a 'prediction' event with that seq. The book is validated here, exactly as
   * predict() validates it (same errors, thrown synchronously), and copied: the caller may reuse
   * its arrays. A newer book of the same symbol replaces one not yet taken ('dropped', superseded).
   */
  submit(symbol: string, book: Book, options?: SubmitOptions): number {
    const engine = this.#engine();
    const ts = submitTimestamp(options);
    if (this.#stream === null) {
      // The first submit opens the stream (a native thread): check what can be checked here first,
      // so a refused call starts nothing.
      if (typeof symbol !== 'string' || symbol.length === 0) {
        throw new HawkgraphError('ERR_INVALID_ARGUMENT', `symbol must be a non-empty string, got ${describe(symbol)}`);
      }
      readInput('ERR_BOOK_TYPE', 'book', () => bookKind(book, 'book'));
      this.#stream = new BookStreamController(native().addon, engine, this.#levels, this.#streamOptions, this);
    }
    return this.#stream.submit(symbol, book, ts);
  }

  /**
   * The 'prediction' events as an async iterator; it ends once close() has delivered the last
   * one. It keeps at most `maxBuffered` (default 4096) unread events, dropping the oldest.
   */
  predictions(options?: { maxBuffered?: number }): AsyncIterableIterator<PredictionEvent> {
    this.#engine();
    const maxBuffered = options?.maxBuffered ?? 4096;
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      throw new HawkgraphError('ERR_INVALID_OPTION', `maxBuffered must be a positive integer, got ${describe(maxBuffered)}`);
    }
    const it = new PredictionIterator(this, maxBuffered, (done) => this.#iterators.delete(done));
    this.#iterators.add(it);
    return it;
  }

  /** Stream counters now (undefined before the first submit()); the 'stats' event carries the same. */
  streamStats(): StreamStats | undefined {
    return this.#stream?.stats();
  }

  /**
   * Closes the engine. It is closed at once (any later call throws ERR_ENGINE_CLOSED) and the
   * synchronous engine's memory is freed now. With a stream open, the promise resolves with the
   * final stream stats once pending books are predicted (drain: true, the default) or dropped as
   * 'closed' (drain: false), the thread is joined and its memory freed; no event follows it.
   * Idempotent: later calls return the same promise.
   */
  close(options?: CloseOptions): Promise<StreamStats | undefined> {
    if (this.#closing) return this.#closing;
    const drain = options?.drain ?? true;
    if (typeof drain !== 'boolean') {
      throw new HawkgraphError('ERR_INVALID_OPTION', `drain must be a boolean, got ${describe(drain)}`);
    }
    this.#native?.close();
    this.#native = null;
    const stream = this.#stream;
    const done = stream ? stream.close(drain) : Promise.resolve(undefined);
    this.#closing = done.then((stats) => {
      for (const it of [...this.#iterators]) it.end();
      return stats;
    });
    return this.#closing;
  }
}

/** Loads a model and builds an engine with every buffer preallocated. */
export function createEngine(userOptions: EngineOptions): Engine {
  if (userOptions === null || typeof userOptions !== 'object') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `createEngine expects an options object, got ${describe(userOptions)}`);
  }
  // Read once: a getter or Proxy trap that throws is an ERR_INVALID_OPTION, and no option can
  // change between its check and its use.
  const options = readInput('ERR_INVALID_OPTION', 'engine options', () => ({ ...userOptions }));
  for (const key of Object.keys(options)) {
    if (!ENGINE_OPTIONS.has(key)) {
      throw new HawkgraphError('ERR_INVALID_OPTION', `unknown option ${JSON.stringify(key)} (expected one of ${[...ENGINE_OPTIONS].join(', ')})`);
    }
  }
  const backend = resolveBackend(options.backend, options.precision);
  const cuda = cudaOptions(options);
  checkPrecision(options.precision);
  const streamOptions = resolveStreamOptions(options.stream);
  const bytes = readModel(options.model);
  const { addon, binary } = native();
  let target: Engine | undefined;
  const engine = new (addon.GnnEngine as unknown as new (bytes: Uint8Array, backend: string, options: object, onFallback: (reason: string) => void) => NativeGnnEngine)(
    bytes,
    backend,
    { ...cpuOptions(options), ...cuda },
    (reason: string) => target?._cudaFellBack(reason, options.onFallback),
  );
  target = new Engine(engine, engine.info(), binary, streamOptions);
  return target;
}

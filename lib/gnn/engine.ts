/**
 * The GNN inference engine: predict() is synchronous and allocates only its result object;
 * predictBatch() runs many books in one native call; submit() streams books to a native thread;
 * swapModel() replaces the model between two calls, the stream's included; the stream may also run
 * a model B on a share of symbols (stream.split) and shadow models (addShadow), and keeps input
 * drift histograms (featureDrift).
 * Options, info, results and the stream live beside it (options.ts, info.ts, results.ts,
 * stream.ts); createEngine() is in create.ts.
 */
import * as os from 'node:os';

import { EventEmitter } from 'eventemitter3';

import { HawkgraphError, describe, readInput, unreadable } from '../errors';
import { LoadedBinary, NativeBatchColumns, NativeGnnEngine, native } from '../native';
import { LIMITS } from '../native/layouts';
import { attachedReport } from '../ops/attached';
import type { ModelReport } from '../ops/scorer';
import { checkKeys, integerOption, optionError } from '../options';
import { BookBatch } from './batch';
import { Book, TypedBook, bookKind, packBook, packBookInto, typedBookCounts } from './book';
import { EngineInfo, engineInfo } from './info';
import { PredictionIterator } from './iterator';
import type { FallbackEvent } from './options';
import { ModelRef, Prediction, PredictOptions, ROW_EMBEDDING, readPredictionRow, rowModelSerial } from './prediction';
import { BatchOptions, BatchPrediction, checkBatchInto, checkPredictInto, nameBatchSlot, resultColumns } from './results';
import { ShadowController } from './shadow';
import { BookStreamController } from './stream';
import {
  EngineEvents, FeatureDrift, PredictionEvent, ResolvedStreamOptions, ShadowOptions, ShadowStats, StreamStats, SubmitOptions,
  resolveSplit, resolveStreamOptions,
} from './stream-types';

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
const MAX_BATCH_BOOKS = LIMITS.maxBatchBooks;

/** swapModel()'s options. */
export interface SwapOptions {
  /** Which model to replace: 'primary' (default; predict(), predictBatch() and the stream) or 'B' (the A/B split's, stream only). */
  slot?: 'primary' | 'B';
}

// Serials the lookup keeps: a stream record is at most a few blocks old, and swaps run one at a time.
const KEPT_SERIALS = 16;

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
 * 'dropped', 'error', 'stats'; see stream-types.ts).
 */
export class Engine extends EventEmitter<EngineEvents> {
  // engine.info, replaced (never mutated) when a CUDA failure moves the engine to the CPU or a swap
  // changes the model; after a swap it is read again from native code on first use, which keeps
  // that work off the moment of the swap.
  #info: Readonly<EngineInfo> | null;
  readonly #binary: LoadedBinary;
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

  // The models predictions may still name, by the serial rows carry: the running ones (primary and
  // B), and the latest before them while stream events made by them may still arrive.
  readonly #models = new Map<number, ModelRef>();
  // The A/B split: B's share of symbols (its model, once swapped in, is in #models).
  #shareB: number;
  // Shadows by name; a name is taken from the addShadow() call on.
  readonly #shadows = new Map<string, ShadowController>();
  readonly #shadowNames = new Set<string>();
  #serial: number;
  #model: ModelRef;
  // Swaps run one after another, in call order.
  #swapping: Promise<unknown> = Promise.resolve();
  readonly #swaps = { primary: 0, B: 0 };
  readonly #lookup = (serial: number): ModelRef => (serial === this.#serial ? this.#model : this.#models.get(serial) ?? this.#model);

  /**
   * @internal use createEngine(). `open` builds the native engine, handed the hook it calls when a
   * CUDA failure moved it to the CPU; `onFallback` is the caller's listener for that.
   */
  constructor(
    open: (onFallback: (reason: string) => void) => NativeGnnEngine,
    binary: LoadedBinary,
    stream?: ResolvedStreamOptions,
    onFallback?: (event: FallbackEvent) => void,
  ) {
    super();
    this.#streamOptions = stream ?? resolveStreamOptions(undefined);
    this.#shareB = this.#streamOptions.shareB;
    const nativeEngine = open((reason) => this.#fellBack(reason, onFallback));
    this.#native = nativeEngine;
    const info = nativeEngine.info();
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
    this.#binary = binary;
    this.#info = engineInfo(info, binary);
    this.#serial = info.modelSerial;
    this.#model = { modelId: info.modelId, modelName: info.modelName };
    this.#models.set(this.#serial, this.#model);
  }

  // The native engine moved from CUDA to the CPU after a failure (fallback 'cpu'): info is read
  // again from it (backend, precision, fallbackReason, the CPU's fields), then the listener runs.
  #fellBack(reason: string, onFallback: ((event: FallbackEvent) => void) | undefined): void {
    if (!this.#native) return;  // during construction: info is read once the native engine exists
    this.#info = engineInfo(this.#native.info(), this.#binary);
    onFallback?.({ from: 'cuda', to: 'cpu', reason });
  }

  /** What the engine runs: backend, precision, the model's sizes and id (see EngineInfo). */
  get info(): Readonly<EngineInfo> {
    if (this.#info === null) this.#info = engineInfo(this.#engine().info(), this.#binary);
    return this.#info;
  }

  /** swapModel() calls that completed, per slot, since the engine opened (a swap back to the same file counts too). */
  get modelSwaps(): Readonly<{ primary: number; B: number }> {
    return { primary: this.#swaps.primary, B: this.#swaps.B };
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
    const model = this.#lookup(rowModelSerial(row, 0));
    out.modelId = model.modelId;
    out.modelName = model.modelName;
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
    checkBatchInto(into);
    let out: NativeBatchColumns;
    let n: number;
    let serial: number;
    if (books instanceof BookBatch) {
      if (books.levels !== this.#levels) {
        throw new HawkgraphError(
          'ERR_INVALID_ARGUMENT',
          `batch holds books of ${books.levels} levels but this engine's model reads ${this.#levels}; create it with this engine's createBatch()`,
        );
      }
      n = books.length;
      out = resultColumns(n, this.#embed, embedding, into);
      try {
        serial = engine.predictBatch(books.columns, books.counts, n, out);
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
      out = resultColumns(n, this.#embed, embedding, into);
      serial = engine.predictBatch(this.#batchPacked, this.#batchCounts, n, out);
    }
    const r = into ?? ({} as BatchPrediction);
    if (out !== r) Object.assign(r, out);
    r.count = n;
    const model = this.#lookup(serial);
    r.modelId = model.modelId;
    r.modelName = model.modelName;
    return r;
  }

  /** The node features the model sees for this book: 2 * levelsUsed rows of 8 float64 values. */
  features(book: Book): Float64Array {
    const engine = this.#engine();
    const v = this.#viewBook(book);
    return engine.nodeFeatures(v.bidPx, v.bidSz, v.bids, v.askPx, v.askSz, v.asks);
  }

  /**
   * Queues a book for the native inference thread and returns its seq at once; the prediction
   * arrives as a 'prediction' event with that seq. The book is validated here, exactly as
   * predict() validates it (same errors, thrown synchronously), and copied: the caller may reuse
   * its arrays. A newer book of the same symbol replaces one not yet taken ('dropped', superseded).
   */
  submit(symbol: string, book: Book, options?: SubmitOptions): number {
    this.#engine();
    const ts = submitTimestamp(options);
    if (this.#stream === null) {
      // The first submit opens the stream (a native thread): check what can be checked here first,
      // so a refused call starts nothing.
      if (typeof symbol !== 'string' || symbol.length === 0) {
        throw new HawkgraphError('ERR_INVALID_ARGUMENT', `symbol must be a non-empty string, got ${describe(symbol)}`);
      }
      readInput('ERR_BOOK_TYPE', 'book', () => bookKind(book, 'book'));
    }
    return this.#openStream().submit(symbol, book, ts);
  }

  // The stream, opened now if it is not yet: by the first submit(), a swap of model B or a shadow.
  #openStream(): BookStreamController {
    if (this.#stream === null) {
      const options = { ...this.#streamOptions, shareB: this.#shareB };
      this.#stream = new BookStreamController(native().addon, this.#engine(), this.#levels, options, this, this.#lookup, this.#serial);
    }
    return this.#stream;
  }

  #remember(serial: number, ref: ModelRef): void {
    this.#models.set(serial, ref);
    for (const old of this.#models.keys()) {
      if (this.#models.size <= KEPT_SERIALS) break;
      this.#models.delete(old);
    }
  }

  /**
   * Replaces the model (a file path or its bytes, as createEngine's `model`). The file is read,
   * hashed, parsed, checked and its weights prepared on a native worker thread while predictions
   * go on; then predict() and predictBatch() switch between two calls and the stream thread between
   * two batches: no book is lost or predicted twice, and each result's modelId says which model
   * made it. Resolves with the new model's id and name once predict() runs it (the stream takes it
   * at its next batch). A model this engine cannot run is refused (ERR_MODEL_INCOMPATIBLE: another
   * levels, node_features, hidden, heads or order_flow; ERR_MODEL_* for a bad file, ERR_MODEL_READ
   * for a missing one) and the running model stays. Swaps run in call order; bytes are copied when
   * their swap starts, so leave them unchanged until the promise settles.
   */
  swapModel(model: string | Uint8Array, options?: SwapOptions): Promise<ModelRef> {
    this.#engine();
    checkModelSource(model);
    const slot = swapSlot(options);
    const swap = this.#swapping.then(() => (slot === 'B' ? this.#swapB(model) : this.#swap(model)));
    this.#swapping = swap.catch(() => undefined);
    return swap;
  }

  // Model B of the A/B split: one run, for the stream's thread (opened now if need be).
  async #swapB(model: string | Uint8Array): Promise<ModelRef> {
    const prepared = await this.#engine().prepareModel(model, 1, false, this.#streamOptions.maxBatch);
    this.#engine();
    const ref: ModelRef = { modelId: prepared.modelId, modelName: prepared.modelName };
    this.#remember(prepared.serial, ref);
    this.#openStream().offerB(prepared.handle);
    this.#swaps.B++;
    return ref;
  }

  /**
   * Moves the A/B split: `{ B: share }` (0..1) of symbols go to model B from the stream thread's
   * next batch on. Routes are fixed per symbol, so raising the share only moves more symbols to B.
   */
  setSplit(split: { B: number }): void {
    this.#engine();
    if (split === undefined) optionError('split must be { B: share }, got undefined');
    const share = resolveSplit(split, 'split');
    this.#shareB = share;
    this.#stream?.setShareB(share);
  }

  /**
   * Runs `model` (a path or bytes) as a shadow: its own native thread (at a lower scheduling
   * priority, and on a machine without a spare core only while the primary is idle: see
   * ShadowOptions.yieldToPrimary) predicts every book the primary predicts on the stream, reported as 'shadow' events
   * with the prediction events' fields (`model`: its name). The primary's thread only copies each
   * delivered batch's books into the shadow's bounded queue; a shadow that falls behind drops
   * books (counted in shadowStats()), never the primary. The model must have the engine's levels
   * and order_flow (its other sizes may differ). Opens the stream if it is not open yet. Resolves
   * once the shadow is attached.
   */
  addShadow(model: string | Uint8Array, options: ShadowOptions): Promise<ModelRef> {
    this.#engine();
    checkModelSource(model);
    const shadow = shadowOptions(options, this.#shadowNames);
    this.#shadowNames.add(shadow.name);
    return this.#attachShadow(model, shadow).catch((err: unknown) => {
      this.#shadowNames.delete(shadow.name);
      throw err;
    });
  }

  async #attachShadow(model: string | Uint8Array, { name, queueBooks, yieldToPrimary }: ResolvedShadowOptions): Promise<ModelRef> {
    const prepared = await this.#engine().prepareModel(model, 1, true, this.#streamOptions.maxBatch);
    this.#engine();  // closed while the model was prepared: the handle's runs are freed with it
    const stream = this.#openStream();
    const ref: ModelRef = { modelId: prepared.modelId, modelName: prepared.modelName };
    this.#shadows.set(name, new ShadowController(native().addon, stream, prepared.handle, name, ref, queueBooks, yieldToPrimary, this));
    return ref;
  }

  /**
   * Detaches a shadow: the stream stops feeding it at once, books still queued for it are dropped
   * ('closed'), and the promise resolves with its final stats once its thread is joined and its
   * last event emitted.
   */
  removeShadow(name: string): Promise<ShadowStats> {
    this.#engine();
    const shadow = typeof name === 'string' ? this.#shadows.get(name) : undefined;
    if (shadow === undefined) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `no shadow named ${describe(name)} (shadows: ${[...this.#shadows.keys()].join(', ') || 'none'})`);
    }
    this.#shadows.delete(name);
    this.#shadowNames.delete(name);
    return shadow.close(false);
  }

  /** Each shadow's counters now: offered = predicted + dropped.total + pending. */
  shadowStats(): ShadowStats[] {
    return [...this.#shadows.values()].map((s) => s.stats());
  }

  /**
   * Input drift per node feature over the stream's sliding window (stream.drift.windowBooks)
   * against the training distribution in the model's metadata (feature_stats): PSI and a binned
   * KS statistic. The histograms are kept on the stream thread, one bin lookup per node and
   * feature of each delivered book, against the model the stream opened with. Undefined before the
   * stream opens, with stream.drift false, or when the model's metadata has no feature_stats.
   */
  featureDrift(): FeatureDrift[] | undefined {
    this.#engine();
    return this.#stream?.featureDrift();
  }

  /**
   * The online scores of the scorer attached by createScorer(engine, ...) (lib/ops): per model
   * slot, sliding window and since start. ERR_INVALID_ARGUMENT when no scorer is attached.
   */
  modelReport(): ModelReport {
    return attachedReport(this);
  }

  async #swap(model: string | Uint8Array): Promise<ModelRef> {
    const hadStream = this.#stream !== null;
    // Each run's batch staging is sized for a stream batch, so the stream thread allocates nothing at the swap.
    const reserve = this.#streamOptions.maxBatch;
    const prepared = await this.#engine().prepareModel(model, hadStream ? 2 : 1, false, reserve);
    // A stream opened while the model was prepared needs a run of its own too.
    const forStream = this.#stream !== null && !hadStream ? await this.#engine().prepareModel(prepared.handle, 1, false, reserve) : prepared;
    const engine = this.#engine();
    engine.installModel(prepared.handle);
    this.#stream?.offer(forStream.handle);
    const ref: ModelRef = { modelId: prepared.modelId, modelName: prepared.modelName };
    this.#serial = prepared.serial;
    this.#model = ref;
    this.#remember(prepared.serial, ref);
    this.#info = null;
    this.#swaps.primary++;
    return ref;
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
    if (this.#native !== null) void this.info;  // still readable once closed
    this.#native?.close();
    this.#native = null;
    const stream = this.#stream;
    const shadows = [...this.#shadows.values()];
    this.#shadows.clear();
    // The shadows close once the stream's thread has handed them its last books.
    const done = stream ? stream.close(drain).then(async (stats) => {
      await Promise.all(shadows.map((s) => s.close(drain)));
      return stats;
    }) : Promise.resolve(undefined);
    this.#closing = done.then((stats) => {
      for (const it of [...this.#iterators]) it.end();
      return stats;
    });
    return this.#closing;
  }
}

function checkModelSource(model: unknown): void {
  if (!(model instanceof Uint8Array) && (typeof model !== 'string' || model.length === 0)) {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', `model must be a file path or a Uint8Array, got ${describe(model)}`);
  }
}

function swapSlot(options: SwapOptions | undefined): 'primary' | 'B' {
  if (options === undefined) return 'primary';
  if (options === null || typeof options !== 'object') optionError(`swapModel options must be an object, got ${describe(options)}`);
  return readInput('ERR_INVALID_OPTION', 'swapModel options', () => {
    checkKeys(options, new Set(['slot']), 'swapModel option');
    const slot = options.slot ?? 'primary';
    if (slot !== 'primary' && slot !== 'B') optionError(`swapModel slot must be 'primary' or 'B', got ${describe(slot)}`);
    return slot;
  });
}

const RESERVED_SLOTS = new Set(['primary', 'B']);

type ResolvedShadowOptions = Required<ShadowOptions>;

// The JS thread, the primary's thread and a shadow's each want a CPU: below that, the shadow yields.
const SHADOW_YIELDS_BELOW_CPUS = 3;

function shadowOptions(options: ShadowOptions, taken: ReadonlySet<string>): ResolvedShadowOptions {
  if (options === null || typeof options !== 'object') optionError(`addShadow options must be { name, queueBooks?, yieldToPrimary? }, got ${describe(options)}`);
  return readInput('ERR_INVALID_OPTION', 'addShadow options', () => {
    checkKeys(options, new Set(['name', 'queueBooks', 'yieldToPrimary']), 'addShadow option');
    const { name } = options;
    if (typeof name !== 'string' || name.length === 0) optionError(`addShadow name must be a non-empty string, got ${describe(name)}`);
    if (RESERVED_SLOTS.has(name)) optionError(`addShadow name ${describe(name)} is a model slot's ('primary' and 'B' are taken)`);
    if (taken.has(name)) optionError(`a shadow named ${describe(name)} already exists`);
    const { min, max, default: fallback } = LIMITS.stream.shadowQueueBooks;
    const { yieldToPrimary = os.availableParallelism() < SHADOW_YIELDS_BELOW_CPUS } = options;
    if (typeof yieldToPrimary !== 'boolean') optionError(`addShadow yieldToPrimary must be a boolean, got ${describe(yieldToPrimary)}`);
    return { name, queueBooks: integerOption(options.queueBooks, 'addShadow queueBooks', fallback, min, max), yieldToPrimary };
  });
}

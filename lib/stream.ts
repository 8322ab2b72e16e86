/**
 * Streaming: engine.submit() hands a book to the native inference thread (latest book wins per
 * symbol) and predictions come back as typed events. This file holds the event types, the stream
 * options and the plumbing between the native BookStream and the engine's emitter; it knows
 * nothing of models or kernels.
 */
import { createHistogram, RecordableHistogram } from 'node:perf_hooks';

import type { EventEmitter } from 'eventemitter3';

import { Book, TypedBook, bookKind, packBook, typedBookCounts } from './book';
import { HawkgraphError, HawkgraphErrorCode, describe, unreadable } from './errors';
import type { NativeAddon, NativeBookStream, NativeGnnEngine } from './native';
import { Prediction, readPredictionRow } from './prediction';

/** Options of the stream an engine opens on its first submit(); all optional. */
export interface StreamOptions {
  /** Most books per forward batch on the inference thread (1..4096). Default 32. */
  maxBatch?: number;
  /**
   * Once a first book is pending, how long (µs) the thread may wait for more before it runs a
   * partial batch (0..1e6). Default 0: it takes whatever has accumulated, so batches grow by
   * themselves while the previous one computes and an isolated book is never held back.
   */
  maxWaitUs?: number;
  /** Distinct symbols the stream accepts (1..65536); one more throws ERR_MAX_SYMBOLS. Default 1024. */
  maxSymbols?: number;
  /**
   * When the inference thread runs out of books, how long (µs, 0..10000) it keeps polling for the
   * next one before it sleeps. Default 0: it sleeps at once, and a submit() that finds it asleep
   * pays a futex wake (a few µs on both sides). A spin trades a core's idle time for latency:
   * worth it on a dedicated core at steady feed rates.
   */
  spinUs?: number;
  /** Period of 'stats' events in ms (0 turns them off; else 10..3600000). Default 1000. */
  statsIntervalMs?: number;
}

export interface SubmitOptions {
  /**
   * The book's timestamp in ms (an exchange time, say). Order flow divides by the gap between a
   * symbol's consecutive timestamps. Default: performance.timeOrigin + performance.now().
   */
  ts?: number;
}


/** A prediction from the stream: predict()'s result (without the embedding) plus where and when. */
export interface PredictionEvent extends Omit<Prediction, 'embedding'> {
  symbol: string;
  /** The value submit() returned for this book. */
  seq: number;
  /** The book's timestamp (SubmitOptions.ts). */
  ts: number;
  /** Submit to the start of the book's batch on the inference thread. */
  queueNs: number;
  /** The forward pass of the whole batch. */
  computeNs: number;
  /** Submit to this event being dispatched on the JS thread. */
  latencyNs: number;
}

/** superseded: a newer book of the same symbol replaced it before the thread took it.
 *  closed: close({ drain: false }) discarded it. error: its batch failed ('error' says why). */
export type DropReason = 'superseded' | 'closed' | 'error';

export interface DroppedEvent {
  symbol: string;
  seq: number;
  reason: DropReason;
}

/** Percentiles of a latency histogram, in ns. */
export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface StreamStats {
  /** Books accepted by submit() since the stream opened. */
  submitted: number;
  /** 'prediction' events emitted. */
  predicted: number;
  /** 'dropped' events emitted, by reason. */
  dropped: { superseded: number; closed: number; error: number; total: number };
  /** Books accepted but neither predicted nor dropped yet: submitted = predicted + dropped.total + pending. */
  pending: number;
  /** Forward batches run by the inference thread. */
  batches: number;
  /** Since the previous stats event: batchSizes[n] batches of n books. */
  batchSizes: number[];
  /** Since the previous stats event: submit() to 'prediction' dispatch on the JS thread. */
  latencyNs: LatencySummary;
  /** Native view of pending books: in slots, in the thread's batch, in blocks on their way to JS. */
  native: { queued: number; inFlight: number; inDelivery: number; released: number };
}

/** The engine's events (eventemitter3, typed). */
export interface EngineEvents {
  prediction: (event: PredictionEvent) => void;
  dropped: (event: DroppedEvent) => void;
  error: (error: HawkgraphError) => void;
  stats: (stats: StreamStats) => void;
}

export interface ResolvedStreamOptions {
  maxBatch: number;
  maxWaitUs: number;
  maxSymbols: number;
  spinUs: number;
  statsIntervalMs: number;
}

const STREAM_OPTIONS = new Set(['maxBatch', 'maxWaitUs', 'maxSymbols', 'spinUs', 'statsIntervalMs']);
export const STREAM_DEFAULTS: Readonly<ResolvedStreamOptions> = Object.freeze({
  maxBatch: 32,
  maxWaitUs: 0,
  maxSymbols: 1024,
  spinUs: 0,
  statsIntervalMs: 1000,
});

function integerOption(options: Record<string, unknown>, key: keyof ResolvedStreamOptions, lo: number, hi: number): number {
  const v = options[key];
  if (v === undefined) return STREAM_DEFAULTS[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `stream.${key} must be an integer in [${lo}, ${hi}], got ${describe(v)}`);
  }
  return v;
}

/** Validates createEngine's `stream` option (ERR_INVALID_OPTION). */
export function resolveStreamOptions(options: unknown): ResolvedStreamOptions {
  if (options === undefined) return { ...STREAM_DEFAULTS };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `stream must be an options object, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!STREAM_OPTIONS.has(key)) {
      throw new HawkgraphError('ERR_INVALID_OPTION', `unknown stream option ${JSON.stringify(key)} (expected one of ${[...STREAM_OPTIONS].join(', ')})`);
    }
  }
  const statsIntervalMs = integerOption(o, 'statsIntervalMs', 0, 3_600_000);
  if (statsIntervalMs !== 0 && statsIntervalMs < 10) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `stream.statsIntervalMs must be 0 (off) or at least 10, got ${statsIntervalMs}`);
  }
  return {
    maxBatch: integerOption(o, 'maxBatch', 1, 4096),
    maxWaitUs: integerOption(o, 'maxWaitUs', 0, 1_000_000),
    maxSymbols: integerOption(o, 'maxSymbols', 1, 1 << 16),
    spinUs: integerOption(o, 'spinUs', 0, 10_000),
    statsIntervalMs,
  };
}

// Record layout written by native/core/stream/book_stream.hpp (record::*), then prediction_row.
const REC_SYMBOL = 0;
const REC_SEQ = 1;
const REC_TS = 2;
const REC_SUBMIT_NS = 3;
const REC_QUEUE_NS = 4;
const REC_COMPUTE_NS = 5;
const REC_ROW = 6;
const REC_WIDTH = REC_ROW + 11;
// Superseded books waiting for their 'dropped' event. They are emitted from a setImmediate, not
// inside submit(), unless this many pile up in one synchronous burst: then submit() emits them
// before it returns, which keeps memory bounded whatever the feed does.
const DROP_RING = 4096;

type Emitter = EventEmitter<EngineEvents>;

/** The live stream of one engine: created on the first submit(), gone after close() resolves. */
export class BookStreamController {
  readonly #emitter: Emitter;
  readonly #native: NativeBookStream;
  readonly #options: ResolvedStreamOptions;
  readonly #levels: number;
  readonly #symbols = new Map<string, number>();
  readonly #names: string[] = [];
  readonly #inbox: Float64Array;
  readonly #submitOut = new Float64Array(1);
  readonly #counters = new Float64Array(8);
  // Staging for nested books: bidPx, bidSz, askPx, askSz, L each.
  readonly #staging: Float64Array;
  readonly #bidPx: Float64Array;
  readonly #bidSz: Float64Array;
  readonly #askPx: Float64Array;
  readonly #askSz: Float64Array;
  readonly #dropSymbol = new Int32Array(DROP_RING);
  readonly #dropSeq = new Float64Array(DROP_RING);
  #dropCount = 0;
  #dropScheduled = false;
  #closedDrops: Float64Array | null = null;
  #predicted = 0;
  #dropped = { superseded: 0, closed: 0, error: 0 };
  readonly #batchSizes: Float64Array;
  readonly #latency: RecordableHistogram = createHistogram();
  #statsTimer: NodeJS.Timeout | null = null;
  #closing: Promise<StreamStats> | null = null;
  #resolveClose: ((stats: StreamStats) => void) | null = null;
  #finished = false;

  constructor(addon: NativeAddon, engine: NativeGnnEngine, levels: number, options: ResolvedStreamOptions, emitter: Emitter) {
    this.#emitter = emitter;
    this.#options = options;
    this.#levels = levels;
    this.#staging = new Float64Array(4 * levels);
    this.#bidPx = this.#staging.subarray(0, levels);
    this.#bidSz = this.#staging.subarray(levels, 2 * levels);
    this.#askPx = this.#staging.subarray(2 * levels, 3 * levels);
    this.#askSz = this.#staging.subarray(3 * levels, 4 * levels);
    this.#inbox = new Float64Array(options.maxBatch * REC_WIDTH);
    this.#batchSizes = new Float64Array(options.maxBatch + 1);
    this.#native = new addon.BookStream(
      engine, options.maxBatch, options.maxWaitUs, options.maxSymbols,
      (count: number, dispatchNs: number, code?: string, message?: string) => this.#dispatch(count, dispatchNs, code, message),
      () => this.#finish(),
      this.#inbox, this.#submitOut, options.spinUs,
    );
    if (options.statsIntervalMs > 0) {
      this.#statsTimer = setInterval(() => this.#emitStats(), options.statsIntervalMs);
      this.#statsTimer.unref();
    }
  }

  /** Validates and queues one book; returns its seq. Throws like predict() for a bad book. */
  submit(symbol: string, book: Book, ts: number): number {
    if (typeof symbol !== 'string' || symbol.length === 0) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `symbol must be a non-empty string, got ${describe(symbol)}`);
    }
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `options.ts must be a finite number of ms, got ${describe(ts)}`);
    }
    let index = this.#symbols.get(symbol);
    const known = index !== undefined;
    if (index === undefined) {
      if (this.#names.length >= this.#options.maxSymbols) {
        throw new HawkgraphError('ERR_MAX_SYMBOLS', `symbol ${describe(symbol)} would be symbol number ${this.#names.length + 1}, more than stream.maxSymbols (${this.#options.maxSymbols})`);
      }
      index = this.#names.length;
    }
    let seq: number;
    try {
      if (bookKind(book, 'book') === 'typed') {
        const t = book as TypedBook;
        const [nb, na] = typedBookCounts(t, 'book');
        seq = this.#native.submit(index, t.bidPx, t.bidSz, nb, t.askPx, t.askSz, na, ts);
      } else {
        const [nb, na] = packBook(book, this.#staging, 0, this.#levels, 'book');
        seq = this.#native.submit(index, this.#bidPx, this.#bidSz, nb, this.#askPx, this.#askSz, na, ts);
      }
    } catch (err) {
      // A getter or Proxy trap of the caller's book that throws: a book that cannot be read.
      throw unreadable('ERR_BOOK_TYPE', 'book', err);
    }
    // Only a book the native side accepted claims a symbol.
    if (!known) {
      this.#symbols.set(symbol, index);
      this.#names.push(symbol);
    }
    const superseded = this.#submitOut[0];
    if (superseded !== 0) this.#pushDrop(index, superseded);
    return seq;
  }

  #pushDrop(symbol: number, seq: number): void {
    if (this.#dropCount === DROP_RING) this.#flushDrops();
    this.#dropSymbol[this.#dropCount] = symbol;
    this.#dropSeq[this.#dropCount] = seq;
    this.#dropCount++;
    if (!this.#dropScheduled) {
      this.#dropScheduled = true;
      setImmediate(() => {
        this.#dropScheduled = false;
        this.#flushDrops();
      });
    }
  }

  #flushDrops(): void {
    // Counted as emitted before each emit, so a listener that throws cannot unbalance the books.
    let firstError: unknown;
    const n = this.#dropCount;
    this.#dropCount = 0;
    const listening = this.#emitter.listenerCount('dropped') > 0;
    for (let k = 0; k < n; k++) {
      this.#dropped.superseded++;
      if (!listening) continue;
      try {
        this.#emitter.emit('dropped', { symbol: this.#names[this.#dropSymbol[k]], seq: this.#dropSeq[k], reason: 'superseded' });
      } catch (err) {
        firstError ??= err;
      }
    }
    rethrowLater(firstError);
  }

  // Called by the native thread-safe function on the JS thread with `count` records in the inbox.
  #dispatch(count: number, dispatchNs: number, code?: string, message?: string): void {
    const inbox = this.#inbox;
    this.#batchSizes[count]++;
    let firstError: unknown;
    if (code !== undefined) {
      for (let k = 0; k < count; k++) {
        const r = k * REC_WIDTH;
        this.#dropped.error++;
        try {
          this.#emitter.emit('dropped', { symbol: this.#names[inbox[r + REC_SYMBOL]], seq: inbox[r + REC_SEQ], reason: 'error' });
        } catch (err) {
          firstError ??= err;
        }
      }
      this.#emitter.emit('error', new HawkgraphError(code as HawkgraphErrorCode, `streaming batch failed: ${message}`));
      rethrowLater(firstError);
      return;
    }
    const listening = this.#emitter.listenerCount('prediction') > 0;
    for (let k = 0; k < count; k++) {
      const r = k * REC_WIDTH;
      const latency = dispatchNs - inbox[r + REC_SUBMIT_NS];
      this.#latency.record(latency >= 1 ? Math.round(latency) : 1);
      this.#predicted++;
      if (!listening) continue;
      const row = r + REC_ROW;
      const event: PredictionEvent = {
        symbol: this.#names[inbox[r + REC_SYMBOL]],
        seq: inbox[r + REC_SEQ],
        ts: inbox[r + REC_TS],
        direction: 'flat',
        probs: [0, 0, 0],
        logits: [0, 0, 0],
        confidence: 0,
        magnitude: 0,
        volatility: 0,
        levelsUsed: 0,
        queueNs: inbox[r + REC_QUEUE_NS],
        computeNs: inbox[r + REC_COMPUTE_NS],
        latencyNs: latency,
      };
      readPredictionRow(inbox, row, event);
      try {
        this.#emitter.emit('prediction', event);
      } catch (err) {
        firstError ??= err;
      }
    }
    rethrowLater(firstError);
  }

  /** Counters right now (consistent between JS callbacks; see StreamStats). */
  stats(): StreamStats {
    const c = this.#counters;
    this.#native.counters(c);
    const [submitted, , , queued, inFlight, inDelivery, released, batches] = c;
    const closedPending = this.#closedDrops ? this.#closedDrops.length / 2 : 0;
    const h = this.#latency;
    const some = h.count > 0;
    const total = this.#dropped.superseded + this.#dropped.closed + this.#dropped.error;
    return {
      submitted,
      predicted: this.#predicted,
      dropped: { ...this.#dropped, total },
      pending: queued + inFlight + inDelivery + this.#dropCount + closedPending,
      batches,
      batchSizes: Array.from(this.#batchSizes),
      latencyNs: {
        count: h.count,
        min: some ? h.min : 0,
        p50: some ? h.percentile(50) : 0,
        p90: some ? h.percentile(90) : 0,
        p99: some ? h.percentile(99) : 0,
        p999: some ? h.percentile(99.9) : 0,
        max: some ? h.max : 0,
        mean: some ? h.mean : 0,
      },
      native: { queued, inFlight, inDelivery, released },
    };
  }

  #emitStats(): void {
    const stats = this.stats();
    this.#latency.reset();
    this.#batchSizes.fill(0);
    this.#emitter.emit('stats', stats);
  }

  /** Starts closing; resolves with the final stats once the thread is joined and every event is out. */
  close(drain: boolean): Promise<StreamStats> {
    if (this.#closing) return this.#closing;
    this.#closing = new Promise<StreamStats>((resolve) => {
      this.#resolveClose = resolve;
    });
    const discarded = this.#native.close(drain);
    if (discarded.length > 0) this.#closedDrops = discarded;
    return this.#closing;
  }

  get finished(): boolean {
    return this.#finished;
  }

  // The thread is joined and its last block dispatched: emit what is left, then resolve.
  #finish(): void {
    this.#finished = true;
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    this.#flushDrops();
    let firstError: unknown;
    const closed = this.#closedDrops;
    this.#closedDrops = null;
    if (closed) {
      for (let k = 0; k < closed.length; k += 2) {
        this.#dropped.closed++;
        try {
          this.#emitter.emit('dropped', { symbol: this.#names[closed[k]], seq: closed[k + 1], reason: 'closed' });
        } catch (err) {
          firstError ??= err;
        }
      }
    }
    const stats = this.stats();
    try {
      if (this.#options.statsIntervalMs > 0) this.#emitter.emit('stats', stats);
    } catch (err) {
      firstError ??= err;
    }
    this.#resolveClose?.(stats);
    this.#resolveClose = null;
    rethrowLater(firstError);
  }
}

// A listener's exception must not cut a batch short (the books would go uncounted), so it is
// rethrown afterwards, as an uncaught exception, the way a throwing EventEmitter listener is.
function rethrowLater(err: unknown): void {
  if (err !== undefined) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/**
 * The async iterator behind engine.predictions(): buffers up to `maxBuffered` events (the oldest
 * go first when a consumer falls behind) and ends, after its buffer, once the engine has closed.
 */
export class PredictionIterator implements AsyncIterableIterator<PredictionEvent> {
  readonly #emitter: Emitter;
  readonly #maxBuffered: number;
  readonly #detach: (it: PredictionIterator) => void;
  #buffer: PredictionEvent[] = [];
  #head = 0;
  #waiting: ((r: IteratorResult<PredictionEvent>) => void) | null = null;
  #ended = false;
  readonly #onPrediction = (e: PredictionEvent): void => {
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = null;
      w({ value: e, done: false });
      return;
    }
    this.#buffer.push(e);
    if (this.#buffer.length - this.#head > this.#maxBuffered) this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
  };

  /** @internal */
  constructor(emitter: Emitter, maxBuffered: number, detach: (it: PredictionIterator) => void) {
    this.#emitter = emitter;
    this.#maxBuffered = maxBuffered;
    this.#detach = detach;
    emitter.on('prediction', this.#onPrediction);
  }

  /** @internal the engine closed: no more events will come. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#emitter.off('prediction', this.#onPrediction);
    this.#detach(this);
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = null;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<PredictionEvent>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head++];
      if (this.#head === this.#buffer.length) {
        this.#buffer.length = 0;
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<PredictionEvent>> {
    this.#buffer.length = 0;
    this.#head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): PredictionIterator {
    return this;
  }
}

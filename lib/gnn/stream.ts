/**
 * Streaming: engine.submit() hands a book to the native inference thread (latest book wins per
 * symbol) and predictions come back as typed events. This file holds the plumbing between the
 * native BookStream and the engine's emitter; it knows nothing of models or kernels.
 */
import type { RecordableHistogram } from 'node:perf_hooks';

import type { EventEmitter } from 'eventemitter3';

import { HawkgraphError, HawkgraphErrorCode, describe, unreadable } from '../errors';
import type { NativeAddon, NativeBookStream, NativeGnnEngine, NativePreparedHandle } from '../native';
import { LAYOUTS } from '../native/layouts';
import { Book, TypedBook, bookKind, packBook, typedBookCounts } from './book';
import { giveBackHistogram, latencySummary, takeHistogram } from './histograms';
import { ModelLookup, ModelRef, readPredictionRow, rowModelSerial } from './prediction';
import { symbolRoute } from './split';
import type { EngineEvents, FeatureDrift, ModelSlot, PredictionEvent, ResolvedStreamOptions, StreamStats } from './stream-types';

// A delivered book's record in the inbox (LAYOUTS.streamRecord): its header, then its prediction row.
const {
  symbol: REC_SYMBOL, seq: REC_SEQ, ts: REC_TS, submitNs: REC_SUBMIT_NS, queueNs: REC_QUEUE_NS,
  computeNs: REC_COMPUTE_NS, mid: REC_MID, slot: REC_SLOT, row: REC_ROW, width: REC_WIDTH,
} = LAYOUTS.streamRecord;
const SLOT_NAMES: readonly ModelSlot[] = ['primary', 'B'];
const { superseded: OUT_SUPERSEDED, width: OUT_WIDTH } = LAYOUTS.streamSubmitOut;
const COUNTERS = LAYOUTS.streamCounters;
const DISCARDED = LAYOUTS.streamDiscarded;
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
  readonly #submitOut = new Float64Array(OUT_WIDTH);
  readonly #counters = new Float64Array(COUNTERS.width);
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
  // Given back when the stream finishes; its last summary stays readable.
  #latency: RecordableHistogram | null = takeHistogram();
  #finalLatency: StreamStats['latencyNs'] | null = null;
  #statsTimer: NodeJS.Timeout | null = null;
  #closing: Promise<StreamStats> | null = null;
  #resolveClose: ((stats: StreamStats) => void) | null = null;
  #finished = false;
  readonly #models: ModelLookup;
  // The serial of the model of the last record dispatched: later ones are by it or a newer one.
  #lastModelSerial: number;

  constructor(
    addon: NativeAddon, engine: NativeGnnEngine, levels: number, options: ResolvedStreamOptions, emitter: Emitter,
    models: ModelLookup, modelSerial: number,
  ) {
    this.#emitter = emitter;
    this.#models = models;
    this.#lastModelSerial = modelSerial;
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
      this.#inbox, this.#submitOut, options.spinUs, options.driftWindowBooks,
    );
    if (options.shareB > 0) this.#native.setShareB(options.shareB);
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
    // The symbol's route is set before its first book can reach the thread (and again, harmlessly,
    // if that book is refused).
    if (!known) this.#native.routeSymbol(index, symbolRoute(symbol));
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
    const superseded = this.#submitOut[OUT_SUPERSEDED];
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
      this.#latency!.record(latency >= 1 ? Math.round(latency) : 1);
      this.#predicted++;
      const row = r + REC_ROW;
      const serial = rowModelSerial(inbox, row);
      this.#lastModelSerial = serial;
      if (!listening) continue;
      const event = recordEvent(inbox, r, this.#names, SLOT_NAMES[inbox[r + REC_SLOT]], this.#models(serial), latency);
      try {
        this.#emitter.emit('prediction', event);
      } catch (err) {
        firstError ??= err;
      }
    }
    rethrowLater(firstError);
  }

  /** The stream thread runs one of the prepared model's runs from its next batch on. */
  offer(handle: NativePreparedHandle): void {
    this.#native.offerModel(handle);
  }

  /** Model B of the A/B split (its first, or a swap of it) from the thread's next batch on. */
  offerB(handle: NativePreparedHandle): void {
    this.#native.offerModelB(handle);
  }

  /** Symbols whose route is below `share` go to model B. */
  setShareB(share: number): void {
    this.#native.setShareB(share);
  }

  /** The native stream, for a shadow to attach to. */
  get native(): NativeBookStream {
    return this.#native;
  }

  get maxBatch(): number {
    return this.#options.maxBatch;
  }

  /** Symbol names by index, for the shadows' events. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** The drift window's statistics per feature, or undefined when the stream keeps none. */
  featureDrift(): FeatureDrift[] | undefined {
    return this.#native.featureDrift()?.map(({ feature, psi, ks, windowBooks, values, bins }) => ({ feature, psi, ks, windowBooks, values, bins }));
  }

  lastModelSerial(): number {
    return this.#lastModelSerial;
  }

  /** Counters right now (consistent between JS callbacks; see StreamStats). */
  stats(): StreamStats {
    const c = this.#counters;
    this.#native.counters(c);
    const submitted = c[COUNTERS.submitted], queued = c[COUNTERS.queued], inFlight = c[COUNTERS.inFlight];
    const inDelivery = c[COUNTERS.inDelivery], released = c[COUNTERS.released], batches = c[COUNTERS.batches];
    const closedPending = this.#closedDrops ? this.#closedDrops.length / DISCARDED.width : 0;
    const total = this.#dropped.superseded + this.#dropped.closed + this.#dropped.error;
    return {
      submitted,
      predicted: this.#predicted,
      dropped: { ...this.#dropped, total },
      pending: queued + inFlight + inDelivery + this.#dropCount + closedPending,
      batches,
      batchSizes: Array.from(this.#batchSizes),
      latencyNs: this.#finalLatency ?? latencySummary(this.#latency!),
      native: { queued, inFlight, inDelivery, released },
    };
  }

  #emitStats(): void {
    const stats = this.stats();
    this.#latency?.reset();
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
      for (let k = 0; k < closed.length; k += DISCARDED.width) {
        this.#dropped.closed++;
        try {
          this.#emitter.emit('dropped', { symbol: this.#names[closed[k + DISCARDED.symbol]], seq: closed[k + DISCARDED.seq], reason: 'closed' });
        } catch (err) {
          firstError ??= err;
        }
      }
    }
    const stats = this.stats();
    this.#finalLatency = stats.latencyNs;
    giveBackHistogram(this.#latency!);
    this.#latency = null;
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

/**
 * The event of the record at `r` of a delivered inbox (a stream's or a shadow's): its header
 * fields, then its prediction row. `latencyNs`: submit() to this dispatch.
 */
export function recordEvent(
  inbox: Float64Array, r: number, names: readonly string[], model: string, ref: ModelRef, latencyNs: number,
): PredictionEvent {
  const event: PredictionEvent = {
    symbol: names[inbox[r + REC_SYMBOL]],
    seq: inbox[r + REC_SEQ],
    ts: inbox[r + REC_TS],
    mid: inbox[r + REC_MID],
    model,
    direction: 'flat',
    probs: [0, 0, 0],
    logits: [0, 0, 0],
    confidence: 0,
    magnitude: 0,
    volatility: 0,
    levelsUsed: 0,
    modelId: ref.modelId,
    modelName: ref.modelName,
    queueNs: inbox[r + REC_QUEUE_NS],
    computeNs: inbox[r + REC_COMPUTE_NS],
    latencyNs,
  };
  readPredictionRow(inbox, r + REC_ROW, event);
  return event;
}

// A listener's exception must not cut a batch short (the books would go uncounted), so it is
// rethrown afterwards, as an uncaught exception, the way a throwing EventEmitter listener is.
export function rethrowLater(err: unknown): void {
  if (err !== undefined) {
    process.nextTick(() => {
      throw err;
    });
  }
}

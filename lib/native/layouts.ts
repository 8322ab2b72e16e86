/**
 * The record layouts JS reads from (or writes into) arrays the addon fills, and the bounds lib
 * checks before native code checks them again. Each value mirrors one in native/core (named
 * beside it); test/05.native-constants compares both objects with the addon's constants() where
 * the addon has it. Depends on nothing: every other file reads positions and bounds from here.
 */

/** Positions in the Float64Arrays the addon fills, by record. */
export const LAYOUTS = Object.freeze({
  /**
   * One prediction (native/core/gnn_engine.hpp, prediction_row): logits and probs are 3 values
   * each (down, flat, up); a row is `width` values, then the embedding's `embed` values when asked.
   */
  predictionRow: Object.freeze({
    direction: 0, logits: 1, probs: 4, confidence: 7, magnitude: 8, volatility: 9, levelsUsed: 10, embedding: 11, width: 11,
  }),
  /**
   * One streamed book as delivered to JS (native/core/stream/book_stream.hpp, record): its header,
   * then the prediction row from `row` on, without the embedding.
   */
  streamRecord: Object.freeze({
    symbol: 0, seq: 1, ts: 2, submitNs: 3, queueNs: 4, computeNs: 5, row: 6, width: 17,
  }),
  /** BookStream.counters(out) (native/addon/stream_wrap.cpp). */
  streamCounters: Object.freeze({
    submitted: 0, superseded: 1, discarded: 2, queued: 3, inFlight: 4, inDelivery: 5, released: 6, batches: 7, width: 8,
  }),
  /** BookStream.submit()'s second result: the seq of the book it superseded (0: none). */
  streamSubmitOut: Object.freeze({ superseded: 0, width: 1 }),
  /** BookStream.close(): the books it discarded, as (symbol, seq) pairs. */
  streamDiscarded: Object.freeze({ symbol: 0, seq: 1, width: 2 }),
  /**
   * The Hawkes statistics row, sums over paths (native/core/hawkes/hawkes_simulate.hpp): `head`
   * scalars, then `blocks` blocks of D values (one per type); block b's value for type k is at
   * head + b * D + k.
   */
  hawkesStats: Object.freeze({
    events: 0, gaps: 1, gapSum: 2, gapSquareSum: 3, midChangeSum: 4, midChangeSquareSum: 5, head: 6,
    countBlock: 0, countSquareBlock: 1, terminalIntensityBlock: 2, blocks: 3,
  }),
  /** What a JS strategy callback is handed each step (native/addon/backtest_wrap.cpp); prices in ticks. */
  backtestState: Object.freeze({
    path: 0, step: 1, time: 2, inventory: 3, bid: 4, ask: 5, trend: 6, cash: 7, width: 8,
  }),
  /** What the callback's decision is handed back as: offsets in ticks (NaN: no quote), market > 0 buy, < 0 sell. */
  backtestAction: Object.freeze({ bidOffset: 0, askOffset: 1, market: 2, width: 3 }),
  /**
   * A packed book (predict's staging, predictBatch's columns, a BookBatch slot): four blocks of
   * `levels` values in this order; its level counts are (bids, asks) pairs.
   */
  packedBook: Object.freeze({ bidPx: 0, bidSz: 1, askPx: 2, askSz: 3, blocks: 4 }),
  packedCounts: Object.freeze({ bids: 0, asks: 1, width: 2 }),
});

/** A bound as an inclusive range, with its default where the option has one. */
interface Range {
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}

const range = (min: number, max: number, defaultValue?: number): Range =>
  Object.freeze(defaultValue === undefined ? { min, max } : { min, max, default: defaultValue });

/** Bounds lib checks (and native checks again), and the defaults that go with them. */
export const LIMITS = Object.freeze({
  /** Level counts of one book side native code accepts (engine_wrap / stream_wrap kMaxBookLevels). */
  maxBookLevels: 2 ** 24,
  /** Levels per side of a BookBatch slot (a model's depth); lib's bound only. */
  maxBatchLevels: 2 ** 16,
  /** Books of one predictBatch call (its native count is an int32). */
  maxBatchBooks: 2 ** 30,
  /** Slots of one BookBatch. */
  maxBatchCapacity: 2 ** 24,
  /** Bytes of a model file. */
  maxModelBytes: 2 ** 31 - 1,
  /** createEngine threads (CPU: predictBatch threads; CUDA: host threads that stage a batch); lib's bound only. */
  engineThreads: range(1, 256, 1),
  /** createEngine's stream options. statsIntervalMs is 0 (off) or within its range. */
  streamMaxBatch: range(1, 4096, 32),
  streamMaxWaitUs: range(0, 1_000_000, 0),
  streamMaxSymbols: range(1, 2 ** 16, 1024),
  streamSpinUs: range(0, 10_000, 0),
  streamStatsIntervalMs: range(10, 3_600_000, 1000),
  /** Dimensions of a Hawkes process (native/core/hawkes/hawkes_model.hpp kMaxDims). */
  maxHawkesDims: 64,
  /** Events of one simulated path unless maxEvents says otherwise. */
  defaultMaxEvents: 10_000_000,
  /** Events stored over all paths of one simulation unless maxStoredEvents says otherwise. */
  defaultMaxStoredEvents: 2 ** 28,
  /** Native threads of a simulation or backtest (default: available parallelism, at most one per path). */
  simulationThreads: range(1, 1024),
  /** Paths of one simulation or backtest. */
  maxPaths: 2 ** 40,
  /** Jump location and scale, ticks (native/core/backtest/backtest.hpp kMaxJumpTicks). */
  maxJumpTicks: 1e6,
  /** |price| in ticks of a LOB model's initial quotes: room for every jump in 64-bit ticks. */
  maxPriceTicks: 2 ** 52,
  /** Steps of a backtest path: ceil(horizon / dt - stepTolerance), at least 1. */
  maxSteps: 1e9,
  stepTolerance: 1e-9,
  /** Points of a backtest's pnlOverTime. */
  timeGrid: range(0, 100_000, 100),
  /** A backtest's inventory limit c. */
  inventoryLimit: range(1, 1e15, 10),
  /** Bytes of a policy file read from a path (8 layers of 256 x 256 float64 weights are about 4 MiB). */
  maxPolicyBytes: 64 * 1024 * 1024,
});

export type Layouts = typeof LAYOUTS;
export type Limits = typeof LIMITS;

/**
 * The record layouts JS reads from (or writes into) arrays the addon fills, and the bounds lib
 * checks before native code checks them again. Each value mirrors one in native/core (limits.hpp,
 * layouts.hpp), under the name the addon's constants() gives it: test/05.native-constants compares
 * LAYOUTS and LIMITS with constants() key for key. Bounds and defaults that are lib's alone (no
 * native counterpart) are in LIB_LIMITS. Depends on nothing: every other file reads positions and
 * bounds from here.
 */

/** Positions in the Float64Arrays the addon fills (or reads), by record. */
export const LAYOUTS = Object.freeze({
  /**
   * One prediction (prediction_row): logits and probs are 3 values each (down, flat, up); `model`
   * is the serial of the model that made it; a row is `width` values, then the embedding's
   * `embed` values when asked.
   */
  predictionRow: Object.freeze({
    direction: 0, logits: 1, probs: 4, confidence: 7, magnitude: 8, volatility: 9, levelsUsed: 10, model: 11, embedding: 12, width: 12,
  }),
  /** nodeFeatures(): per node (bid 0, ask 0, bid 1, ...), `width` values each. */
  nodeFeatures: Object.freeze({ width: 8 }),
  /**
   * A packed book (predict's staging, predictBatch's columns, a BookBatch slot): `columns` blocks
   * of `levels` values in this order.
   */
  batchBook: Object.freeze({ bidPrice: 0, bidSize: 1, askPrice: 2, askSize: 3, columns: 4 }),
  /** A packed book's level counts, one pair per book. */
  batchCounts: Object.freeze({ bids: 0, asks: 1, width: 2 }),
  /**
   * One streamed book as delivered to JS (stream::record): its header (`mid`: the book's mid price
   * at submit; `slot`: which model answered, streamModelSlot), then the prediction row from `row`
   * on, without the embedding.
   */
  streamRecord: Object.freeze({
    symbol: 0, seq: 1, ts: 2, submitNs: 3, queueNs: 4, computeNs: 5, mid: 6, slot: 7, row: 8, width: 20,
  }),
  /** A stream record's `slot`: the primary model, the A/B split's B, or a shadow. */
  streamModelSlot: Object.freeze({ primary: 0, B: 1, shadow: 2 }),
  /** BookStream.counters(out). */
  streamCounters: Object.freeze({
    submitted: 0, superseded: 1, discarded: 2, queued: 3, inFlight: 4, inDelivery: 5, released: 6, batches: 7, width: 8,
  }),
  /** Shadow.counters(out). */
  shadowCounters: Object.freeze({
    offered: 0, dropped: 1, discarded: 2, queued: 3, delivered: 4, failed: 5, batches: 6, width: 7,
  }),
  /** BookStream.submit()'s second result: the seq of the book it superseded (0: none). */
  streamSubmitOut: Object.freeze({ superseded: 0, width: 1 }),
  /** BookStream.close(): the books it discarded, as (symbol, seq) pairs. */
  streamDiscarded: Object.freeze({ symbol: 0, seq: 1, width: 2 }),
  /**
   * The Hawkes statistics row, sums over paths (hawkes::stats_row): `head` scalars, then `blocks`
   * blocks of D values (one per type); block b's value for type k is at head + b * D + k.
   */
  hawkesStats: Object.freeze({
    events: 0, gaps: 1, gapSum: 2, gapSquares: 3, midChangeSum: 4, midChangeSquares: 5, head: 6,
    countsBlock: 0, countSquaresBlock: 1, terminalIntensityBlock: 2, blocks: 3,
  }),
  /** What a JS strategy callback is handed each step (backtest::callback_state); prices in ticks. */
  backtestCallbackState: Object.freeze({
    path: 0, step: 1, time: 2, inventory: 3, bid: 4, ask: 5, trend: 6, cash: 7, width: 8,
  }),
  /** The callback's decision as handed back: offsets in ticks (NaN: no quote), market > 0 buy, < 0 sell. */
  backtestCallbackAction: Object.freeze({ bidOffset: 0, askOffset: 1, market: 2, width: 3 }),
});

/** A bound as an inclusive range, with its default. */
interface Range {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

const range = (min: number, max: number, defaultValue: number): Range => Object.freeze({ min, max, default: defaultValue });

/** Bounds lib checks that native code checks too (native/core/limits.hpp). */
export const LIMITS = Object.freeze({
  /** Level counts of one book side native code accepts. */
  maxBookLevels: 2 ** 24,
  /** Books of one predictBatch call (its native count is an int32). */
  maxBatchBooks: 2 ** 30,
  /** Slots of one BookBatch. */
  maxBatchCapacity: 2 ** 24,
  /** Levels per side of a BookBatch slot (a model's depth). */
  maxBatchLevels: 2 ** 16,
  /** Bytes of a model file. */
  maxModelBytes: 2 ** 31 - 1,
  /** createEngine threads (CPU: predictBatch threads; CUDA: host threads that stage a batch), from 1. */
  maxEngineThreads: 256,
  /** Seconds one measureCpuPeak call may run (a bench hook: lib/internal.ts). */
  maxPeakSeconds: 10,
  /** createEngine's stream options (statsIntervalMs is lib's alone: LIB_LIMITS). */
  stream: Object.freeze({
    maxBatch: range(1, 4096, 32),
    maxWaitUs: range(0, 1_000_000, 0),
    maxSymbols: range(1, 2 ** 16, 1024),
    spinUs: range(0, 10_000, 0),
    /** stream.drift.windowBooks (0 turns drift off). */
    driftWindowBooks: range(100, 100_000_000, 10_000),
    /** addShadow's queueBooks. */
    shadowQueueBooks: range(1, 2 ** 20, 4096),
  }),
  /** Dimensions of a Hawkes process. */
  maxHawkesDims: 64,
  /** Events of one simulated path unless maxEvents says otherwise. */
  defaultMaxEvents: 10_000_000,
  /** Events stored over all paths of one simulation unless maxStoredEvents says otherwise. */
  defaultMaxStoredEvents: 2 ** 28,
  /** Paths of one simulation or backtest. */
  maxPaths: 2 ** 40,
  /** Seeds, event caps: integers JS numbers hold exactly. */
  maxSafeInteger: Number.MAX_SAFE_INTEGER,
  /** Native threads of a simulation or backtest, from 1 (default: available parallelism, at most one per path). */
  maxSimulationThreads: 1024,
  /** Jump location and scale, ticks. */
  maxJumpTicks: 1e6,
  /** |price| in ticks of a LOB model's initial quotes: room for every jump in 64-bit ticks. */
  maxTicks: 2 ** 52,
  /** Steps of a backtest path: ceil(horizon / dt - stepTolerance), at least 1. */
  maxSteps: 1e9,
  stepTolerance: 1e-9,
  /** Points of a backtest's pnlOverTime, from 0. */
  maxTimeGrid: 100_000,
  /** paths x steps of a recorded backtest (record: true). */
  maxRecordedSteps: 2 ** 22,
  /** A backtest's inventory limit c, from 1. */
  maxInventoryLimit: 1e15,
  /** Bytes of a policy file read from a path (8 layers of 256 x 256 float64 weights are about 4 MiB). */
  maxPolicyBytes: 64 * 1024 * 1024,
  /** Hawkes fit / logLikelihood: an empty stretch at either end of [startTime, endTime] longer than this many mean gaps is refused. */
  maxWindowGapRatio: 1000,
  /** A fitted row is a maximum when every standardised gradient |g| / sqrt(-H_jj) (free, or inward at the bound 0) is at most this... */
  fitKktTolerance: 1e-4,
  /** ...and a further Newton step would gain less than this many nats. */
  fitGainTolerance: 1e-9,
  /** Newton iterations per row before a fit reports converged: false. */
  fitMaxIterations: 500,
  /** Native threads of a fit, from 1. */
  maxFitThreads: 256,
  /** DepthModel: levels tracked a side. */
  maxDepthWindow: 1024,
  /** DepthModel.simulate: a label horizon in events, at most. */
  maxDepthHorizonEvents: 1e9,
  /** DepthModel.simulate: a path's expected events (it keeps them for its labels), at most. */
  maxDepthExpectedEventsPerPath: 1e7,
  /** DepthModel.simulate: bytes of snapshots one call returns, at most. */
  maxDepthOutputBytes: 2 * 1024 ** 3,
  /** trainPolicy: environment steps (and learningStarts, trainFreq, logInterval), from 1. */
  maxSacSteps: 2 ** 40,
  /** trainPolicy: minibatch rows, from 1. */
  maxSacBatch: 2 ** 16,
  /** trainPolicy: replay buffer transitions, from 1. */
  maxSacBuffer: 2 ** 26,
  /** trainPolicy: updates per trainFreq steps, from 0. */
  maxSacGradientSteps: 1000,
  /** trainPolicy: threads of an update (the twin critics side by side), from 1. */
  maxSacThreads: 2,
  /** trainPolicy: hidden layers and their widths (a policy file holds at most 8 layers of 256). */
  maxSacHiddenLayers: 7,
  maxSacHiddenWidth: 256,
  /** trainPolicy: learning rate in (0, max], initial alpha in (0, max], |target entropy| <= max. */
  maxSacLearningRate: 1,
  maxSacInitialAlpha: 1e6,
  maxSacTargetEntropy: 1e6,
  /** trainPolicy: random-action steps that set the z-scores of spread and trend, from 1. */
  maxSacCalibrationSteps: 2 ** 32,
});

/** Bounds and defaults lib applies that native code has no counterpart of (it is handed resolved values). */
export const LIB_LIMITS = Object.freeze({
  /** createEngine threads when none are given (the native default too, but not exported). */
  defaultEngineThreads: 1,
  /** Period of 'stats' events: 0 (off) or within this range. */
  streamStatsIntervalMs: range(10, 3_600_000, 1000),
  /** pnlOverTime points unless timeGrid says otherwise (at most the steps). */
  defaultTimeGrid: 100,
  /** QQ points of a goodness-of-fit test per event type (at most the type's events). */
  hawkesQqPoints: range(2, 10_000, 200),
  /**
   * HawkesIntensity refuses an update after a gap in which the baseline rates alone expect more
   * events than this (a chance of none below e^-745, the smallest float64): times in another unit.
   */
  intensityMaxQuietEvents: 745,
});

export type Layouts = typeof LAYOUTS;
export type Limits = typeof LIMITS;

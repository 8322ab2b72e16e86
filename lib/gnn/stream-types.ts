/**
 * The streaming side's public shapes: createEngine's stream options (and their checks), submit()'s
 * options, the events an engine emits and the stream statistics. Types and option parsing only.
 */
import { describe, type HawkgraphError } from '../errors';
import { LIB_LIMITS, LIMITS } from '../native/layouts';
import { checkKeys, integerOption, numberOption, optionError } from '../options';
import type { Prediction } from './prediction';

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
  /**
   * A/B routing: `{ B: share }` sends a stable share (0..1) of symbols to model B, loaded with
   * `swapModel(model, { slot: 'B' })` (until then B's symbols stay on the primary). A symbol goes
   * to B when a hash of its name (FNV-1a, then a 32-bit mix, as a fraction of 2^32) is below the
   * share: the same symbols in every process and run, and raising the share only adds symbols.
   * Default: no split.
   */
  split?: { B: number };
  /**
   * Input drift against the model's training distribution (its metadata's feature_stats):
   * `{ windowBooks }` (100..1e8, default 10000) books in the sliding window, or false to keep no
   * histograms. Default on when the model has feature_stats. See engine.featureDrift().
   */
  drift?: { windowBooks?: number } | false;
}

export interface SubmitOptions {
  /**
   * The book's timestamp in ms (an exchange time, say). Order flow divides by the gap between a
   * symbol's consecutive timestamps. Default: performance.timeOrigin + performance.now().
   */
  ts?: number;
}


/**
 * Which of the stream's models answered: 'primary' (the engine's model), 'B' (the A/B split's
 * model, StreamOptions.split) or, in a 'shadow' event, the shadow's name.
 */
export type ModelSlot = 'primary' | 'B' | (string & {});

/** A prediction from the stream: predict()'s result (without the embedding) plus where and when. */
export interface PredictionEvent extends Omit<Prediction, 'embedding'> {
  symbol: string;
  /** The value submit() returned for this book. */
  seq: number;
  /** The book's timestamp (SubmitOptions.ts). */
  ts: number;
  /**
   * The book's mid price, (best bid + best ask) / 2, as submitted: what a scorer compares with the
   * symbol's mid some horizon later to label the prediction's outcome.
   */
  mid: number;
  /** The slot of the model that made it ('primary', 'B', or a shadow's name); modelId names the file. */
  model: ModelSlot;
  /** Submit to the start of the book's batch on the inference thread. */
  queueNs: number;
  /** The forward pass of the whole batch. */
  computeNs: number;
  /** Submit to this event being dispatched on the JS thread. */
  latencyNs: number;
}

/** A shadow's prediction: the same fields, `model` being the shadow's name and modelId its file's. */
export type ShadowEvent = PredictionEvent;

/** addShadow()'s options. */
export interface ShadowOptions {
  /** The shadow's name, as its events' `model` ('primary' and 'B' are taken). */
  name: string;
  /** Books queued for its thread at most (1..2^20, default 4096); more are dropped and counted. */
  queueBooks?: number;
  /**
   * Compute only while the primary has no work (from a book's submit until its batch is handed to
   * JS), one book at a time, so the primary and the JS thread keep the cores. Default: true when
   * the process may use fewer than 3 CPUs (os.availableParallelism()), where the JS thread, the
   * primary's thread and the shadow's cannot each have one; false otherwise, where the shadow
   * uses a spare core at any time. A yielding shadow behind a primary that is never idle drops
   * books (dropped.queueFull) rather than slow it.
   */
  yieldToPrimary?: boolean;
}

/** What happened to the books a shadow was handed. offered = predicted + dropped.total + pending. */
export interface ShadowStats {
  name: string;
  modelId: string;
  modelName: string | undefined;
  /** Books the stream's thread handed it (every delivered book of the primary's since it was added). */
  offered: number;
  /** 'shadow' events emitted. */
  predicted: number;
  /** queueFull: its queue was full (it fell behind); closed: queued when it was removed or closed without draining; error: in a failed batch. */
  dropped: { queueFull: number; closed: number; error: number; total: number };
  pending: number;
  batches: number;
}

/** One node feature's drift: the live window against the training distribution. */
export interface FeatureDrift {
  /** The node feature's name (train/'s FEATURE_NAMES). */
  feature: string;
  /** Population stability index over the bins: sum (a - e) ln(a / e), fractions floored at 1e-4. */
  psi: number;
  /** Largest gap between the live and training cumulative fractions at the bin edges (a binned KS statistic: a lower bound of the exact one). */
  ks: number;
  /** Books in the window. */
  windowBooks: number;
  /** Node values in the window (2 x levels used per book). */
  values: number;
  /**
   * Where the bins came from: 'histogram' (the training set's fractions per bin, exact),
   * 'quantiles' (its quantiles: exact for a continuous feature) or 'normal' (only mean and std:
   * bins at mean + k std, k = -2 .. 2 by 0.5, against a normal law: an approximation).
   */
  bins: 'histogram' | 'quantiles' | 'normal';
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
  /** A shadow model's prediction (addShadow). */
  shadow: (event: ShadowEvent) => void;
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
  /** The A/B split's share of symbols on B (0: none). */
  shareB: number;
  /** The drift window in books (0: no drift histograms). */
  driftWindowBooks: number;
}


const STREAM_OPTIONS = new Set(['maxBatch', 'maxWaitUs', 'maxSymbols', 'spinUs', 'statsIntervalMs', 'split', 'drift']);
// Each option's range and default: LIMITS.stream (native checks them again), and statsIntervalMs,
// which is lib's alone (LIB_LIMITS).
const STREAM_LIMITS = { ...LIMITS.stream, statsIntervalMs: LIB_LIMITS.streamStatsIntervalMs } as const;

export const STREAM_DEFAULTS: Readonly<ResolvedStreamOptions> = Object.freeze({
  maxBatch: STREAM_LIMITS.maxBatch.default,
  maxWaitUs: STREAM_LIMITS.maxWaitUs.default,
  maxSymbols: STREAM_LIMITS.maxSymbols.default,
  spinUs: STREAM_LIMITS.spinUs.default,
  statsIntervalMs: STREAM_LIMITS.statsIntervalMs.default,
  shareB: 0,
  driftWindowBooks: STREAM_LIMITS.driftWindowBooks.default,
});

/** A share of symbols for model B: a number in [0, 1]. */
export function resolveShare(v: unknown, field: string): number {
  return numberOption(v, field, 0, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
}

/** `{ B: share }`, as stream.split and setSplit() take it. */
export function resolveSplit(v: unknown, field: string): number {
  if (v === undefined) return 0;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) optionError(`${field} must be { B: share }, got ${describe(v)}`);
  checkKeys(v, new Set(['B']), `${field} key`);
  const share = (v as { B?: unknown }).B;
  if (share === undefined) optionError(`${field}.B must be a number in [0, 1], got undefined`);
  return resolveShare(share, `${field}.B`);
}

function resolveDrift(v: unknown): number {
  if (v === undefined) return STREAM_DEFAULTS.driftWindowBooks;
  if (v === false) return 0;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    optionError(`stream.drift must be { windowBooks } or false, got ${describe(v)}`);
  }
  checkKeys(v, new Set(['windowBooks']), 'stream.drift option');
  const { min, max, default: fallback } = STREAM_LIMITS.driftWindowBooks;
  return integerOption((v as { windowBooks?: unknown }).windowBooks, 'stream.drift.windowBooks', fallback, min, max);
}

type IntegerStreamOption = 'maxBatch' | 'maxWaitUs' | 'maxSymbols' | 'spinUs' | 'statsIntervalMs';

function streamOption(o: Record<string, unknown>, key: IntegerStreamOption, lo = STREAM_LIMITS[key].min): number {
  return integerOption(o[key], `stream.${key}`, STREAM_DEFAULTS[key], lo, STREAM_LIMITS[key].max);
}

/** Validates createEngine's `stream` option (ERR_INVALID_OPTION). */
export function resolveStreamOptions(options: unknown): ResolvedStreamOptions {
  if (options === undefined) return { ...STREAM_DEFAULTS };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    optionError(`stream must be an options object, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  checkKeys(o, STREAM_OPTIONS, 'stream option');
  // 0 turns stats events off; any other period is at least the range's minimum.
  const statsIntervalMs = streamOption(o, 'statsIntervalMs', 0);
  if (statsIntervalMs !== 0 && statsIntervalMs < STREAM_LIMITS.statsIntervalMs.min) {
    optionError(`stream.statsIntervalMs must be 0 (off) or at least ${STREAM_LIMITS.statsIntervalMs.min}, got ${statsIntervalMs}`);
  }
  return {
    maxBatch: streamOption(o, 'maxBatch'),
    maxWaitUs: streamOption(o, 'maxWaitUs'),
    maxSymbols: streamOption(o, 'maxSymbols'),
    spinUs: streamOption(o, 'spinUs'),
    statsIntervalMs,
    shareB: resolveSplit(o.split, 'stream.split'),
    driftWindowBooks: resolveDrift(o.drift),
  };
}

/**
 * The streaming side's public shapes: createEngine's stream options (and their checks), submit()'s
 * options, the events an engine emits and the stream statistics. Types and option parsing only.
 */
import { describe, type HawkgraphError } from '../errors';
import { LIB_LIMITS, LIMITS } from '../native/layouts';
import { checkKeys, integerOption, optionError } from '../options';
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
// Each option's range and default: LIMITS.stream (native checks them again), and statsIntervalMs,
// which is lib's alone (LIB_LIMITS).
const STREAM_LIMITS = { ...LIMITS.stream, statsIntervalMs: LIB_LIMITS.streamStatsIntervalMs } as const;

export const STREAM_DEFAULTS: Readonly<ResolvedStreamOptions> = Object.freeze({
  maxBatch: STREAM_LIMITS.maxBatch.default,
  maxWaitUs: STREAM_LIMITS.maxWaitUs.default,
  maxSymbols: STREAM_LIMITS.maxSymbols.default,
  spinUs: STREAM_LIMITS.spinUs.default,
  statsIntervalMs: STREAM_LIMITS.statsIntervalMs.default,
});

function streamOption(o: Record<string, unknown>, key: keyof ResolvedStreamOptions, lo = STREAM_LIMITS[key].min): number {
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
  };
}

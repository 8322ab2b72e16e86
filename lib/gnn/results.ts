/**
 * predictBatch()'s results (struct-of-arrays) and the `into` objects predict() and predictBatch()
 * fill: which arrays a result can reuse, and the checks that refuse one that cannot be filled
 * before native code writes anything.
 */
import { HawkgraphError, describe, unreadable } from '../errors';
import type { NativeBatchColumns } from '../native';
import type { Prediction } from './prediction';

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
  /** The model that made every result of this call (a swap takes effect between calls). */
  modelId: string;
  modelName: string | undefined;
}

export interface BatchOptions {
  /** Also return the embeddings. */
  embedding?: boolean;
  /**
   * Fill this result (from an earlier predictBatch) instead of allocating one. Its arrays are
   * reused while they hold `count` books and replaced by larger ones otherwise; entries past
   * `count` keep their old values. Left untouched when the call throws, with one exception: after
   * an ERR_CUDA failure without `cuda.fallback: 'cpu'` in a batch of more than 16384 books, its
   * embedding may hold the results of the books before the failure.
   */
  into?: BatchPrediction;
}

// Assigns each field of `o` to itself: in strict code that throws where a field is read-only
// (a frozen result) or a getter or trap throws, so a result that cannot be filled is refused
// before anything is written into it.
function assignEachToItself(o: object, keys: readonly string[]): void {
  const fields = o as Record<string, unknown>;
  for (const key of keys) fields[key] = fields[key];
}

// The fields predict() writes into `into` (and one element of each of its arrays).
const PREDICTION_FIELDS = ['direction', 'probs', 'logits', 'confidence', 'magnitude', 'volatility', 'levelsUsed', 'embedding', 'modelId', 'modelName'] as const;

export function checkPredictInto(into: Prediction): void {
  if (into === null || typeof into !== 'object' || !Array.isArray(into.probs) || !Array.isArray(into.logits)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `into must be a result of predict(), got ${describe(into)}`);
  }
  assignEachToItself(into, PREDICTION_FIELDS);
  assignEachToItself(into.probs, ['0']);
  assignEachToItself(into.logits, ['0']);
}

// The fields predictBatch writes into a result.
const RESULT_FIELDS = ['count', 'direction', 'probs', 'logits', 'confidence', 'magnitude', 'volatility', 'levelsUsed', 'embedding', 'modelId', 'modelName'] as const;

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
export function nameBatchSlot(err: unknown): unknown {
  if (err instanceof HawkgraphError && err.message.startsWith('books[')) {
    const message = `batch${err.message.slice('books'.length)}`;
    if (err.stack !== undefined) err.stack = err.stack.replace(err.message, message);
    err.message = message;
  }
  return err;
}


/** Refuses (ERR_INVALID_OPTION) an `into` that is not a result of predictBatch. */
export function checkBatchInto(into: BatchPrediction | undefined): void {
  if (into !== undefined && (into === null || typeof into !== 'object')) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `into must be a result of predictBatch, got ${describe(into)}`);
  }
}

/**
 * The arrays native predictBatch fills for n books (embed values each when `embedding`): `into`
 * itself when all of its arrays fit (the steady state of a loop: nothing allocated), else a new
 * set that reuses those that do. The native call writes into them directly; `into` takes them
 * only after it succeeds. An `into` that cannot be filled is refused first (ERR_INVALID_OPTION).
 */
export function resultColumns(n: number, embed: number, embedding: boolean, into: BatchPrediction | undefined): NativeBatchColumns {
  if (into === undefined) return batchColumns(n, embed, embedding, undefined);
  try {
    assignEachToItself(into, RESULT_FIELDS);
    return batchColumns(n, embed, embedding, into);
  } catch (err) {
    throw unreadable('ERR_INVALID_OPTION', 'into (a writable result of predictBatch)', err);
  }
}

function batchColumns(n: number, E: number, embedding: boolean, into: BatchPrediction | undefined): NativeBatchColumns {
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

/**
 * What one prediction is, and how it is read from the row of doubles the native engine writes
 * per book (LAYOUTS.predictionRow). predict(), predictBatch() and the stream all read rows here.
 */
import { LAYOUTS } from '../native/layouts';

export const DIRECTIONS = ['down', 'flat', 'up'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export interface Prediction {
  direction: Direction;
  /** Softmax of the logits, in the order down, flat, up. */
  probs: [down: number, flat: number, up: number];
  logits: [down: number, flat: number, up: number];
  /** The largest probability. */
  confidence: number;
  /** sigmoid(magnitude head), in (0, 1). */
  magnitude: number;
  /** relu(volatility head), >= 0. */
  volatility: number;
  /** min(model levels, bid levels, ask levels). */
  levelsUsed: number;
  /** The model that made it: SHA-256 (hex) of its file's bytes, as engine.info.modelId. */
  modelId: string;
  /** That model's metadata `name`; undefined when its file has none. */
  modelName: string | undefined;
  /** The LayerNorm output the heads read (embed values), when requested. */
  embedding?: Float32Array;
}

export interface PredictOptions {
  /** Also return the embedding. */
  embedding?: boolean;
  /** Fill this object (from an earlier predict) instead of allocating a new one. */
  into?: Prediction;
}

// Module constants, read once: the hot path reads no layout object per call.
const {
  direction: ROW_DIRECTION, logits: ROW_LOGITS, probs: ROW_PROBS, confidence: ROW_CONFIDENCE,
  magnitude: ROW_MAGNITUDE, volatility: ROW_VOLATILITY, levelsUsed: ROW_LEVELS, model: ROW_MODEL,
} = LAYOUTS.predictionRow;

/** A model as predictions name it. */
export interface ModelRef {
  /** SHA-256 (hex) of the model file's bytes. */
  modelId: string;
  /** The file's metadata `name`, when it has one. */
  modelName: string | undefined;
}

/** Finds the model a row's serial (LAYOUTS.predictionRow.model) names. */
export type ModelLookup = (serial: number) => ModelRef;

/** The serial of the model that wrote the row at `at`. */
export function rowModelSerial(rows: Float64Array, at: number): number {
  return rows[at + ROW_MODEL];
}

/** Where a row's embedding starts. */
export const ROW_EMBEDDING = LAYOUTS.predictionRow.embedding;

/**
 * Copies the row at `at` into `out` (everything but the embedding and the model, which the
 * caller names from rowModelSerial), reusing its arrays.
 */
export function readPredictionRow(rows: Float64Array, at: number, out: Omit<Prediction, 'embedding'>): void {
  out.direction = DIRECTIONS[rows[at + ROW_DIRECTION]];
  out.probs[0] = rows[at + ROW_PROBS];
  out.probs[1] = rows[at + ROW_PROBS + 1];
  out.probs[2] = rows[at + ROW_PROBS + 2];
  out.logits[0] = rows[at + ROW_LOGITS];
  out.logits[1] = rows[at + ROW_LOGITS + 1];
  out.logits[2] = rows[at + ROW_LOGITS + 2];
  out.confidence = rows[at + ROW_CONFIDENCE];
  out.magnitude = rows[at + ROW_MAGNITUDE];
  out.volatility = rows[at + ROW_VOLATILITY];
  out.levelsUsed = rows[at + ROW_LEVELS];
}

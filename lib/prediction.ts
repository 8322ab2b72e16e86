/**
 * What one prediction is, and how the native engine lays it out: a row of doubles per book
 * (native/core/gnn_engine.hpp, prediction_row). predict(), predictBatch() and the stream all
 * read rows through these constants.
 */
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
  /** The LayerNorm output the heads read (embed values), when requested. */
  embedding?: Float32Array;
}

export const ROW_DIRECTION = 0;
export const ROW_LOGITS = 1;
export const ROW_PROBS = 4;
export const ROW_CONFIDENCE = 7;
export const ROW_MAGNITUDE = 8;
export const ROW_VOLATILITY = 9;
export const ROW_LEVELS = 10;
export const ROW_EMBEDDING = 11;

/** Copies the row at `at` into `out` (everything but the embedding), reusing its arrays. */
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

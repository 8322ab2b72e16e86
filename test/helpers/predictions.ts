import { expect } from 'vitest';

import { DIRECTIONS, type BatchPrediction, type Book, type Engine } from '../../dist/index.js';

// Book k of a predictBatch `result` equals engine.predict(book), bit for bit (toEqual on numbers
// is Object.is); the embedding too when the result has one.
export function expectSameAsPredict(engine: Engine, result: BatchPrediction, k: number, book: Book): void {
  const p = engine.predict(book, { embedding: true });
  expect(DIRECTIONS[result.direction[k]]).toBe(p.direction);
  expect(Array.from(result.probs.subarray(3 * k, 3 * k + 3))).toEqual(p.probs);
  expect(Array.from(result.logits.subarray(3 * k, 3 * k + 3))).toEqual(p.logits);
  expect(result.confidence[k]).toBe(p.confidence);
  expect(result.magnitude[k]).toBe(p.magnitude);
  expect(result.volatility[k]).toBe(p.volatility);
  expect(result.levelsUsed[k]).toBe(p.levelsUsed);
  if (result.embedding) {
    const E = engine.info.embed;
    expect(result.embedding.subarray(E * k, E * k + E)).toEqual(p.embedding);
  }
}

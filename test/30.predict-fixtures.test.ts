import { afterAll, describe, expect, it } from 'vitest';

import { DIRECTIONS, HawkgraphError, createEngine } from '../dist/index.js';
import { loadCases, maxAbsDiff, modelPath, softmax, typed, type Mode } from './helpers/fixtures';
import { expectSameAsPredict } from './helpers/predictions';

const FP32_TOLERANCE = 1e-4;

describe.each<Mode>(['pooled', 'levels'])('fp32 CPU predictions match PyTorch (%s fixture)', (mode) => {
  const engine = createEngine({ model: modelPath(mode), backend: 'cpu' });
  const cases = loadCases(mode);
  afterAll(() => engine.close());

  it('reports the sizes read from the file', () => {
    expect(engine.info).toMatchObject({ backend: 'cpu', precision: 'fp32', levels: 20, hidden: 128, embed: 64, heads: 4, attention: mode });
  });

  it('matches every output of all 64 cases within 1e-4', () => {
    expect(cases).toHaveLength(64);
    let worst = 0;
    cases.forEach((c) => {
      const p = engine.predict({ bids: c.bids, asks: c.asks }, { embedding: true });
      const probs = softmax(c.expected.direction);
      worst = Math.max(
        worst,
        maxAbsDiff(p.logits, c.expected.direction),
        maxAbsDiff(p.probs, probs),
        Math.abs(p.magnitude - c.expected.magnitude[0]),
        Math.abs(p.volatility - c.expected.volatility[0]),
        maxAbsDiff(p.embedding!, c.expected.embeddings),
        Math.abs(p.confidence - Math.max(...probs)),
      );
      const top = c.expected.direction.indexOf(Math.max(...c.expected.direction));
      expect(p.direction).toBe(DIRECTIONS[top]);
      expect(p.levelsUsed).toBe(20);
    });
    expect(worst).toBeLessThan(FP32_TOLERANCE);
  });

  it('gives bit-identical results on repeated calls', () => {
    const book = { bids: cases[3].bids, asks: cases[3].asks };
    const first = engine.predict(book, { embedding: true });
    for (let i = 0; i < 50; i++) {
      const again = engine.predict(book, { embedding: true });
      expect(again).toEqual(first);
    }
  });

  it('gives identical results for typed-array and nested-array books', () => {
    for (const c of cases.slice(0, 16)) {
      const nested = engine.predict({ bids: c.bids, asks: c.asks }, { embedding: true });
      const fromTyped = engine.predict(typed(c), { embedding: true });
      expect(fromTyped).toEqual(nested);
    }
  });

  it('predictBatch equals a loop of predict, for mixed book forms', () => {
    const books = cases.map((c, i) => (i % 2 ? typed(c) : { bids: c.bids, asks: c.asks }));
    const batch = engine.predictBatch(books, { embedding: true });
    expect(batch.count).toBe(64);
    expect(batch.embedding).toHaveLength(64 * 64);
    books.forEach((b, k) => expectSameAsPredict(engine, batch, k, b));
  });

  it('fills a caller-owned result object in place with `into`', () => {
    const c = cases[5];
    const target = engine.predict({ bids: cases[0].bids, asks: cases[0].asks }, { embedding: true });
    const { probs, logits, embedding } = target;
    const returned = engine.predict({ bids: c.bids, asks: c.asks }, { into: target, embedding: true });
    expect(returned).toBe(target);
    expect(target.probs).toBe(probs);
    expect(target.logits).toBe(logits);
    expect(target.embedding).toBe(embedding);
    expect(target).toEqual(engine.predict({ bids: c.bids, asks: c.asks }, { embedding: true }));
  });
});

describe('batch edge cases', () => {
  const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
  const cases = loadCases('pooled');
  afterAll(() => engine.close());

  it('returns empty arrays for an empty batch', () => {
    const r = engine.predictBatch([]);
    expect(r.count).toBe(0);
    expect(r.probs).toHaveLength(0);
  });

  it('grows its buffers for a batch larger than any before and stays correct', () => {
    const books = Array.from({ length: 300 }, (_, i) => ({ bids: cases[i % 64].bids, asks: cases[i % 64].asks }));
    const r = engine.predictBatch(books);
    const p = engine.predict(books[299]);
    expect(Array.from(r.logits.subarray(3 * 299))).toEqual(p.logits);
  });

  it('refuses a batch with one bad book, naming its index, and computes nothing', () => {
    const books = [{ bids: cases[0].bids, asks: cases[0].asks }, { bids: [[10, 1]], asks: [[9, 1]] }];
    expect(() => engine.predictBatch(books)).toThrowError(HawkgraphError);
    try {
      engine.predictBatch(books);
    } catch (e) {
      expect((e as HawkgraphError).code).toBe('ERR_BOOK_CROSSED');
      expect((e as HawkgraphError).message).toMatch(/^books\[1\]/);
    }
    expect(engine.predictBatch(books.slice(0, 1)).count).toBe(1);
  });

  it('refuses a non-array batch', () => {
    expect(() => engine.predictBatch(42 as never)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

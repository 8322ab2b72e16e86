import { afterAll, describe, expect, it } from 'vitest';

import { HawkgraphError, createEngine } from '../dist/index.js';
import { loadCases, maxAbsDiff, modelPath, typed } from './helpers/fixtures';
import { randomBook, referenceFeatures } from './helpers/reference-model';

const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
const cases = loadCases('pooled');
const good = { bids: cases[0].bids, asks: cases[0].asks };
const reference = engine.predict(good, { embedding: true });
afterAll(() => engine.close());

function refusal(book: unknown): HawkgraphError {
  try {
    engine.predict(book as never);
  } catch (e) {
    expect(e).toBeInstanceOf(HawkgraphError);
    return e as HawkgraphError;
  }
  throw new Error('book was accepted');
}

const withBid = (i: number, level: unknown) => ({ bids: good.bids.map((l, k) => (k === i ? level : l)), asks: good.asks });
const withAsk = (i: number, level: unknown) => ({ bids: good.bids, asks: good.asks.map((l, k) => (k === i ? level : l)) });
const [p0, s0] = good.bids[0];
const [a0] = good.asks[0];

describe('node features match the fixtures', () => {
  it.each(['pooled', 'levels'] as const)('within 1e-9 for all 64 %s cases, nested and typed', (mode) => {
    for (const c of loadCases(mode)) {
      const expected = c.features.flat();
      expect(maxAbsDiff(engine.features({ bids: c.bids, asks: c.asks }), expected)).toBeLessThan(1e-9);
      expect(maxAbsDiff(engine.features(typed(c)), expected)).toBeLessThan(1e-9);
    }
  });

  it('build a shallower book on the levels it has (independent computation)', () => {
    for (const [nb, na] of [[3, 7], [20, 1], [1, 1], [8, 25]]) {
      const book = randomBook(nb, na, nb * 31 + na);
      const expected = referenceFeatures(book.bids, book.asks, 20).flat();
      const got = engine.features(book);
      expect(got.length).toBe(16 * Math.min(20, nb, na));
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-12);
    }
  });
});

describe('bad books are refused with a coded error naming the field', () => {
  const bad: Array<[string, unknown, string, RegExp]> = [
    ['NaN price', withBid(2, [NaN, 1]), 'ERR_BOOK_NONFINITE', /bids\[2\]\.price.*NaN/],
    ['Infinite size', withAsk(4, [good.asks[4][0], Infinity]), 'ERR_BOOK_NONFINITE', /asks\[4\]\.size.*Infinity/],
    ['zero size', withBid(0, [p0, 0]), 'ERR_BOOK_NONPOSITIVE', /bids\[0\]\.size.*> 0.*got 0/],
    ['negative size', withAsk(1, [good.asks[1][0], -2]), 'ERR_BOOK_NONPOSITIVE', /asks\[1\]\.size.*-2/],
    ['negative price', { bids: [[-1, 1]], asks: [[1, 1]] }, 'ERR_BOOK_NONPOSITIVE', /bids\[0\]\.price/],
    ['zero price', { bids: [[0, 1]], asks: [[1, 1]] }, 'ERR_BOOK_NONPOSITIVE', /bids\[0\]\.price/],
    ['bids not strictly decreasing', withBid(3, [good.bids[2][0], 1]), 'ERR_BOOK_ORDER', /bids\[3\]\.price.*strictly below/],
    ['asks not strictly increasing', withAsk(5, [good.asks[3][0], 1]), 'ERR_BOOK_ORDER', /asks\[5\]\.price.*strictly above/],
    ['a crossed book', withBid(0, [a0 + 1, s0]), 'ERR_BOOK_CROSSED', /crossed/],
    ['a locked book', withBid(0, [a0, s0]), 'ERR_BOOK_CROSSED', /locked/],
    ['no bids', { bids: [], asks: good.asks }, 'ERR_BOOK_EMPTY', /bids/],
    ['no asks', { bids: good.bids, asks: [] }, 'ERR_BOOK_EMPTY', /asks/],
    ['a string price', withBid(1, ['101.5', 1]), 'ERR_BOOK_TYPE', /bids\[1\]/],
    ['a level that is not a pair', withAsk(0, [a0]), 'ERR_BOOK_TYPE', /asks\[0\]/],
    ['a level that is an object', withAsk(0, { price: a0, size: 1 }), 'ERR_BOOK_TYPE', /asks\[0\]/],
    ['null', null, 'ERR_BOOK_TYPE', /book/],
    ['a number', 42, 'ERR_BOOK_TYPE', /book/],
    ['an object without sides', { buys: [] }, 'ERR_BOOK_TYPE', /bids, asks/],
    ['bids that are not an array', { bids: 'x', asks: good.asks }, 'ERR_BOOK_TYPE', /book/],
    ['typed columns of different lengths', { ...typed(good), bidSz: new Float64Array(3) }, 'ERR_BOOK_LENGTH', /bidPx.*bidSz/],
    ['a Float32Array column', { ...typed(good), askPx: new Float32Array(20) }, 'ERR_BOOK_TYPE', /askPx.*Float64Array/],
    ['typed NaN', (() => { const t = typed(good); t.askSz[7] = NaN; return t; })(), 'ERR_BOOK_NONFINITE', /asks\[7\]\.size/],
  ];

  // The check runs two levels at a time with a scalar tail: every bad value, at every position of
  // sides of 1 to 5 levels (odd and even), on either side, must be found and named.
  it('finds a bad value or order at every position of 1- to 5-level sides', () => {
    const side = (n: number, from: number, step: number) => Array.from({ length: n }, (_, i) => [from + step * i, 1 + i]);
    const values: Array<[number, string]> = [[NaN, 'ERR_BOOK_NONFINITE'], [Infinity, 'ERR_BOOK_NONFINITE'], [-Infinity, 'ERR_BOOK_NONFINITE'], [0, 'ERR_BOOK_NONPOSITIVE'], [-3, 'ERR_BOOK_NONPOSITIVE']];
    for (let n = 1; n <= 5; n++) {
      for (const which of ['bids', 'asks'] as const) {
        for (let i = 0; i < n; i++) {
          for (const field of [0, 1]) {
            for (const [value, code] of values) {
              const book = { bids: side(n, 100, -1), asks: side(n, 101, 1) };
              book[which][i][field] = value;
              const err = refusal(book);
              expect(err.code, `${which}[${i}] ${field ? 'size' : 'price'} = ${value}, ${n} levels`).toBe(code);
              expect(err.message).toContain(`${which}[${i}].${field ? 'size' : 'price'}`);
            }
          }
          if (i > 0) {
            const book = { bids: side(n, 100, -1), asks: side(n, 101, 1) };
            book[which][i][0] = book[which][i - 1][0];  // equal to the level before: not strict
            const err = refusal(book);
            expect(err.code, `${which}[${i}] repeats a price, ${n} levels`).toBe('ERR_BOOK_ORDER');
            expect(err.message).toContain(`${which}[${i}].price`);
          }
        }
      }
    }
    expect(engine.predict(good, { embedding: true })).toEqual(reference);
  });

  it.each(bad)('refuses %s and stays usable', (_name, book, code, message) => {
    const err = refusal(book);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(engine.predict(good, { embedding: true })).toEqual(reference);
  });

  it('refuses the same books in features() and predictBatch()', () => {
    for (const [, book, code] of bad) {
      expect(() => engine.features(book as never)).toThrowError(expect.objectContaining({ code }));
      expect(() => engine.predictBatch([good, book as never])).toThrowError(expect.objectContaining({ code }));
    }
  });

  it('ignores levels deeper than the model reads', () => {
    const deep = { bids: [...good.bids, [1e-300, NaN]], asks: [...good.asks, ['junk', -1]] };
    expect(engine.predict(deep as never, { embedding: true })).toEqual(reference);
  });
});

describe('engine lifecycle and options', () => {
  it('refuses every call after close(), and close() is idempotent', () => {
    const e = createEngine({ model: modelPath('levels') });
    e.close();
    e.close();
    expect(e.closed).toBe(true);
    for (const call of [() => e.predict(good), () => e.predictBatch([good]), () => e.features(good)]) {
      expect(call).toThrowError(expect.objectContaining({ code: 'ERR_ENGINE_CLOSED' }));
    }
  });

  it('refuses unknown options, backends and precisions with ERR_INVALID_OPTION', () => {
    const model = modelPath('pooled');
    expect(() => createEngine({ model, backnd: 'cpu' } as never)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/backnd/) }));
    expect(() => createEngine({ model, backend: 'tpu' as never })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/tpu/) }));
    expect(() => createEngine({ model, precision: 'int8' as never })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/int8/) }));
    expect(() => createEngine(undefined as never)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

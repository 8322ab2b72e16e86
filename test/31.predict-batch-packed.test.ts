// predictBatch over a BookBatch (engine.createBatch): books held in the engine's packed columns and
// read in place. Results must equal predict() bit for bit; refusals carry predict()'s codes, name
// the slot and leave the batch, the result and the engine as they were.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { BookBatch, HawkgraphError, createEngine, type BatchPrediction } from '../dist/index.js';
import { refused } from './helpers/errors';
import { loadCases, modelPath, typed, type FixtureCase, type Mode } from './helpers/fixtures';
import { expectSameAsPredict } from './helpers/predictions';
import { randomBook, randomModel, toSafetensors } from './helpers/reference-model';
import { writeSafetensors } from './helpers/safetensors';

type NestedBook = { bids: number[][]; asks: number[][] };

const nested = (c: { bids: number[][]; asks: number[][] }): NestedBook => ({ bids: c.bids, asks: c.asks });

// Writes a nested book straight into slot i's column views, as a bot holding typed columns would.
function writeSlot(batch: BookBatch, i: number, book: NestedBook): void {
  const s = batch.slot(i);
  const nb = Math.min(book.bids.length, batch.levels);
  const na = Math.min(book.asks.length, batch.levels);
  for (let j = 0; j < nb; j++) {
    s.bidPx[j] = book.bids[j][0];
    s.bidSz[j] = book.bids[j][1];
  }
  for (let j = 0; j < na; j++) {
    s.askPx[j] = book.asks[j][0];
    s.askSz[j] = book.asks[j][1];
  }
  batch.setCounts(i, nb, na);
}

// Everything a refused call must leave as it was.
function snapshot(batch: BookBatch) {
  return { length: batch.length, columns: batch.columns.slice(), counts: batch.counts.slice() };
}

describe.each<Mode>(['pooled', 'levels'])('a BookBatch gives predict()\'s results bit for bit (%s fixture)', (mode) => {
  const engine = createEngine({ model: modelPath(mode), backend: 'cpu' });
  const cases = loadCases(mode);
  afterAll(() => engine.close());

  it('takes its depth from the model and starts empty', () => {
    const batch = engine.createBatch(64);
    expect(batch).toBeInstanceOf(BookBatch);
    expect(batch).toMatchObject({ capacity: 64, levels: 20, stride: 80, length: 0 });
    expect(batch.columns).toHaveLength(64 * 80);
    expect(batch.counts).toHaveLength(128);
  });

  it('set() with nested books: all 64 cases, with embeddings', () => {
    const batch = engine.createBatch(64);
    cases.forEach((c, i) => batch.set(i, nested(c)));
    expect(batch.length).toBe(64);
    const r = engine.predictBatch(batch, { embedding: true });
    expect(r.count).toBe(64);
    cases.forEach((c, k) => expectSameAsPredict(engine, r, k, nested(c)));
  });

  it('set() with typed books and push() give the same results', () => {
    const batch = engine.createBatch(64);
    cases.forEach((c) => batch.push(typed(c)));
    const r = engine.predictBatch(batch, { embedding: true });
    cases.forEach((c, k) => expectSameAsPredict(engine, r, k, nested(c)));
  });

  it('levels written into slot() views and columns directly, then setCounts()', () => {
    const batch = engine.createBatch(64);
    cases.forEach((c, i) => {
      if (i % 2) {
        writeSlot(batch, i, nested(c));
      } else {
        // The documented layout: bid prices, bid sizes, ask prices, ask sizes from i * stride.
        const at = i * batch.stride;
        const L = batch.levels;
        for (let j = 0; j < L; j++) {
          batch.columns[at + j] = c.bids[j][0];
          batch.columns[at + L + j] = c.bids[j][1];
          batch.columns[at + 2 * L + j] = c.asks[j][0];
          batch.columns[at + 3 * L + j] = c.asks[j][1];
        }
        batch.setCounts(i, L, L);
      }
    });
    const r = engine.predictBatch(batch, { embedding: true });
    cases.forEach((c, k) => expectSameAsPredict(engine, r, k, nested(c)));
  });

  it('equals predictBatch of the same books as an array', () => {
    const batch = engine.createBatch(64);
    cases.forEach((c, i) => batch.set(i, nested(c)));
    expect(engine.predictBatch(batch, { embedding: true })).toEqual(engine.predictBatch(cases.map(nested), { embedding: true }));
  });

  it('reads the books in place: a slot rewritten between calls gives the new book\'s result', () => {
    const batch = engine.createBatch(4);
    for (let i = 0; i < 4; i++) batch.set(i, nested(cases[i]));
    const first = engine.predictBatch(batch);
    writeSlot(batch, 2, nested(cases[40]));
    const second = engine.predictBatch(batch);
    expectSameAsPredict(engine, second, 2, nested(cases[40]));
    expect(Array.from(second.logits.subarray(0, 6))).toEqual(Array.from(first.logits.subarray(0, 6)));
  });
});

describe('capacity, length and partial fills', () => {
  const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
  const cases = loadCases('pooled');
  afterAll(() => engine.close());

  it('capacity 0: an empty result; no slot can be written', () => {
    const batch = engine.createBatch(0);
    const r = engine.predictBatch(batch);
    expect(r.count).toBe(0);
    expect(r.probs).toHaveLength(0);
    refused(() => batch.set(0, nested(cases[0])), 'ERR_INVALID_ARGUMENT', /batch index .* capacity 0, got 0/);
    refused(() => batch.push(nested(cases[0])), 'ERR_INVALID_ARGUMENT', /batch is full/);
    refused(() => (batch.length = 1), 'ERR_INVALID_ARGUMENT', /batch length .* capacity 0, got 1/);
  });

  it('capacity 1', () => {
    const batch = engine.createBatch(1);
    batch.push(nested(cases[9]));
    const r = engine.predictBatch(batch, { embedding: true });
    expect(r.count).toBe(1);
    expectSameAsPredict(engine, r, 0, nested(cases[9]));
    refused(() => batch.push(nested(cases[0])), 'ERR_INVALID_ARGUMENT', /full: it holds 1 books/);
  });

  it('filled to capacity; slot capacity + 1 is refused', () => {
    const n = 300;
    const batch = engine.createBatch(n);
    for (let i = 0; i < n; i++) batch.set(i, nested(cases[i % 64]));
    const r = engine.predictBatch(batch);
    expect(r.count).toBe(n);
    expectSameAsPredict(engine, r, n - 1, nested(cases[(n - 1) % 64]));
    refused(() => batch.set(n, nested(cases[0])), 'ERR_INVALID_ARGUMENT', /below the batch's capacity 300, got 300/);
    refused(() => batch.setCounts(n, 20, 20), 'ERR_INVALID_ARGUMENT', /got 300/);
    refused(() => batch.slot(n), 'ERR_INVALID_ARGUMENT', /got 300/);
    refused(() => batch.push(nested(cases[0])), 'ERR_INVALID_ARGUMENT', /full/);
    refused(() => (batch.length = n + 1), 'ERR_INVALID_ARGUMENT', /capacity 300, got 301/);
    expect(batch.length).toBe(n);
  });

  it('refuses capacities and indexes that are not integers in range', () => {
    for (const bad of [-1, 1.5, NaN, '4', 2 ** 25]) {
      refused(() => engine.createBatch(bad as number), 'ERR_INVALID_ARGUMENT', /capacity must be an integer/);
    }
    const batch = engine.createBatch(4);
    for (const bad of [-1, 0.5, NaN, '1', undefined]) {
      refused(() => batch.set(bad as number, nested(cases[0])), 'ERR_INVALID_ARGUMENT', /batch index must be a non-negative integer/);
    }
  });

  it('a partly filled batch predicts its first `length` books only', () => {
    const batch = engine.createBatch(64);
    for (let i = 0; i < 10; i++) batch.set(i, nested(cases[i]));
    expect(batch.length).toBe(10);
    const r = engine.predictBatch(batch, { embedding: true });
    expect(r.count).toBe(10);
    expect(r.probs).toHaveLength(30);
    for (let k = 0; k < 10; k++) expectSameAsPredict(engine, r, k, nested(cases[k]));
  });

  it('a slot never written inside `length` is refused as an empty book, naming it', () => {
    const batch = engine.createBatch(64);
    for (let i = 0; i < 10; i++) batch.set(i, nested(cases[i]));
    batch.set(20, nested(cases[20]));
    expect(batch.length).toBe(21);
    refused(() => engine.predictBatch(batch), 'ERR_BOOK_EMPTY', /^batch\[10\]: book\.bids is empty/);
    batch.length = 10;
    expect(engine.predictBatch(batch).count).toBe(10);
  });

  it('setting length shrinks or extends what is read; clear() empties every slot', () => {
    const batch = engine.createBatch(8);
    for (let i = 0; i < 8; i++) batch.set(i, nested(cases[i]));
    batch.length = 3;
    expect(engine.predictBatch(batch).count).toBe(3);
    batch.length = 8;
    const r = engine.predictBatch(batch);
    expectSameAsPredict(engine, r, 7, nested(cases[7]));
    batch.clear();
    expect(batch.length).toBe(0);
    expect(Array.from(batch.counts)).toEqual(new Array(16).fill(0));
    expect(engine.predictBatch(batch).count).toBe(0);
    batch.length = 1;
    refused(() => engine.predictBatch(batch), 'ERR_BOOK_EMPTY', /^batch\[0\]/);
  });

  it('slot() returns the same views each time, over the batch\'s own columns', () => {
    const batch = engine.createBatch(3);
    const s = batch.slot(1);
    expect(batch.slot(1)).toBe(s);
    expect(s.bidPx.buffer).toBe(batch.columns.buffer);
    expect(s.askSz.byteOffset).toBe((1 * batch.stride + 3 * batch.levels) * 8);
    expect(s.bidPx).toHaveLength(batch.levels);
    expect(Object.isFrozen(s)).toBe(true);
  });
});

describe('shallow and deep books', () => {
  const engine = createEngine({ model: modelPath('levels'), backend: 'cpu' });
  afterAll(() => engine.close());

  // Depths below, at and above the model's 20 levels, different per side.
  const depths: Array<[number, number]> = [
    [1, 1], [1, 20], [20, 1], [3, 7], [19, 20], [20, 20], [25, 20], [20, 33], [40, 40], [5, 5],
  ];
  const books = depths.map(([b, a], s) => randomBook(b, a, 700 + s));

  it('levelsUsed = min(20, bids, asks) and results equal predict(), for every way of writing a slot', () => {
    const viaSet = engine.createBatch(depths.length);
    const viaTyped = engine.createBatch(depths.length);
    const viaSlot = engine.createBatch(depths.length);
    books.forEach((b, i) => {
      viaSet.set(i, b);
      viaTyped.set(i, typed(b));
      writeSlot(viaSlot, i, b);
    });
    for (const batch of [viaSet, viaTyped, viaSlot]) {
      const r = engine.predictBatch(batch, { embedding: true });
      depths.forEach(([b, a], k) => {
        expect(r.levelsUsed[k]).toBe(Math.min(20, b, a));
        expectSameAsPredict(engine, r, k, books[k]);
      });
    }
  });

  it('only the first 20 levels of a deeper book are copied', () => {
    const batch = engine.createBatch(2);
    batch.set(0, books[8]);
    expect(Array.from(batch.counts.subarray(0, 2))).toEqual([20, 20]);
    expect(batch.columns[19]).toBe(books[8].bids[19][0]);
  });

  it('a shallow book written over a deep one ignores the deep one\'s leftover levels', () => {
    const batch = engine.createBatch(1);
    batch.set(0, books[9]);
    batch.set(0, books[0]);
    const r = engine.predictBatch(batch, { embedding: true });
    expect(r.levelsUsed[0]).toBe(1);
    expectSameAsPredict(engine, r, 0, books[0]);
  });
});

describe('bad books are refused with predict()\'s codes, naming the slot and the field', () => {
  const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
  const cases = loadCases('pooled');
  afterAll(() => engine.close());

  const good = (): NestedBook => ({ bids: cases[0].bids.map((l) => [...l]), asks: cases[0].asks.map((l) => [...l]) });
  const edited = (edit: (b: NestedBook) => void): NestedBook => {
    const b = good();
    edit(b);
    return b;
  };

  // Values: accepted by set() (shape only), refused by predictBatch() in native code.
  const valueCases: Array<[string, NestedBook, string, RegExp]> = [
    ['a NaN bid price', edited((b) => { b.bids[3][0] = NaN; }), 'ERR_BOOK_NONFINITE', /bids\[3\]\.price must be finite, got NaN/],
    ['an infinite ask size', edited((b) => { b.asks[0][1] = Infinity; }), 'ERR_BOOK_NONFINITE', /asks\[0\]\.size must be finite/],
    ['a zero bid size', edited((b) => { b.bids[2][1] = 0; }), 'ERR_BOOK_NONPOSITIVE', /bids\[2\]\.size must be > 0/],
    ['a negative ask price', edited((b) => { b.asks[5][0] = -1; }), 'ERR_BOOK_NONPOSITIVE', /asks\[5\]\.price must be > 0/],
    ['bids out of order', edited((b) => { b.bids[4][0] = b.bids[2][0]; }), 'ERR_BOOK_ORDER', /bids\[4\]\.price .* strictly below/],
    ['asks out of order', edited((b) => { b.asks[1][0] = b.asks[0][0]; }), 'ERR_BOOK_ORDER', /asks\[1\]\.price .* strictly above/],
    ['a crossed book', { bids: [[101, 1]], asks: [[100, 1]] }, 'ERR_BOOK_CROSSED', /crossed/],
    ['a locked book', { bids: [[100, 1]], asks: [[100, 1]] }, 'ERR_BOOK_CROSSED', /locked/],
    ['an empty bid side', { bids: [], asks: [[100, 1]] }, 'ERR_BOOK_EMPTY', /bids is empty/],
  ];

  it.each(valueCases)('%s', (_name, book, code, pattern) => {
    refused(() => engine.predict(book), code, pattern);
    for (const write of ['set', 'typed', 'slot'] as const) {
      const batch = engine.createBatch(8);
      for (let i = 0; i < 8; i++) batch.set(i, nested(cases[i]));
      if (write === 'set') batch.set(5, book);
      else if (write === 'typed') batch.set(5, typed(book));
      else writeSlot(batch, 5, book);
      refused(() => engine.predictBatch(batch), code, new RegExp(`^batch\\[5\\]: book.*${pattern.source}`));
      // The same book in an array of books is named books[5], as before.
      const array = cases.slice(0, 8).map(nested);
      array[5] = book;
      refused(() => engine.predictBatch(array), code, /^books\[5\]/);
    }
  });

  // Shape: refused by set() at once.
  const shapeCases: Array<[string, unknown, string, RegExp]> = [
    ['not a book', 42, 'ERR_BOOK_TYPE', /^batch\[2\] must be \{ bids, asks \}/],
    ['null', null, 'ERR_BOOK_TYPE', /^batch\[2\] must be/],
    ['a level that is not a pair', { bids: [[100, 1], [99]], asks: [[101, 1]] }, 'ERR_BOOK_TYPE', /^batch\[2\]\.bids\[1\] must be \[price, size\]/],
    ['a level of strings', { bids: [[100, 1]], asks: [[101, 1], ['102', 1]] }, 'ERR_BOOK_TYPE', /^batch\[2\]\.asks\[1\] must hold numbers/],
    ['a typed column that is not a Float64Array', { bidPx: [100], bidSz: new Float64Array(1), askPx: new Float64Array(1), askSz: new Float64Array(1) }, 'ERR_BOOK_TYPE', /^batch\[2\]\.bidPx must be a Float64Array/],
    ['typed columns of different lengths', { bidPx: new Float64Array(3), bidSz: new Float64Array(2), askPx: new Float64Array(1), askSz: new Float64Array(1) }, 'ERR_BOOK_LENGTH', /^batch\[2\]\.bidPx has 3 levels but batch\[2\]\.bidSz has 2/],
  ];

  it.each(shapeCases)('set() refuses %s and changes nothing', (_name, book, code, pattern) => {
    const predictPattern = new RegExp(pattern.source.replaceAll('batch\\[2\\]', 'book'));
    refused(() => engine.predict(book as never), code, predictPattern);
    const batch = engine.createBatch(4);
    batch.set(0, nested(cases[0]));
    batch.set(2, nested(cases[2]));
    const before = snapshot(batch);
    refused(() => batch.set(2, book as never), code, pattern);
    expect(snapshot(batch)).toEqual(before);
  });

  it('a nested book refused at a deep level leaves its slot as it was', () => {
    const batch = engine.createBatch(2);
    batch.set(0, nested(cases[0]));
    batch.set(1, nested(cases[1]));
    const before = snapshot(batch);
    const bad = edited((b) => { b.asks[15] = [Number.NaN] as never; });
    bad.bids = cases[7].bids;
    refused(() => batch.set(1, bad), 'ERR_BOOK_TYPE', /^batch\[1\]\.asks\[15\] must be \[price, size\]/);
    expect(snapshot(batch)).toEqual(before);
    refused(() => batch.push(bad), 'ERR_INVALID_ARGUMENT', /full/);
    const r = engine.predictBatch(batch);
    expectSameAsPredict(engine, r, 1, nested(cases[1]));
  });

  it('setCounts() refuses counts outside 0 .. levels, changing nothing', () => {
    const batch = engine.createBatch(4);
    batch.set(0, nested(cases[0]));
    const before = snapshot(batch);
    for (const [b, a, pattern] of [
      [21, 20, /^batch\[1\]: bid count must be an integer from 0 to 20, got 21/],
      [20, -1, /^batch\[1\]: ask count .* got -1/],
      [1.5, 3, /bid count .* got 1\.5/],
      [NaN, 3, /bid count .* got NaN/],
      [3, '3', /ask count .* got "3"/],
    ] as Array<[number, number, RegExp]>) {
      refused(() => batch.setCounts(1, b, a), 'ERR_BOOK_LENGTH', pattern);
    }
    expect(snapshot(batch)).toEqual(before);
  });

  it('counts written into `counts` directly are checked by predictBatch (no read past a slot)', () => {
    const batch = engine.createBatch(4);
    for (let i = 0; i < 4; i++) batch.set(i, nested(cases[i]));
    batch.counts[2 * 3 + 1] = 21;
    refused(() => engine.predictBatch(batch), 'ERR_BOOK_LENGTH', /^batch\[3\]: level counts \(bids 20, asks 21\) must be from 0 to 20/);
    batch.counts[2 * 3 + 1] = -5;
    refused(() => engine.predictBatch(batch), 'ERR_BOOK_LENGTH', /^batch\[3\]: level counts \(bids 20, asks -5\)/);
    batch.counts[2 * 3 + 1] = 20;
    expect(engine.predictBatch(batch).count).toBe(4);
  });
});

describe('results into caller-owned arrays', () => {
  const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
  const cases = loadCases('pooled');
  afterAll(() => engine.close());

  function filled(n: number, offset = 0): BookBatch {
    const batch = engine.createBatch(n);
    for (let i = 0; i < n; i++) batch.set(i, nested(cases[(i + offset) % 64]));
    return batch;
  }

  it('reuses every array of `into` (nothing allocated) and returns it', () => {
    const batch = filled(32);
    const out = engine.predictBatch(batch, { embedding: true });
    const arrays = { ...out };
    const again = engine.predictBatch(filled(32, 5), { embedding: true, into: out });
    expect(again).toBe(out);
    for (const key of ['direction', 'probs', 'logits', 'confidence', 'magnitude', 'volatility', 'levelsUsed', 'embedding'] as const) {
      expect(out[key]).toBe(arrays[key]);
    }
    for (let k = 0; k < 32; k++) expectSameAsPredict(engine, out, k, nested(cases[(k + 5) % 64]));
  });

  it('a smaller batch writes its first `count` entries and leaves the rest', () => {
    const out = engine.predictBatch(filled(16));
    const tail = out.logits.slice(3 * 4);
    const r = engine.predictBatch(filled(4, 30), { into: out });
    expect(r.count).toBe(4);
    expect(r.logits).toHaveLength(48);
    for (let k = 0; k < 4; k++) expectSameAsPredict(engine, r, k, nested(cases[30 + k]));
    expect(r.logits.slice(3 * 4)).toEqual(tail);
  });

  it('a larger batch replaces arrays that are too small', () => {
    const out = engine.predictBatch(filled(2));
    const small = out.probs;
    engine.predictBatch(filled(40), { into: out, embedding: true });
    expect(out.count).toBe(40);
    expect(out.probs).not.toBe(small);
    expect(out.probs).toHaveLength(120);
    expect(out.embedding).toHaveLength(40 * 64);
    expectSameAsPredict(engine, out, 39, nested(cases[39]));
  });

  it('without `embedding`, an earlier embedding is dropped (as predict() does)', () => {
    const out = engine.predictBatch(filled(3), { embedding: true });
    engine.predictBatch(filled(3), { into: out });
    expect(out.embedding).toBeUndefined();
  });

  it('works for arrays of books too', () => {
    const out = engine.predictBatch(cases.slice(0, 8).map(nested));
    const probs = out.probs;
    engine.predictBatch(cases.slice(8, 16).map(nested), { into: out });
    expect(out.probs).toBe(probs);
    expectSameAsPredict(engine, out, 7, nested(cases[15]));
  });

  it('a refused call leaves `into`, the batch and the engine as they were', () => {
    const batch = filled(8);
    const out = engine.predictBatch(batch, { embedding: true });
    const arrays = { ...out };
    const values = structuredClone({ ...out });
    batch.set(6, { bids: [[101, 1]], asks: [[100, 1]] });
    const before = snapshot(batch);
    refused(() => engine.predictBatch(batch, { into: out, embedding: true }), 'ERR_BOOK_CROSSED', /^batch\[6\]/);
    expect(snapshot(batch)).toEqual(before);
    expect({ ...out }).toEqual(values);
    for (const key of Object.keys(arrays) as Array<keyof BatchPrediction>) expect(out[key]).toBe(arrays[key]);
    batch.set(6, nested(cases[6]));
    expect(engine.predictBatch(batch, { into: out, embedding: true })).toBe(out);
    expectSameAsPredict(engine, out, 6, nested(cases[6]));
  });

  it('refuses a frozen, read-only or unreadable `into` before writing any of its arrays', () => {
    const frozen = Object.freeze(engine.predictBatch(filled(8)));
    const readOnly = Object.defineProperty(engine.predictBatch(filled(8)), 'count', { value: 8, writable: false });
    for (const out of [frozen, readOnly]) {
      const logits = Array.from(out.logits);
      refused(() => engine.predictBatch(filled(8, 20), { into: out }), 'ERR_INVALID_OPTION', /into \(a writable result of predictBatch\).*read only/);
      expect(Array.from(out.logits)).toEqual(logits);
    }
    const throwing = { get logits(): Float64Array { throw new Error('no logits here'); } };
    refused(() => engine.predictBatch(filled(2), { into: throwing as never }), 'ERR_INVALID_OPTION', /no logits here/);
    const trap = new Proxy({}, { get() { throw new Error('trap'); } });
    refused(() => engine.predictBatch(filled(2), { into: trap as never }), 'ERR_INVALID_OPTION', /trap/);
  });

  it('refuses an `into` that is not an object', () => {
    for (const bad of [null, 42, 'x']) {
      refused(() => engine.predictBatch(filled(1), { into: bad as never }), 'ERR_INVALID_OPTION', /into must be a result of predictBatch/);
    }
  });
});

describe('a batch is tied to a depth, not to one engine', () => {
  const cases: FixtureCase[] = loadCases('pooled');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-batch-'));
  const shallowModel = path.join(dir, 'levels5.safetensors');
  fs.writeFileSync(shallowModel, writeSafetensors(toSafetensors(randomModel(5, 16, 2, 'pooled', 5016))));
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  it('an engine of another depth refuses it', () => {
    const deep = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const shallow = createEngine({ model: shallowModel, backend: 'cpu' });
    const batch = deep.createBatch(2);
    batch.set(0, nested(cases[0]));
    refused(() => shallow.predictBatch(batch), 'ERR_INVALID_ARGUMENT', /batch holds books of 20 levels but this engine's model reads 5/);
    const small = shallow.createBatch(2);
    expect(small.levels).toBe(5);
    small.set(0, nested(cases[0]));
    expect(Array.from(small.counts.subarray(0, 2))).toEqual([5, 5]);
    refused(() => deep.predictBatch(small), 'ERR_INVALID_ARGUMENT', /books of 5 levels but this engine's model reads 20/);
    const r = shallow.predictBatch(small, { embedding: true });
    expect(r.levelsUsed[0]).toBe(5);
    expectSameAsPredict(shallow, r, 0, nested(cases[0]));
    deep.close();
    shallow.close();
  });

  it('another engine of the same depth reads it (two precisions over one batch)', () => {
    const fp32 = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const bf16 = createEngine({ model: modelPath('pooled'), backend: 'cpu', precision: 'bf16' });
    const batch = fp32.createBatch(16);
    for (let i = 0; i < 16; i++) batch.set(i, nested(cases[i]));
    const r = bf16.predictBatch(batch, { embedding: true });
    for (let k = 0; k < 16; k++) expectSameAsPredict(bf16, r, k, nested(cases[k]));
    fp32.close();
    bf16.close();
  });

  it('a closed engine refuses createBatch() and predictBatch(batch) with ERR_ENGINE_CLOSED', () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const batch = engine.createBatch(2);
    batch.set(0, nested(cases[0]));
    void engine.close();
    refused(() => engine.createBatch(2), 'ERR_ENGINE_CLOSED', /engine is closed/);
    refused(() => engine.predictBatch(batch), 'ERR_ENGINE_CLOSED', /engine is closed/);
    // The batch is plain memory: it stays usable, and another engine of the same depth reads it.
    batch.set(1, nested(cases[1]));
    const other = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const r = other.predictBatch(batch);
    expectSameAsPredict(other, r, 1, nested(cases[1]));
    void other.close();
  });

  it('errors are HawkgraphErrors', () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    expect(() => engine.createBatch(-1)).toThrowError(HawkgraphError);
    void engine.close();
  });
});

import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

import { createEngine, normalizeBook } from '../dist/index.js';
import { loadCases, modelPath } from './helpers/fixtures';
import { refusal } from './helpers/errors';

const root = path.join(__dirname, '..');
const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
afterAll(() => engine.close());
const good = loadCases('pooled')[0];

// ccxt's ws order books, as a bot's watchOrderBook() returns them (not in ccxt's export map).
type WsBook = { bids: number[][]; asks: number[][] };
type WsBookClass = new (snapshot?: object, depth?: number) => WsBook;
async function wsBooks(): Promise<Record<'OrderBook' | 'CountedOrderBook' | 'IndexedOrderBook', WsBookClass>> {
  const file = path.join(root, 'node_modules', 'ccxt', 'js', 'src', 'base', 'ws', 'OrderBook.js');
  return import(pathToFileURL(file).href);
}


describe('ccxt books in the typings', () => {
  it('a ccxt bot compiles under strict TypeScript with no casts, and string levels do not', () => {
    const file = path.join(root, 'test', 'types', 'ccxt-bot.ts');
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'],
    });
    const messages = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(messages).toEqual([]);
  }, 120_000);
});

describe('ccxt books at run time', () => {
  it('OrderBook and CountedOrderBook predict exactly as the plain book they hold', async () => {
    const { OrderBook, CountedOrderBook } = await wsBooks();
    const expected = engine.predict({ bids: good.bids, asks: good.asks });
    const ob = new OrderBook({ bids: good.bids, asks: good.asks });
    const counted = new CountedOrderBook({
      bids: good.bids.map(([p, s]) => [p, s, 3]),
      asks: good.asks.map(([p, s]) => [p, s, 1]),
    });
    expect(Array.from(counted.bids[0])).toHaveLength(3);
    expect(engine.predict(ob)).toEqual(expected);
    expect(engine.predict(counted)).toEqual(expected);
    const batch = engine.predictBatch([ob, counted]);
    expect(Array.from(batch.logits.subarray(3, 6))).toEqual(Array.from(batch.logits.subarray(0, 3)));
  });

  it('an IndexedOrderBook (one level per order) is refused by predict, naming normalizeBook, and predicts once normalized', async () => {
    const { IndexedOrderBook } = await wsBooks();
    // Each level split into two orders of the same price: ccxt keeps one entry per order id.
    const split = (side: number[][]) => side.flatMap(([p, s], i) => [[p, s / 4, `a${i}`], [p, (3 * s) / 4, `b${i}`]]);
    const indexed = new IndexedOrderBook({ bids: split(good.bids), asks: split(good.asks) });
    expect(indexed.bids.length).toBe(2 * good.bids.length);
    const e = refusal(() => engine.predict(indexed));
    expect(e.code).toBe('ERR_BOOK_ORDER');
    expect(e.message).toContain('normalizeBook');

    const n = normalizeBook(indexed);
    expect(n.changes.mergedLevels).toBe(good.bids.length + good.asks.length);
    expect(n.changed).toBe(true);
    expect(n.messages).toContain(`bids: ${good.bids.length} levels merged into an equal price before them (sizes added)`);
    const expected = engine.predict({ bids: good.bids, asks: good.asks });
    const got = engine.predict(n.book);
    expect(got.direction).toBe(expected.direction);
    for (let k = 0; k < 3; k++) expect(got.logits[k]).toBeCloseTo(expected.logits[k], 12);
  });

  it('raw exchange JSON with numeric strings is refused with a pointer to normalizeBook', () => {
    const raw = { bids: [['30000', '1.5']], asks: [['30000.5', '2']] };
    const e = refusal(() => engine.predict(raw as never));
    expect(e.code).toBe('ERR_BOOK_TYPE');
    expect(e.message).toBe('book.bids[0] must hold numbers, got ["30000", "1.5"] (normalizeBook() parses numeric strings)');
  });
});

describe('normalizeBook', () => {
  it('parses numeric strings, merges equal prices, drops size-0 levels and says so', () => {
    const n = normalizeBook({
      bids: [['101.5', '2'], ['101.5', '1.25'], ['101.4', '0'], ['101.3', '4', 7]],
      asks: [[101.6, 1], ['1.017e2', '.5']],
    });
    expect(Array.from(n.book.bidPx)).toEqual([101.5, 101.3]);
    expect(Array.from(n.book.bidSz)).toEqual([3.25, 4]);
    expect(Array.from(n.book.askPx)).toEqual([101.6, 101.7]);
    expect(Array.from(n.book.askSz)).toEqual([1, 0.5]);
    expect(n.changes).toEqual({ parsedStrings: 10, mergedLevels: 1, droppedZeroSize: 1, truncatedLevels: 0 });
    expect(n.messages).toEqual([
      '10 prices or sizes parsed from numeric strings',
      'bids: 1 level merged into an equal price before it (sizes added)',
      'bids: 1 level of size 0 dropped',
    ]);
    expect(engine.predict(n.book).levelsUsed).toBe(2);
  });

  it('leaves a book already in form unchanged and reports nothing', () => {
    const n = normalizeBook({ bids: good.bids, asks: good.asks });
    expect(n.changed).toBe(false);
    expect(n.messages).toEqual([]);
    expect(Array.from(n.book.bidPx)).toEqual(good.bids.map((l) => l[0]));
    expect(engine.predict(n.book)).toEqual(engine.predict({ bids: good.bids, asks: good.asks }));
  });

  it('keeps depth levels per side after merging, counting the levels it did not read', () => {
    const n = normalizeBook({ bids: [[5, 1], [5, 1], [4, 1], [3, 1], [2, 1]], asks: [[6, 1]] }, { depth: 2 });
    expect(Array.from(n.book.bidPx)).toEqual([5, 4]);
    expect(Array.from(n.book.bidSz)).toEqual([2, 1]);
    expect(n.changes.truncatedLevels).toBe(2);
    expect(n.changed).toBe(true);
  });

  it('reuses the columns of `into` (same arrays while the level counts hold)', () => {
    const first = normalizeBook({ bids: [['2', '1']], asks: [['3', '1']] });
    const columns = first.book.bidPx;
    const again = normalizeBook({ bids: [[2.5, 1]], asks: [[3, 2]] }, { into: first });
    expect(again).toBe(first);
    expect(again.book.bidPx).toBe(columns);
    expect(again.book.bidPx[0]).toBe(2.5);
    expect(again.changed).toBe(false);
    const deeper = normalizeBook({ bids: Array.from({ length: 40 }, (_, i) => [100 - i, 1]), asks: [[101, 1]] }, { into: first });
    expect(deeper.book.bidPx.length).toBe(40);
    expect(deeper.book.bidPx[39]).toBe(61);
  });

  it.each([
    ['0x10', 'a hex string'],
    ['', 'an empty string'],
    [' 1', 'a padded string'],
    ['Infinity', 'Infinity'],
    ['1,5', 'a decimal comma'],
    [undefined, "ccxt's Num undefined"],
    [null, 'null'],
  ])('refuses %j (%s) with ERR_BOOK_TYPE naming the level', (value) => {
    const e = refusal(() => normalizeBook({ bids: [[100, 1], [99, value]], asks: [[101, 1]] }));
    expect(e.code).toBe('ERR_BOOK_TYPE');
    expect(e.message).toMatch(/^book\.bids\[1\]\.size must be a number or a numeric string, got /);
  });

  it('refuses malformed sides, levels and options', () => {
    expect(refusal(() => normalizeBook({ bids: 'x', asks: [] })).message).toBe('book.bids must be an array of [price, size] levels, got "x"');
    expect(refusal(() => normalizeBook({ bids: [[1]], asks: [] })).message).toBe('book.bids[0] must be [price, size, ...], got an array of length 1');
    expect(refusal(() => normalizeBook(null as never)).code).toBe('ERR_BOOK_TYPE');
    expect(refusal(() => normalizeBook({ bids: [], asks: [] }, { depth: 0 })).code).toBe('ERR_INVALID_OPTION');
    expect(refusal(() => normalizeBook({ bids: [], asks: [] }, { into: {} as never })).code).toBe('ERR_INVALID_OPTION');
  });
});

/**
 * normalizeBook: the explicit step from a book as an exchange or ccxt hands it over to one that
 * predict() takes. predict() itself stays strict (numbers only, strictly ordered prices), so a
 * bad feed is never papered over on the hot path; this function does the few repairs that have a
 * single right answer and reports every one of them.
 */
import { HawkgraphError, describe } from '../errors';
import type { TypedBook } from './book';

export interface NormalizeOptions {
  /** Keep at most this many levels per side after merging (e.g. `engine.info.levels`). Default: all. */
  depth?: number;
  /** A previous result whose columns are reused when they are large enough (no allocation then). */
  into?: NormalizedBook;
}

/** What normalizeBook changed, per kind; all zero means the book was already in predict()'s form. */
export interface BookChanges {
  /** Prices or sizes given as numeric strings ("101.25") and parsed. */
  parsedStrings: number;
  /** Levels folded into the level before them because they have the same price (sizes added). */
  mergedLevels: number;
  /** Levels of size 0 removed (exchanges send them to delete a level). */
  droppedZeroSize: number;
  /** Levels past `depth` that were not read. */
  truncatedLevels: number;
}

export interface NormalizedBook {
  /** Typed columns, best level first: pass to predict(), submit() or BookBatch.set(). */
  book: TypedBook;
  changes: BookChanges;
  /** True when any price or size was parsed, merged or dropped (truncation to `depth` is asked for). */
  changed: boolean;
  /** One line per kind of change, e.g. "bids: 2 levels merged into an equal price before them". */
  messages: string[];
}

// A decimal number as exchanges write it: no hex, no "Infinity", no empty string or spaces.
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

type Side = 'bids' | 'asks';

interface SideOut {
  px: Float64Array;
  sz: Float64Array;
  count: number;
}

function levelValue(value: unknown, where: string, changes: BookChanges): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC.test(value)) {
    changes.parsedStrings++;
    return Number(value);
  }
  throw new HawkgraphError('ERR_BOOK_TYPE', `${where} must be a number or a numeric string, got ${describe(value)}`);
}

function readSide(levels: unknown, side: Side, depth: number, out: SideOut, changes: BookChanges, notes: Counts): void {
  if (!Array.isArray(levels)) {
    throw new HawkgraphError('ERR_BOOK_TYPE', `book.${side} must be an array of [price, size] levels, got ${describe(levels)}`);
  }
  let n = 0;
  for (let i = 0; i < levels.length; i++) {
    const level: unknown = levels[i];
    if (!Array.isArray(level) || level.length < 2) {
      throw new HawkgraphError('ERR_BOOK_TYPE', `book.${side}[${i}] must be [price, size, ...], got ${describe(level)}`);
    }
    const price = levelValue(level[0], `book.${side}[${i}].price`, changes);
    const size = levelValue(level[1], `book.${side}[${i}].size`, changes);
    if (size === 0) {
      changes.droppedZeroSize++;
      notes[side].dropped++;
      continue;
    }
    if (n > 0 && price === out.px[n - 1]) {
      out.sz[n - 1] += size;
      changes.mergedLevels++;
      notes[side].merged++;
      continue;
    }
    if (n === depth) {
      changes.truncatedLevels += levels.length - i;
      break;
    }
    if (n === out.px.length) grow(out, levels.length);
    out.px[n] = price;
    out.sz[n] = size;
    n++;
  }
  out.count = n;
}

function grow(out: SideOut, atLeast: number): void {
  const px = new Float64Array(Math.max(atLeast, 2 * out.px.length, 8));
  const sz = new Float64Array(px.length);
  px.set(out.px);
  sz.set(out.sz);
  out.px = px;
  out.sz = sz;
}

type Counts = Record<Side, { merged: number; dropped: number }>;

// Column storage behind a result, kept so `into` can reuse it.
const storage = new WeakMap<NormalizedBook, Record<Side, SideOut>>();

function view(s: SideOut, previous: Float64Array | undefined, column: Float64Array): Float64Array {
  return previous !== undefined && previous.buffer === column.buffer && previous.length === s.count && previous.byteOffset === 0
    ? previous
    : column.subarray(0, s.count);
}

/**
 * Turns a book with numeric-string levels (raw exchange JSON), per-order levels of equal price
 * (ccxt's IndexedOrderBook) or zero-size delete markers into typed columns predict() takes, and
 * says what it changed. Levels may carry extra entries ([price, size, count] or [price, size, id]),
 * which are ignored. Anything else that is wrong (a non-numeric value, a missing side, an unsorted
 * side) is left to predict() to refuse, or refused here with ERR_BOOK_TYPE naming the level.
 */
export function normalizeBook(book: { bids: unknown; asks: unknown }, options: NormalizeOptions = {}): NormalizedBook {
  if (book === null || typeof book !== 'object') {
    throw new HawkgraphError('ERR_BOOK_TYPE', `book must be { bids, asks }, got ${describe(book)}`);
  }
  const { depth = Number.MAX_SAFE_INTEGER, into } = options;
  if (!(Number.isInteger(depth) && depth >= 1)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `depth must be a positive integer, got ${describe(depth)}`);
  }
  const reused = into === undefined ? undefined : storage.get(into);
  if (into !== undefined && reused === undefined) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `into must be a result of normalizeBook(), got ${describe(into)}`);
  }
  const empty = (): SideOut => ({ px: new Float64Array(8), sz: new Float64Array(8), count: 0 });
  const sides = reused ?? { bids: empty(), asks: empty() };
  const changes: BookChanges = { parsedStrings: 0, mergedLevels: 0, droppedZeroSize: 0, truncatedLevels: 0 };
  const notes: Counts = { bids: { merged: 0, dropped: 0 }, asks: { merged: 0, dropped: 0 } };
  readSide(book.bids, 'bids', depth, sides.bids, changes, notes);
  readSide(book.asks, 'asks', depth, sides.asks, changes, notes);

  const prev = into?.book;
  const typed: TypedBook = {
    bidPx: view(sides.bids, prev?.bidPx, sides.bids.px),
    bidSz: view(sides.bids, prev?.bidSz, sides.bids.sz),
    askPx: view(sides.asks, prev?.askPx, sides.asks.px),
    askSz: view(sides.asks, prev?.askSz, sides.asks.sz),
  };
  const messages = describeChanges(changes, notes);
  const result = into ?? ({} as NormalizedBook);
  result.book = typed;
  result.changes = changes;
  result.changed = changes.parsedStrings + changes.mergedLevels + changes.droppedZeroSize > 0;
  result.messages = messages;
  storage.set(result, sides);
  return result;
}

function describeChanges(changes: BookChanges, notes: Counts): string[] {
  const out: string[] = [];
  if (changes.parsedStrings > 0) out.push(`${changes.parsedStrings} prices or sizes parsed from numeric strings`);
  for (const side of ['bids', 'asks'] as const) {
    const { merged, dropped } = notes[side];
    if (merged > 0) out.push(`${side}: ${merged} level${merged === 1 ? '' : 's'} merged into an equal price before ${merged === 1 ? 'it' : 'them'} (sizes added)`);
    if (dropped > 0) out.push(`${side}: ${dropped} level${dropped === 1 ? '' : 's'} of size 0 dropped`);
  }
  if (changes.truncatedLevels > 0) out.push(`${changes.truncatedLevels} levels past depth not read`);
  return out;
}

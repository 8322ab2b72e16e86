/**
 * Order books as callers pass them, their translation into the flat float64 columns the native
 * engine reads (LAYOUTS.batchBook: bid prices, bid sizes, ask prices, ask sizes). Only structure
 * is checked here (types, shapes); values (finite, positive, ordered, uncrossed) are checked once,
 * in native code, for every book form alike.
 */
import { HawkgraphError, describe } from '../errors';

/**
 * One price level: [price, size], optionally followed by entries that are ignored (ccxt's
 * CountedOrderBook adds a count, its IndexedOrderBook an order id). `undefined` is in the type
 * because ccxt types prices and sizes as `Num = number | undefined`; at run time it is refused
 * (ERR_BOOK_TYPE naming the level), as are numeric strings: normalizeBook() parses those.
 */
export type PriceLevel =
  | readonly [price: number | undefined, size: number | undefined, ...extra: unknown[]]
  | readonly (number | undefined)[];

/** A book as nested arrays, best level first: bids by decreasing price, asks by increasing price. */
export interface NestedBook {
  bids: ArrayLike<PriceLevel>;
  asks: ArrayLike<PriceLevel>;
}

/** A book as four Float64Array columns, best level first. Read in place, never copied by predict(). */
export interface TypedBook {
  bidPx: Float64Array;
  bidSz: Float64Array;
  askPx: Float64Array;
  askSz: Float64Array;
}

export type Book = NestedBook | TypedBook;

function bookTypeError(where: string, book: unknown): HawkgraphError {
  return new HawkgraphError(
    'ERR_BOOK_TYPE',
    `${where} must be { bids, asks } (arrays of [price, size]) or { bidPx, bidSz, askPx, askSz } (Float64Array), got ${describe(book)}`,
  );
}

function checkColumn(value: unknown, where: string, name: string): Float64Array {
  if (!(value instanceof Float64Array)) {
    throw new HawkgraphError('ERR_BOOK_TYPE', `${where}.${name} must be a Float64Array, got ${describe(value)}`);
  }
  return value;
}

/** Validates the shape of a typed book; returns its level counts. */
export function typedBookCounts(book: TypedBook, where: string): [bids: number, asks: number] {
  const bidPx = checkColumn(book.bidPx, where, 'bidPx');
  const bidSz = checkColumn(book.bidSz, where, 'bidSz');
  const askPx = checkColumn(book.askPx, where, 'askPx');
  const askSz = checkColumn(book.askSz, where, 'askSz');
  if (bidPx.length !== bidSz.length) {
    throw new HawkgraphError('ERR_BOOK_LENGTH', `${where}.bidPx has ${bidPx.length} levels but ${where}.bidSz has ${bidSz.length}`);
  }
  if (askPx.length !== askSz.length) {
    throw new HawkgraphError('ERR_BOOK_LENGTH', `${where}.askPx has ${askPx.length} levels but ${where}.askSz has ${askSz.length}`);
  }
  return [bidPx.length, askPx.length];
}

export function isTypedBook(book: object): book is TypedBook {
  return (book as TypedBook).bidPx !== undefined;
}

/** Classifies a caller's book or throws ERR_BOOK_TYPE. */
export function bookKind(book: unknown, where: string): 'typed' | 'nested' {
  if (book === null || typeof book !== 'object') throw bookTypeError(where, book);
  if (isTypedBook(book)) return 'typed';
  const nested = book as NestedBook;
  if (!Array.isArray(nested.bids) || !Array.isArray(nested.asks)) throw bookTypeError(where, book);
  return 'nested';
}

/**
 * Copies up to `depth` levels of one nested side into `columns`: prices from `pxAt`, sizes from
 * `szAt`. Returns the number of levels copied.
 */
function packSide(
  levels: ArrayLike<PriceLevel>,
  columns: Float64Array,
  pxAt: number,
  szAt: number,
  depth: number,
  where: string,
  side: 'bids' | 'asks',
): number {
  const n = Math.min(levels.length, depth);
  for (let i = 0; i < n; i++) {
    const level = levels[i];
    if (!Array.isArray(level) || level.length < 2) {
      throw new HawkgraphError('ERR_BOOK_TYPE', `${where}.${side}[${i}] must be [price, size], got ${describe(level)}`);
    }
    const price = level[0];
    const size = level[1];
    if (typeof price !== 'number' || typeof size !== 'number') {
      const hint = typeof price === 'string' || typeof size === 'string' ? ' (normalizeBook() parses numeric strings)' : '';
      throw new HawkgraphError(
        'ERR_BOOK_TYPE',
        `${where}.${side}[${i}] must hold numbers, got [${describe(price)}, ${describe(size)}]${hint}`,
      );
    }
    columns[pxAt + i] = price;
    columns[szAt + i] = size;
  }
  return n;
}

// Copies n values with a loop: for a book's few levels this beats subarray() + set(), which
// allocates two views per column.
function copyLevels(from: Float64Array, n: number, to: Float64Array, at: number): void {
  for (let i = 0; i < n; i++) to[at + i] = from[i];
}

/**
 * Writes a book's first `depth` levels into `columns` at `base` in the engine's packed layout:
 * bidPx, bidSz, askPx, askSz, `depth` slots each; its level counts go to counts[at], counts[at + 1].
 */
export function packBookInto(
  book: Book,
  columns: Float64Array,
  base: number,
  depth: number,
  counts: Int32Array,
  at: number,
  where: string,
): void {
  if (bookKind(book, where) === 'typed') {
    const t = book as TypedBook;
    const [bids, asks] = typedBookCounts(t, where);
    const nb = Math.min(bids, depth);
    const na = Math.min(asks, depth);
    copyLevels(t.bidPx, nb, columns, base);
    copyLevels(t.bidSz, nb, columns, base + depth);
    copyLevels(t.askPx, na, columns, base + 2 * depth);
    copyLevels(t.askSz, na, columns, base + 3 * depth);
    counts[at] = nb;
    counts[at + 1] = na;
    return;
  }
  const b = book as NestedBook;
  counts[at] = packSide(b.bids, columns, base, base + depth, depth, where, 'bids');
  counts[at + 1] = packSide(b.asks, columns, base + 2 * depth, base + 3 * depth, depth, where, 'asks');
}

const packCounts = new Int32Array(2);

/** packBookInto() for one book; returns the level counts written. */
export function packBook(book: Book, columns: Float64Array, base: number, depth: number, where: string): [number, number] {
  packBookInto(book, columns, base, depth, packCounts, 0, where);
  return [packCounts[0], packCounts[1]];
}

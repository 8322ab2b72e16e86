/**
 * Order books as callers pass them, their translation into the flat float64 columns the native
 * engine reads, and BookBatch: many books kept in those columns for predictBatch(). Only structure
 * is checked here (types, shapes); values (finite, positive, ordered, uncrossed) are checked once,
 * in native code, for every book form alike.
 */
import { HawkgraphError, describe, unreadable } from './errors';

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

/** One slot of a BookBatch: views of its four columns, `levels` values each, best level first. */
export interface BookSlot {
  readonly bidPx: Float64Array;
  readonly bidSz: Float64Array;
  readonly askPx: Float64Array;
  readonly askSz: Float64Array;
}

const MAX_BATCH_CAPACITY = 1 << 24;

function checkLevelCount(value: number, levels: number, where: string, side: string): void {
  if (!(Number.isInteger(value) && value >= 0 && value <= levels)) {
    throw new HawkgraphError('ERR_BOOK_LENGTH', `${where}: ${side} count must be an integer from 0 to ${levels}, got ${describe(value)}`);
  }
}

/**
 * Books for predictBatch() held in the engine's packed layout, allocated once (engine.createBatch).
 * Slot k's columns start at `columns[k * stride]`: bid prices, bid sizes, ask prices, ask sizes,
 * `levels` values each; its level counts are `counts[2k]` (bids) and `counts[2k + 1]` (asks).
 * predictBatch() reads slots 0 .. length - 1 in place. Structure (types, counts) is checked when a
 * slot is written; values (finite, positive, ordered, uncrossed) by predictBatch, in native code,
 * exactly as predict() checks them.
 */
export class BookBatch {
  /** The most books the batch holds. */
  readonly capacity: number;
  /** Levels per side a slot holds: the model's depth. */
  readonly levels: number;
  /** Values per slot in `columns` (4 * levels). */
  readonly stride: number;
  /** [capacity * stride]: every slot's four columns. Write levels here (or through slot()), then setCounts(). */
  readonly columns: Float64Array;
  /**
   * [capacity * 2]: bid and ask level counts per slot. Prefer setCounts() (checked at once); values
   * written here directly are checked by predictBatch().
   */
  readonly counts: Int32Array;
  #length = 0;
  readonly #slots: Array<BookSlot | undefined>;
  // A nested book is packed here first, so a level refused halfway leaves its slot untouched.
  readonly #staging: Float64Array;
  readonly #stagingCounts = new Int32Array(2);

  /** Prefer engine.createBatch(capacity), which takes `levels` from the engine's model. */
  constructor(levels: number, capacity: number) {
    if (!(Number.isInteger(levels) && levels >= 1 && levels <= 1 << 16)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `levels must be an integer from 1 to 65536, got ${describe(levels)}`);
    }
    if (!(Number.isInteger(capacity) && capacity >= 0 && capacity <= MAX_BATCH_CAPACITY)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `batch capacity must be an integer from 0 to ${MAX_BATCH_CAPACITY}, got ${describe(capacity)}`);
    }
    this.capacity = capacity;
    this.levels = levels;
    this.stride = 4 * levels;
    try {
      this.columns = new Float64Array(capacity * this.stride);
      this.counts = new Int32Array(capacity * 2);
    } catch (err) {
      const mib = ((capacity * (this.stride * 8 + 8)) / 2 ** 20).toFixed(0);
      throw new HawkgraphError('ERR_OUT_OF_MEMORY', `a batch of ${capacity} books (${mib} MiB) cannot be allocated: ${(err as Error).message}`);
    }
    this.#slots = new Array<BookSlot | undefined>(capacity);
    this.#staging = new Float64Array(this.stride);
  }

  /** Books predictBatch() reads: slots 0 .. length - 1. Writing a slot extends it; set it to shrink. */
  get length(): number {
    return this.#length;
  }

  set length(n: number) {
    if (!(Number.isInteger(n) && n >= 0 && n <= this.capacity)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `batch length must be an integer from 0 to its capacity ${this.capacity}, got ${describe(n)}`);
    }
    this.#length = n;
  }

  #index(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.capacity)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `batch index must be a non-negative integer below the batch's capacity ${this.capacity}, got ${describe(i)}`);
    }
  }

  /**
   * Writes a book (nested or typed, as predict() takes) into slot i: its first `levels` levels
   * per side. Throws ERR_BOOK_TYPE / ERR_BOOK_LENGTH naming batch[i], and then changes nothing.
   */
  set(i: number, book: Book): void {
    this.#index(i);
    const where = `batch[${i}]`;
    // Staged first, so a book refused halfway (or one whose getters throw) leaves the slot as it was.
    try {
      packBookInto(book, this.#staging, 0, this.levels, this.#stagingCounts, 0, where);
    } catch (err) {
      throw unreadable('ERR_BOOK_TYPE', where, err);
    }
    this.columns.set(this.#staging, i * this.stride);
    this.counts[2 * i] = this.#stagingCounts[0];
    this.counts[2 * i + 1] = this.#stagingCounts[1];
    if (i >= this.#length) this.#length = i + 1;
  }

  /** Writes a book into slot `length` (see set()); ERR_INVALID_ARGUMENT when the batch is full. */
  push(book: Book): void {
    if (this.#length === this.capacity) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `batch is full: it holds ${this.capacity} books`);
    }
    this.set(this.#length, book);
  }

  /**
   * Sets slot i's level counts after its levels were written into `columns` or slot(i). Counts
   * are 0 .. levels (ERR_BOOK_LENGTH otherwise, nothing changed); an empty side is refused by
   * predictBatch() as ERR_BOOK_EMPTY, as predict() refuses it.
   */
  setCounts(i: number, bids: number, asks: number): void {
    this.#index(i);
    checkLevelCount(bids, this.levels, `batch[${i}]`, 'bid');
    checkLevelCount(asks, this.levels, `batch[${i}]`, 'ask');
    this.counts[2 * i] = bids;
    this.counts[2 * i + 1] = asks;
    if (i >= this.#length) this.#length = i + 1;
  }

  /**
   * Slot i's four columns as Float64Array views of `columns` (`levels` values each), created on
   * first use and then reused. Only the first counts[2i] / counts[2i + 1] values are read.
   */
  slot(i: number): BookSlot {
    this.#index(i);
    let s = this.#slots[i];
    if (s === undefined) {
      const L = this.levels;
      const base = i * this.stride;
      s = Object.freeze({
        bidPx: this.columns.subarray(base, base + L),
        bidSz: this.columns.subarray(base + L, base + 2 * L),
        askPx: this.columns.subarray(base + 2 * L, base + 3 * L),
        askSz: this.columns.subarray(base + 3 * L, base + 4 * L),
      });
      this.#slots[i] = s;
    }
    return s;
  }

  /** Empties the batch: length 0 and every slot's counts 0 (its columns keep their values). */
  clear(): void {
    this.counts.fill(0);
    this.#length = 0;
  }
}

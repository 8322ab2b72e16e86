/**
 * BookBatch: many books kept in the engine's packed layout (LAYOUTS.batchBook) for
 * predictBatch(), allocated once, written slot by slot. Structure is checked here; values in
 * native code, as for every book form.
 */
import { HawkgraphError, describe, unreadable } from '../errors';
import { LIMITS } from '../native/layouts';
import { Book, packBookInto } from './book';

/** One slot of a BookBatch: views of its four columns, `levels` values each, best level first. */
export interface BookSlot {
  readonly bidPx: Float64Array;
  readonly bidSz: Float64Array;
  readonly askPx: Float64Array;
  readonly askSz: Float64Array;
}

const MAX_BATCH_CAPACITY = LIMITS.maxBatchCapacity;
const MAX_LEVELS = LIMITS.maxBatchLevels;

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
    if (!(Number.isInteger(levels) && levels >= 1 && levels <= MAX_LEVELS)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `levels must be an integer from 1 to ${MAX_LEVELS}, got ${describe(levels)}`);
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

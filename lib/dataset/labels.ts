/**
 * Labels from each symbol's own future: the definitions DepthModel uses (docs/depth.md#labels),
 * with the mid taken at the books a recording holds. One labeller serves both users: labelBooks()
 * runs it over a recording, the online scorer (lib/ops) over live books as they arrive.
 */
import { HawkgraphError, describe } from '../errors';
import { integerOption, numberOption, optionError } from '../options';
import type { BookColumns, BookLabels } from './schema';

export interface LabelOptions {
  /** The price of one tick (moves are in ticks). */
  tick: number;
  /** { seconds } (default 0.1): the mid of the symbol's last book by then; or { events }: its N-th next book. */
  horizon?: { seconds: number } | { events: number };
  /** |move| <= flatBand ticks is flat; default 0. */
  flatBand?: number;
  /** magnitude = 1 - exp(-|move| / magnitudeScale); default 1 tick. */
  magnitudeScale?: number;
}

/** LabelOptions checked, with their defaults: exactly one of seconds and events is > 0. */
export interface LabelRule {
  tick: number;
  seconds: number;
  events: number;
  flatBand: number;
  magnitudeScale: number;
}

/** Checks label options (ERR_INVALID_OPTION naming the field); `what` names the options object. */
export function labelRule(options: LabelOptions, what = 'labelBooks options'): LabelRule {
  if (options === null || typeof options !== 'object') optionError(`${what} must be an object, got ${describe(options)}`);
  if (options.tick === undefined) optionError(`tick must be a finite number > 0, got undefined (the price of one tick: moves are in ticks)`);
  const tick = numberOption(options.tick, 'tick', NaN, (x) => x > 0, 'a finite number > 0');
  const horizon = options.horizon === undefined ? { seconds: 0.1 } : options.horizon;
  if (horizon === null || typeof horizon !== 'object') optionError(`horizon must be { seconds } or { events }, got ${describe(horizon)}`);
  const seconds = 'seconds' in horizon ? numberOption(horizon.seconds, 'horizon.seconds', NaN, (x) => x > 0, 'a finite number > 0') : 0;
  const events = 'events' in horizon ? integerOption(horizon.events, 'horizon.events', NaN, 1, 2 ** 31) : 0;
  if ((seconds > 0) === (events > 0)) optionError(`horizon must be { seconds } or { events }, got ${describe(horizon)}`);
  const flatBand = numberOption(options.flatBand, 'flatBand', 0, (x) => x >= 0, 'a finite number >= 0');
  const magnitudeScale = numberOption(options.magnitudeScale, 'magnitudeScale', 1, (x) => x > 0, 'a finite number > 0');
  return { tick, seconds, events, flatBand, magnitudeScale };
}

/**
 * A mid on the tick grid is a multiple of half a tick; prices times a tick that is not a power of
 * two carry rounding (100.03 / 0.01 is 10002.999...), so a mid within 1e-6 ticks of a half tick is
 * taken as that half tick. Otherwise a move of exactly the flat band, or of 0, would fall either
 * side of it by rounding. Mids off the grid stay as they are.
 */
function onGrid(ticks: number): number {
  const half = Math.round(2 * ticks) / 2;
  return Math.abs(ticks - half) < 1e-6 ? half : ticks;
}

/** Called with the index (0, 1, ... in push order) of a book whose label became known. */
export type LabelSink = (index: number, direction: number, move: number, magnitude: number, volatility: number) => void;

/**
 * One symbol's labeller: books are pushed in time order (seconds, mid) and each book's label is
 * handed to `sink` once a later book settles it, oldest first. A seconds horizon is settled by the
 * first book past t + h (the label's mid is the last book at or before it); an events horizon by
 * the N-th next book. Books still waiting are at most `capacity`: the oldest is then given up
 * unlabelled (counted in `abandoned`), so a live feed holds bounded memory.
 */
export class MidPathLabeller {
  readonly #rule: LabelRule;
  readonly #sink: LabelSink;
  readonly #capacity: number;
  // The waiting books, a ring: push index, time, mid (in ticks) and the cumulative squared mid changes at it.
  #index: Float64Array = new Float64Array(16);
  #time: Float64Array = new Float64Array(16);
  #mid: Float64Array = new Float64Array(16);
  #squares: Float64Array = new Float64Array(16);
  #head = 0;
  #size = 0;
  #pushed = 0;
  #lastMid = NaN; // in ticks
  #lastTime = -Infinity;
  #lastSquares = 0;
  #abandoned = 0;

  constructor(rule: LabelRule, sink: LabelSink, capacity = Infinity) {
    this.#rule = rule;
    this.#sink = sink;
    this.#capacity = capacity;
  }

  /** Books pushed and not yet labelled or abandoned. */
  get waiting(): number {
    return this.#size;
  }

  /** Books given up unlabelled (past `capacity`). */
  get abandoned(): number {
    return this.#abandoned;
  }

  /** The time of the last book pushed (-Infinity before the first). */
  get lastTime(): number {
    return this.#lastTime;
  }

  /** Pushes the symbol's next book (time not before the last one's); returns its index. */
  push(time: number, price: number): number {
    const rule = this.#rule;
    const mid = onGrid(price / rule.tick); // in ticks
    const squares = this.#pushed === 0 ? 0 : this.#lastSquares + (mid - this.#lastMid) ** 2;
    if (rule.seconds > 0) {
      // Settled by this book: the label's mid is the previous book's, the last at or before t + h.
      while (this.#size > 0 && time > this.#time[this.#head] + rule.seconds) this.#settle(this.#lastMid, this.#lastSquares);
    }
    this.#append(time, mid, squares);
    this.#lastMid = mid;
    this.#lastTime = time;
    this.#lastSquares = squares;
    if (rule.events > 0 && this.#index[this.#head] + rule.events === this.#pushed - 1) this.#settle(mid, squares);
    if (this.#size > this.#capacity) {
      this.#pop();
      this.#abandoned++;
    }
    return this.#pushed - 1;
  }

  #append(time: number, mid: number, squares: number): void {
    if (this.#size === this.#index.length) this.#grow();
    const at = (this.#head + this.#size) % this.#index.length;
    this.#index[at] = this.#pushed++;
    this.#time[at] = time;
    this.#mid[at] = mid;
    this.#squares[at] = squares;
    this.#size++;
  }

  #grow(): void {
    const n = this.#index.length, order = (a: Float64Array): Float64Array => {
      const b = new Float64Array(2 * n);
      for (let k = 0; k < n; k++) b[k] = a[(this.#head + k) % n];
      return b;
    };
    this.#index = order(this.#index);
    this.#time = order(this.#time);
    this.#mid = order(this.#mid);
    this.#squares = order(this.#squares);
    this.#head = 0;
  }

  #pop(): void {
    this.#head = (this.#head + 1) % this.#index.length;
    this.#size--;
  }

  // Labels the oldest waiting book from the mid (and cumulative squares) its horizon ends at.
  #settle(endMid: number, endSquares: number): void {
    const rule = this.#rule, h = this.#head;
    const index = this.#index[h], move = endMid - this.#mid[h];
    const volatility = Math.sqrt(Math.max(0, endSquares - this.#squares[h]));
    this.#pop();
    this.#sink(index, move > rule.flatBand ? 2 : move < -rule.flatBand ? 0 : 1, move, -Math.expm1(-Math.abs(move) / rule.magnitudeScale), volatility);
  }
}

/**
 * Labels every book whose horizon the recording covers; a book too close to the end of its
 * symbol's recording (no later book past the horizon) gets direction -1 and NaN elsewhere.
 */
export function labelBooks(books: Pick<BookColumns, 'levels' | 'length' | 'columns' | 'counts' | 'time' | 'symbol'>, options: LabelOptions): BookLabels {
  const rule = labelRule(options);
  const n = books.length, w = 4 * books.levels, L = books.levels;
  const mid = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (books.counts[2 * i] < 1 || books.counts[2 * i + 1] < 1) throw new HawkgraphError('ERR_BOOK_EMPTY', `book ${i} has an empty side: no mid to label from`);
    mid[i] = 0.5 * (books.columns[i * w] + books.columns[i * w + 2 * L]);
  }
  // Each symbol's books in time order (a stable sort keeps ties in recording order).
  const bySymbol = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const list = bySymbol.get(books.symbol[i]);
    if (list) list.push(i);
    else bySymbol.set(books.symbol[i], [i]);
  }
  const out: BookLabels = { direction: new Int32Array(n).fill(-1), move: new Float64Array(n).fill(NaN), magnitude: new Float64Array(n).fill(NaN), volatility: new Float64Array(n).fill(NaN) };
  for (const rows of bySymbol.values()) {
    rows.sort((a, b) => books.time[a] - books.time[b]);
    const labeller = new MidPathLabeller(rule, (k, direction, move, magnitude, volatility) => {
      const i = rows[k];
      out.direction[i] = direction;
      out.move[i] = move;
      out.magnitude[i] = magnitude;
      out.volatility[i] = volatility;
    });
    for (const i of rows) labeller.push(books.time[i], mid[i]);
  }
  return out;
}

/**
 * Labels for recorded books, from each symbol's own future: the definitions DepthModel uses
 * (docs/depth.md#labels), with the mid taken at the books the recording holds.
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

/**
 * Labels every book whose horizon the recording covers; a book too close to the end of its
 * symbol's recording (no later book past the horizon) gets direction -1 and NaN elsewhere.
 */
export function labelBooks(books: Pick<BookColumns, 'levels' | 'length' | 'columns' | 'counts' | 'time' | 'symbol'>, options: LabelOptions): BookLabels {
  if (options === null || typeof options !== 'object') optionError(`labelBooks options must be an object, got ${describe(options)}`);
  const tick = numberOption(options.tick, 'tick', NaN, (x) => x > 0, 'a finite number > 0');
  const horizon = options.horizon ?? { seconds: 0.1 };
  const seconds = 'seconds' in horizon ? numberOption(horizon.seconds, 'horizon.seconds', NaN, (x) => x > 0, 'a finite number > 0') : 0;
  const events = 'events' in horizon ? integerOption(horizon.events, 'horizon.events', NaN, 1, 2 ** 31) : 0;
  if ((seconds > 0) === (events > 0)) optionError(`horizon must be { seconds } or { events }, got ${describe(horizon)}`);
  const band = numberOption(options.flatBand, 'flatBand', 0, (x) => x >= 0, 'a finite number >= 0');
  const scale = numberOption(options.magnitudeScale, 'magnitudeScale', 1, (x) => x > 0, 'a finite number > 0');
  const n = books.length, w = 4 * books.levels, L = books.levels;
  const mid = new Float64Array(n); // in ticks
  for (let i = 0; i < n; i++) {
    if (books.counts[2 * i] < 1 || books.counts[2 * i + 1] < 1) throw new HawkgraphError('ERR_BOOK_EMPTY', `book ${i} has an empty side: no mid to label from`);
    mid[i] = onGrid((books.columns[i * w] + books.columns[i * w + 2 * L]) / (2 * tick));
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
    const squares = new Float64Array(rows.length);
    for (let k = 1; k < rows.length; k++) squares[k] = squares[k - 1] + (mid[rows[k]] - mid[rows[k - 1]]) ** 2;
    let end = 0;
    for (let k = 0; k < rows.length; k++) {
      let j: number;
      if (events > 0) {
        j = k + events;
        if (j >= rows.length) continue;
      } else {
        const until = books.time[rows[k]] + seconds;
        end = Math.max(end, k);
        while (end + 1 < rows.length && books.time[rows[end + 1]] <= until) end++;
        if (end + 1 >= rows.length) continue; // the recording ends before the horizon does
        j = end;
      }
      const i = rows[k], move = mid[rows[j]] - mid[i];
      out.move[i] = move;
      out.magnitude[i] = -Math.expm1(-Math.abs(move) / scale);
      out.volatility[i] = Math.sqrt(Math.max(0, squares[j] - squares[k]));
      out.direction[i] = move > band ? 2 : move < -band ? 0 : 1;
    }
  }
  return out;
}

/**
 * The one dataset format for simulated and recorded books: Apache Arrow IPC streams (`.arrows`),
 * one row per book, read as they are by pyarrow (`pa.ipc.open_stream`), polars
 * (`pl.read_ipc_stream`), DuckDB (through pyarrow) and numpy (through pyarrow). Columns:
 *   symbol utf8; time float64 (seconds); bid_px, bid_sz, ask_px, ask_sz fixed_size_list<float64>[L]
 *   (best first, unused levels 0); bid_levels, ask_levels int32; optionally path int32 (simulated
 *   books) and the labels direction int8 (0 down, 1 flat, 2 up), move, magnitude, volatility float64.
 * Schema metadata: hawkgraph.format = books/1, hawkgraph.levels, hawkgraph.source, and any the
 * writer adds (the label settings). Why Arrow IPC streams: every training-side tool reads them with
 * a well-kept library and no conversion, a stream is appended batch by batch (a recorder's crash
 * leaves every batch written before it readable), and the columns map onto BookBatch's without a copy.
 */
import * as arrow from 'apache-arrow';

export const FORMAT = 'books/1';

/** Books as columns: the layout of DepthSnapshots and BookBatch (4 * levels values a book). */
export interface BookColumns {
  levels: number;
  length: number;
  /** [length * 4 * levels] bid prices, bid sizes, ask prices, ask sizes per book. */
  columns: Float64Array;
  /** [length * 2] bid and ask levels per book. */
  counts: Int32Array;
  /** [length] seconds. */
  time: Float64Array;
  /** [length] the symbol of each book. */
  symbol: string[];
  /** [length] the simulated path of each book. */
  path?: Int32Array;
  labels?: BookLabels;
}

export interface BookLabels {
  direction: Int32Array | Int8Array;
  move: Float64Array;
  magnitude: Float64Array;
  volatility: Float64Array;
}

const SIDES = ['bid_px', 'bid_sz', 'ask_px', 'ask_sz'] as const;

function levelsField(name: string, levels: number): arrow.Field {
  return new arrow.Field(name, new arrow.FixedSizeList(levels, new arrow.Field('item', new arrow.Float64(), false)), false);
}

/** The schema of a dataset of `levels` levels, with the optional columns it has. */
export function bookSchema(levels: number, hasPath: boolean, hasLabels: boolean, metadata: Record<string, string>): arrow.Schema {
  const fields = [
    new arrow.Field('symbol', new arrow.Utf8(), false),
    new arrow.Field('time', new arrow.Float64(), false),
    ...SIDES.map((s) => levelsField(s, levels)),
    new arrow.Field('bid_levels', new arrow.Int32(), false),
    new arrow.Field('ask_levels', new arrow.Int32(), false),
  ];
  if (hasPath) fields.push(new arrow.Field('path', new arrow.Int32(), false));
  if (hasLabels) {
    fields.push(new arrow.Field('direction', new arrow.Int8(), false));
    for (const name of ['move', 'magnitude', 'volatility']) fields.push(new arrow.Field(name, new arrow.Float64(), false));
  }
  const meta = new Map<string, string>([['hawkgraph.format', FORMAT], ['hawkgraph.levels', String(levels)], ...Object.entries(metadata)]);
  return new arrow.Schema(fields, meta);
}

const f64 = (data: Float64Array) => arrow.makeData({ type: new arrow.Float64(), length: data.length, data });
const i32 = (data: Int32Array) => arrow.makeData({ type: new arrow.Int32(), length: data.length, data });

/** Rows [from, to) of `books` as one record batch of `schema`. */
export function bookBatch(schema: arrow.Schema, books: BookColumns, from: number, to: number): arrow.RecordBatch {
  const n = to - from, L = books.levels, w = 4 * L;
  // Each side's column block of every book, gathered into one contiguous child array.
  const side = (k: number) => {
    const child = new Float64Array(n * L);
    for (let i = 0; i < n; i++) child.set(books.columns.subarray((from + i) * w + k * L, (from + i) * w + (k + 1) * L), i * L);
    return arrow.makeData({ type: schema.fields[2 + k].type, length: n, child: f64(child) });
  };
  const bidLevels = new Int32Array(n), askLevels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    bidLevels[i] = books.counts[2 * (from + i)];
    askLevels[i] = books.counts[2 * (from + i) + 1];
  }
  const children: arrow.Data[] = [
    arrow.vectorFromArray(books.symbol.slice(from, to), new arrow.Utf8()).data[0],
    f64(books.time.slice(from, to)),
    side(0), side(1), side(2), side(3),
    i32(bidLevels), i32(askLevels),
  ];
  if (schema.fields.some((f) => f.name === 'path')) children.push(i32(books.path!.slice(from, to)));
  if (schema.fields.some((f) => f.name === 'direction')) {
    const l = books.labels!;
    children.push(arrow.makeData({ type: new arrow.Int8(), length: n, data: Int8Array.from(l.direction.subarray(from, to)) }));
    children.push(f64(l.move.slice(from, to)), f64(l.magnitude.slice(from, to)), f64(l.volatility.slice(from, to)));
  }
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, children }));
}

// The IPC stream framing: a stream is the schema message, record-batch messages, then the
// end-of-stream marker. The library serialises whole streams, so a batch's own message is the
// stream of that one batch less the schema message in front and the marker behind.
export const END_OF_STREAM = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

/** The bytes that open a stream of `schema`. */
export function streamHead(schema: arrow.Schema): Uint8Array {
  const empty = arrow.tableToIPC(new arrow.Table(schema), 'stream');
  return empty.subarray(0, empty.length - END_OF_STREAM.length);
}

/** One record batch's message, to append after streamHead (and earlier batches). */
export function batchMessage(batch: arrow.RecordBatch, headLength: number): Uint8Array {
  const one = arrow.tableToIPC(new arrow.Table([batch]), 'stream');
  return one.subarray(headLength, one.length - END_OF_STREAM.length);
}

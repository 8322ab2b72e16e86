/**
 * Datasets on disk (schema.ts): writeDataset for books in memory (DepthModel snapshots, labelled
 * recordings), readDataset for any dataset file, a recorder's unfinished one included.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as arrow from 'apache-arrow';

import { HawkgraphError, describe } from '../errors';
import { type BookColumns, FORMAT, END_OF_STREAM, batchMessage, bookBatch, bookSchema, streamHead } from './schema';

/** Books a record batch holds when a dataset is written whole. */
const BATCH_BOOKS = 65536;

export interface WriteDatasetOptions {
  /** The symbol of every book when the books carry none (DepthModel snapshots); default 'sim'. */
  symbol?: string;
  /** Extra schema metadata (strings), e.g. how the labels were made. */
  metadata?: Record<string, string>;
  /** hawkgraph.source; default 'DepthModel' for snapshots without symbols, 'hawkgraph' otherwise. */
  source?: string;
}

/** Books with their symbols, as a dataset row set: DepthSnapshots (no symbols) or BookColumns. */
export type DatasetInput = Omit<BookColumns, 'symbol'> & { symbol?: string[] };

/**
 * Writes `books` to `file` as one Arrow IPC stream, atomically: into `file.partial`, fsynced, then
 * renamed, so `file` is either absent or whole.
 */
export function writeDataset(file: string, books: DatasetInput, options: WriteDatasetOptions = {}): void {
  if (typeof file !== 'string' || file.length === 0) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `file must be a path, got ${describe(file)}`);
  const symbol = books.symbol ?? new Array<string>(books.length).fill(options.symbol ?? 'sim');
  if (symbol.length !== books.length) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `symbol must have ${books.length} entries, got ${symbol.length}`);
  const source = options.source ?? (books.symbol === undefined ? 'DepthModel' : 'hawkgraph');
  const schema = bookSchema(books.levels, books.path !== undefined, books.labels !== undefined, { 'hawkgraph.source': source, ...(options.metadata ?? {}) });
  const head = streamHead(schema);
  const partial = `${file}.partial`;
  const fd = fs.openSync(partial, 'w');
  try {
    fs.writeSync(fd, head);
    const all = { ...books, symbol };
    for (let from = 0; from < books.length; from += BATCH_BOOKS) {
      fs.writeSync(fd, batchMessage(bookBatch(schema, all, from, Math.min(books.length, from + BATCH_BOOKS)), head.length));
    }
    fs.writeSync(fd, END_OF_STREAM);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, file);
  syncDirectory(path.dirname(file));
}

/** Makes a rename durable (the directory entry), where the platform allows. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not every platform fsyncs directories (Windows); the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface Dataset extends BookColumns {
  /** The schema metadata. */
  metadata: Record<string, string>;
  /** The file ended inside a record batch (a recorder stopped mid-write): the books before it are here. */
  truncated: boolean;
}

/**
 * Reads a dataset file (a finished one, or a recorder's `.partial`: every whole batch in it) into
 * BookColumns. ERR_DATASET naming the file for anything that is not a hawkgraph books dataset.
 */
export function readDataset(file: string): Dataset {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new HawkgraphError('ERR_DATASET', `cannot read dataset ${file}: ${(err as Error).message}`);
  }
  const batches: arrow.RecordBatch[] = [];
  let truncated = false;
  let schema: arrow.Schema | undefined;
  try {
    const reader = arrow.RecordBatchReader.from(bytes);
    reader.open();
    schema = reader.schema;
    for (;;) {
      let next: IteratorResult<arrow.RecordBatch>;
      try {
        next = reader.next();
      } catch {
        truncated = true; // a batch cut short: keep what came before it
        break;
      }
      if (next.done) break;
      batches.push(next.value);
    }
  } catch (err) {
    throw new HawkgraphError('ERR_DATASET', `${file} is not an Arrow IPC stream: ${(err as Error).message}`);
  }
  const meta = Object.fromEntries(schema?.metadata ?? new Map<string, string>());
  if (meta['hawkgraph.format'] !== FORMAT) {
    throw new HawkgraphError('ERR_DATASET', `${file} is not a hawkgraph books dataset (hawkgraph.format ${describe(meta['hawkgraph.format'])}, expected ${FORMAT})`);
  }
  return fromBatches(file, batches, meta, truncated);
}

function fromBatches(file: string, batches: arrow.RecordBatch[], metadata: Record<string, string>, truncated: boolean): Dataset {
  const levels = Number(metadata['hawkgraph.levels']);
  if (!(Number.isInteger(levels) && levels >= 1)) throw new HawkgraphError('ERR_DATASET', `${file}: hawkgraph.levels must be an integer >= 1, got ${describe(metadata['hawkgraph.levels'])}`);
  const n = batches.reduce((s, b) => s + b.numRows, 0), w = 4 * levels;
  const out: Dataset = {
    levels, length: n, columns: new Float64Array(n * w), counts: new Int32Array(2 * n), time: new Float64Array(n), symbol: new Array<string>(n), metadata, truncated,
  };
  const has = (name: string) => batches.length > 0 && batches[0].schema.fields.some((f) => f.name === name);
  if (has('path')) out.path = new Int32Array(n);
  if (has('direction')) out.labels = { direction: new Int32Array(n), move: new Float64Array(n), magnitude: new Float64Array(n), volatility: new Float64Array(n) };
  let at = 0;
  for (const b of batches) {
    const m = b.numRows;
    const sides = ['bid_px', 'bid_sz', 'ask_px', 'ask_sz'].map((name) => b.getChild(name)!.data[0].children[0].values as Float64Array);
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < 4; k++) out.columns.set(sides[k].subarray(i * levels, (i + 1) * levels), (at + i) * w + k * levels);
    }
    const column = <T extends ArrayLike<unknown>>(name: string) => b.getChild(name)!.toArray() as unknown as T;
    out.time.set(column<Float64Array>('time'), at);
    const bidLevels = column<Int32Array>('bid_levels'), askLevels = column<Int32Array>('ask_levels');
    for (let i = 0; i < m; i++) {
      out.counts[2 * (at + i)] = bidLevels[i];
      out.counts[2 * (at + i) + 1] = askLevels[i];
    }
    const symbols = b.getChild('symbol')!;
    for (let i = 0; i < m; i++) out.symbol[at + i] = symbols.get(i) as string;
    if (out.path) out.path.set(column<Int32Array>('path'), at);
    if (out.labels) {
      out.labels.direction.set(column<Int8Array>('direction'), at);
      for (const name of ['move', 'magnitude', 'volatility'] as const) out.labels[name].set(column<Float64Array>(name), at);
    }
    at += m;
  }
  return out;
}

/**
 * The BookRecorder's writer (a worker thread): encodes each batch of books it is handed as an
 * Arrow record batch, appends it to the current file, fsyncs as the policy says, rotates files by
 * size or age, and hands the batch's buffers back for reuse. A file is written as `name.partial`
 * and renamed to `name` once finished, so a finished file is always whole, and the unfinished one
 * holds every batch written before a crash (readDataset reads it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

import type { Schema } from 'apache-arrow';

import { syncDirectory } from './file';
import { END_OF_STREAM, batchMessage, bookBatch, bookSchema, streamHead } from './schema';

export interface WriterConfig {
  dir: string;
  prefix: string;
  levels: number;
  rotateBytes: number;
  rotateSeconds: number;
  fsync: 'batch' | 'rotate' | 'none';
}

export interface BatchMessage {
  type: 'batch';
  id: number;
  length: number;
  columns: Float64Array;
  counts: Int32Array;
  time: Float64Array;
  symbol: string[];
}

export type WriterRequest = BatchMessage | { type: 'close' };

export type WriterReply =
  | { type: 'written'; id: number; columns: Float64Array; counts: Int32Array; time: Float64Array; bytes: number }
  | { type: 'file'; file: string }
  | { type: 'error'; message: string }
  | { type: 'closed' };

class Writer {
  readonly #schema: Schema;
  readonly #head: Uint8Array;
  #fd: number | undefined;
  #file = '';
  #bytes = 0;
  #opened = 0;
  #seq = 0;

  constructor(private readonly config: WriterConfig) {
    this.#schema = bookSchema(config.levels, false, false, { 'hawkgraph.source': 'BookRecorder' });
    this.#head = streamHead(this.#schema);
  }

  write(m: BatchMessage): number {
    if (this.#fd === undefined) this.#open();
    const books = { levels: this.config.levels, length: m.length, columns: m.columns, counts: m.counts, time: m.time, symbol: m.symbol };
    const bytes = batchMessage(bookBatch(this.#schema, books, 0, m.length), this.#head.length);
    fs.writeSync(this.#fd!, bytes);
    this.#bytes += bytes.length;
    if (this.config.fsync === 'batch') fs.fsyncSync(this.#fd!);
    const age = (Date.now() - this.#opened) / 1000;
    if (this.#bytes >= this.config.rotateBytes || age >= this.config.rotateSeconds) this.finish();
    return bytes.length;
  }

  /** Ends the current file (if any): end-of-stream marker, fsync, close, rename. */
  finish(): void {
    if (this.#fd === undefined) return;
    fs.writeSync(this.#fd, END_OF_STREAM);
    if (this.config.fsync !== 'none') fs.fsyncSync(this.#fd);
    fs.closeSync(this.#fd);
    this.#fd = undefined;
    fs.renameSync(`${this.#file}.partial`, this.#file);
    if (this.config.fsync !== 'none') syncDirectory(this.config.dir);
    parentPort!.postMessage({ type: 'file', file: this.#file } satisfies WriterReply);
  }

  #open(): void {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    this.#file = path.join(this.config.dir, `${this.config.prefix}-${stamp}-${String(this.#seq++).padStart(4, '0')}.arrows`);
    this.#fd = fs.openSync(`${this.#file}.partial`, 'wx');
    fs.writeSync(this.#fd, this.#head);
    this.#bytes = this.#head.length;
    this.#opened = Date.now();
  }
}

const writer = new Writer(workerData as WriterConfig);
parentPort!.on('message', (m: WriterRequest) => {
  try {
    if (m.type === 'close') {
      writer.finish();
      parentPort!.postMessage({ type: 'closed' } satisfies WriterReply);
      return;
    }
    const bytes = writer.write(m);
    const reply: WriterReply = { type: 'written', id: m.id, columns: m.columns, counts: m.counts, time: m.time, bytes };
    parentPort!.postMessage(reply, [m.columns.buffer as ArrayBuffer, m.counts.buffer as ArrayBuffer, m.time.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ type: 'error', message: (err as Error).message } satisfies WriterReply);
  }
});

/**
 * BookRecorder: a bot's live books to dataset files (schema.ts), off the JS thread. record() packs
 * a book into the current batch (preallocated columns: no allocation per book); a full batch, or
 * one older than flushIntervalMs, goes to the writer thread (recorder-worker.ts) with its buffers
 * transferred, and comes back for reuse once written. Memory is bounded: when maxPendingBatches
 * batches are with the writer, record() drops the book (counted) rather than block the bot.
 * A crash loses at most the books not yet handed over; a finished file is never half written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { EventEmitter } from 'eventemitter3';

import { HawkgraphError, describe } from '../errors';
import { type Book, packBookInto } from '../gnn/book';
import { LIMITS } from '../native/layouts';
import { checkKeys, integerOption, numberOption, optionError } from '../options';
import type { BatchMessage, WriterConfig, WriterReply } from './recorder-worker';

export interface BookRecorderOptions {
  /** Levels a side kept per book (deeper ones are cut); default 20. */
  levels?: number;
  /** File names: `<prefix>-<UTC start>-<seq>.arrows`; default 'books'. */
  prefix?: string;
  /** Books per record batch: the unit of writing and of loss in a crash; default 4096. */
  batchBooks?: number;
  /** A partial batch is handed to the writer after this long (ms); default 1000. */
  flushIntervalMs?: number;
  /** A file is finished and a new one started past this size; default 256 MiB. */
  rotateBytes?: number;
  /** ... or this age (seconds); default 3600. */
  rotateSeconds?: number;
  /** fsync after every batch (default), only when a file is finished, or never. */
  fsync?: 'batch' | 'rotate' | 'none';
  /** Batches with the writer before record() drops books; default 8 (memory: that many batches + 1). */
  maxPendingBatches?: number;
}

export interface BookRecorderStats {
  recorded: number;
  /** Books refused because the writer was behind (or had failed). */
  dropped: number;
  /** Batches written. */
  batches: number;
  /** Bytes written. */
  bytes: number;
  /** Finished files, oldest first. */
  files: string[];
}

interface BatchBuffers {
  columns: Float64Array;
  counts: Int32Array;
  time: Float64Array;
}

const KEYS = new Set(['levels', 'prefix', 'batchBooks', 'flushIntervalMs', 'rotateBytes', 'rotateSeconds', 'fsync', 'maxPendingBatches']);

export class BookRecorder extends EventEmitter<{ file: [string]; error: [HawkgraphError] }> {
  readonly dir: string;
  readonly levels: number;
  readonly #batchBooks: number;
  readonly #worker: Worker;
  readonly #free: BatchBuffers[] = [];
  #current: BatchBuffers | undefined;
  #symbols: string[] = [];
  #length = 0;
  #nextId = 0;
  #pending = new Map<number, () => void>();
  #tail: Promise<void> = Promise.resolve(); // the last batch handed over (the writer keeps their order)
  #timer: ReturnType<typeof setInterval>;
  #error: HawkgraphError | undefined;
  #closing: Promise<BookRecorderStats> | undefined;
  readonly #stats: BookRecorderStats = { recorded: 0, dropped: 0, batches: 0, bytes: 0, files: [] };

  constructor(dir: string, options: BookRecorderOptions = {}) {
    super();
    if (typeof dir !== 'string' || dir.length === 0) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `dir must be a directory path, got ${describe(dir)}`);
    if (options === null || typeof options !== 'object') optionError(`BookRecorder options must be an object, got ${describe(options)}`);
    checkKeys(options, KEYS, 'BookRecorder option');
    this.levels = integerOption(options.levels, 'levels', 20, 1, LIMITS.maxBatchLevels);
    this.#batchBooks = integerOption(options.batchBooks, 'batchBooks', 4096, 1, 1 << 20);
    const flushMs = integerOption(options.flushIntervalMs, 'flushIntervalMs', 1000, 1, 3_600_000);
    const fsyncPolicy = options.fsync ?? 'batch';
    if (fsyncPolicy !== 'batch' && fsyncPolicy !== 'rotate' && fsyncPolicy !== 'none') optionError(`fsync must be 'batch', 'rotate' or 'none', got ${describe(fsyncPolicy)}`);
    const prefix = options.prefix ?? 'books';
    if (typeof prefix !== 'string' || !/^[\w.-]+$/.test(prefix)) optionError(`prefix must be letters, digits, '.', '-' or '_', got ${describe(prefix)}`);
    const config: WriterConfig = {
      dir: path.resolve(dir),
      prefix,
      levels: this.levels,
      rotateBytes: numberOption(options.rotateBytes, 'rotateBytes', 256 * 2 ** 20, (x) => x >= 1, 'a number of bytes >= 1'),
      rotateSeconds: numberOption(options.rotateSeconds, 'rotateSeconds', 3600, (x) => x > 0, 'a number of seconds > 0'),
      fsync: fsyncPolicy,
    };
    const pendingMax = integerOption(options.maxPendingBatches, 'maxPendingBatches', 8, 1, 1024);
    try {
      fs.mkdirSync(config.dir, { recursive: true });
    } catch (err) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `cannot create the recording directory ${config.dir}: ${(err as Error).message}`);
    }
    this.dir = config.dir;
    for (let q = 0; q <= pendingMax; q++) this.#free.push(this.#buffers());
    this.#current = this.#free.pop();
    this.#worker = new Worker(path.join(__dirname, 'recorder-worker.js'), { workerData: config });
    this.#worker.on('message', (m: WriterReply) => this.#reply(m));
    this.#worker.on('error', (err) => this.#fail(`the recorder's writer stopped: ${err.message}`));
    this.#worker.unref();
    this.#timer = setInterval(() => void this.#handOver(), flushMs);
    this.#timer.unref();
  }

  /**
   * Adds a book (as predict() takes it; the first `levels` levels a side) at `time` (seconds,
   * default now). False when it was dropped: the writer is behind or has failed.
   */
  record(symbol: string, book: Book, time: number = Date.now() / 1000): boolean {
    if (this.#closing !== undefined) throw new HawkgraphError('ERR_INVALID_ARGUMENT', 'the recorder is closed');
    if (typeof symbol !== 'string') throw new HawkgraphError('ERR_INVALID_ARGUMENT', `symbol must be a string, got ${describe(symbol)}`);
    if (typeof time !== 'number' || !Number.isFinite(time)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `time must be a finite number of seconds, got ${describe(time)}`);
    const b = this.#current;
    if (b === undefined || this.#error !== undefined) {
      this.#stats.dropped++;
      return false;
    }
    const i = this.#length, w = 4 * this.levels;
    b.columns.fill(0, i * w, (i + 1) * w);
    packBookInto(book, b.columns, i * w, this.levels, b.counts, 2 * i, 'book');
    b.time[i] = time;
    this.#symbols.push(symbol);
    this.#length = i + 1;
    this.#stats.recorded++;
    if (this.#length === this.#batchBooks) void this.#handOver();
    return true;
  }

  /** What was recorded, dropped and written so far. */
  get stats(): Readonly<BookRecorderStats> {
    return { ...this.#stats, files: [...this.#stats.files] };
  }

  /** Hands the current batch to the writer and resolves once it is written (and fsynced, per policy). */
  flush(): Promise<void> {
    return this.#handOver().then(() => {
      if (this.#error) throw this.#error;
    });
  }

  /** Writes what is left, finishes the file and stops the writer thread. */
  close(): Promise<BookRecorderStats> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      clearInterval(this.#timer);
      await this.#handOver();
      await new Promise<void>((resolve) => {
        this.#pending.set(-1, resolve);
        this.#worker.ref();
        this.#worker.postMessage({ type: 'close' });
      });
      await this.#worker.terminate();
      if (this.#error) throw this.#error;
      return this.stats;
    })();
    return this.#closing;
  }

  #buffers(): BatchBuffers {
    return {
      columns: new Float64Array(this.#batchBooks * 4 * this.levels),
      counts: new Int32Array(2 * this.#batchBooks),
      time: new Float64Array(this.#batchBooks),
    };
  }

  // The current batch to the writer (if it holds books), and the next free one in its place;
  // resolves once everything handed over so far is written.
  #handOver(): Promise<void> {
    const b = this.#current;
    if (b === undefined || this.#length === 0 || this.#error) return this.#tail;
    const id = this.#nextId++;
    const message: BatchMessage = { type: 'batch', id, length: this.#length, columns: b.columns, counts: b.counts, time: b.time, symbol: this.#symbols };
    this.#tail = new Promise<void>((resolve) => this.#pending.set(id, resolve));
    this.#worker.ref(); // written before the process may exit
    this.#worker.postMessage(message, [b.columns.buffer as ArrayBuffer, b.counts.buffer as ArrayBuffer, b.time.buffer as ArrayBuffer]);
    this.#symbols = [];
    this.#length = 0;
    this.#current = this.#free.pop();
    return this.#tail;
  }

  #reply(m: WriterReply): void {
    if (m.type === 'written') {
      this.#stats.batches++;
      this.#stats.bytes += m.bytes;
      const b = { columns: m.columns, counts: m.counts, time: m.time };
      if (this.#current === undefined) this.#current = b;
      else this.#free.push(b);
      this.#pending.get(m.id)?.();
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref(); // idle: the recorder alone keeps no process alive
    } else if (m.type === 'file') {
      this.#stats.files.push(m.file);
      this.emit('file', m.file);
    } else if (m.type === 'closed') {
      this.#pending.get(-1)?.();
      this.#pending.delete(-1);
    } else {
      this.#fail(`the recorder's writer failed: ${m.message}`);
    }
  }

  #fail(message: string): void {
    if (this.#error) return;
    this.#error = new HawkgraphError('ERR_DATASET', message);
    for (const resolve of this.#pending.values()) resolve();
    this.#pending.clear();
    if (this.listenerCount('error') > 0) this.emit('error', this.#error);
  }
}

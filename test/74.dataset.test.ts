// The dataset format (Arrow IPC streams) and BookRecorder:
// - DepthModel snapshots round-trip through writeDataset / readDataset, and pyarrow and polars read
//   the same values (skipped, saying why, where python3 has no pyarrow);
// - a recorder's files hold exactly the books recorded, rotate by size, and are renamed only when
//   whole; a recorder killed mid-run leaves every flushed batch readable;
// - labels of recorded books from each symbol's own future match a hand computation.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { BookRecorder, DepthModel, labelBooks, readDataset, writeDataset } from '../dist/index.js';
import { refused } from './helpers/errors';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-dataset-'));

function hasPyarrow(): boolean {
  try {
    execFileSync('python3', ['-c', 'import pyarrow, polars'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('datasets', () => {
  const snapshots = new DepthModel().simulate({ paths: 3, seed: 4, duration: 30 });

  it('round-trip DepthModel snapshots with their labels and paths', () => {
    const file = path.join(tmp(), 'sim.arrows');
    writeDataset(file, snapshots, { metadata: { 'hawkgraph.horizon': '0.1s' } });
    expect(fs.existsSync(`${file}.partial`)).toBe(false);
    const d = readDataset(file);
    expect(d.truncated).toBe(false);
    expect(d.length).toBe(snapshots.length);
    expect(d.levels).toBe(snapshots.levels);
    expect(d.columns).toEqual(snapshots.columns);
    expect(d.counts).toEqual(snapshots.counts);
    expect(d.time).toEqual(snapshots.time);
    expect(d.path).toEqual(snapshots.path);
    expect(d.labels!.move).toEqual(snapshots.labels.move);
    expect(Array.from(d.labels!.direction)).toEqual(Array.from(snapshots.labels.direction));
    expect(d.symbol.every((s) => s === 'sim')).toBe(true);
    expect(d.metadata['hawkgraph.source']).toBe('DepthModel');
    expect(d.metadata['hawkgraph.horizon']).toBe('0.1s');
  });

  it.runIf(hasPyarrow())('are read as they are by pyarrow and polars', () => {
    const file = path.join(tmp(), 'sim.arrows');
    writeDataset(file, snapshots);
    const script = [
      'import sys, json, pyarrow as pa, polars as pl',
      't = pa.ipc.open_stream(sys.argv[1]).read_all()',
      'bid = t.column("bid_px").combine_chunks().flatten().to_numpy().reshape(t.num_rows, -1)',
      'df = pl.read_ipc_stream(sys.argv[1])',
      'print(json.dumps({"rows": t.num_rows, "levels": int(t.schema.metadata[b"hawkgraph.levels"]), "bid0": bid[:, 0].tolist()[:50],',
      '  "move": t.column("move").to_pylist()[:50], "polars_rows": df.height, "polars_dir": df["direction"].to_list()[:50],',
      '  "symbols": sorted(set(df["symbol"].to_list()))}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
    expect(out.rows).toBe(snapshots.length);
    expect(out.polars_rows).toBe(snapshots.length);
    expect(out.levels).toBe(20);
    const L = snapshots.levels;
    expect(out.bid0).toEqual(Array.from({ length: 50 }, (_, i) => snapshots.columns[i * 4 * L]));
    expect(out.move).toEqual(Array.from(snapshots.labels.move.subarray(0, 50)));
    expect(out.polars_dir).toEqual(Array.from(snapshots.labels.direction.subarray(0, 50)));
    expect(out.symbols).toEqual(['sim']);
  });
  if (!hasPyarrow()) console.log('test/74: python3 with pyarrow and polars not found: the pyarrow/polars reading check is skipped');

  it('read the whole batches of a file cut short, saying so', () => {
    const file = path.join(tmp(), 'sim.arrows');
    writeDataset(file, { ...snapshots, symbol: undefined });
    const bytes = fs.readFileSync(file);
    const cut = path.join(path.dirname(file), 'cut.arrows');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    const d = readDataset(cut);
    expect(d.truncated).toBe(true);
    expect(d.length).toBe(0); // one batch of 65,536 rows holds them all: cut, none is whole
    refused(() => readDataset(path.join(path.dirname(file), 'missing.arrows')), 'ERR_DATASET', /missing\.arrows/);
    const junk = path.join(path.dirname(file), 'junk.arrows');
    fs.writeFileSync(junk, 'not arrow');
    refused(() => readDataset(junk), 'ERR_DATASET', /junk\.arrows/);
  });
});

const book = (i: number) => ({
  bids: [[100 - 0.01 * (i % 7), 1 + (i % 5)], [99.5, 2]],
  asks: [[100.01 + 0.01 * (i % 3), 3], [100.5, 1 + (i % 4)], [101, 9]],
});

describe('BookRecorder', () => {
  it('writes exactly the books recorded, in order, rotating files by size, each renamed when whole', async () => {
    const dir = tmp();
    const rec = new BookRecorder(dir, { levels: 4, batchBooks: 500, rotateBytes: 200_000, prefix: 'feed' });
    const files: string[] = [];
    rec.on('file', (f) => files.push(f));
    const n = 12_000;
    for (let i = 0; i < n; i++) {
      expect(rec.record(i % 3 === 0 ? 'BTC-USD' : 'ETH-USD', book(i), 1000 + i * 1e-3)).toBe(true);
      if (i % 2000 === 1999) await rec.flush(); // the writer keeps up (8 batches may wait for it)
    }
    const stats = await rec.close();
    expect(stats.recorded).toBe(n);
    expect(stats.dropped).toBe(0);
    expect(stats.files.length).toBeGreaterThan(2);
    expect(files).toEqual(stats.files);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    let i = 0;
    for (const f of stats.files) {
      const d = readDataset(f);
      expect(d.truncated).toBe(false);
      expect(d.metadata['hawkgraph.source']).toBe('BookRecorder');
      for (let k = 0; k < d.length; k++, i++) {
        const b = book(i), base = k * 16;
        expect(d.symbol[k]).toBe(i % 3 === 0 ? 'BTC-USD' : 'ETH-USD');
        expect(d.time[k]).toBe(1000 + i * 1e-3);
        expect([d.counts[2 * k], d.counts[2 * k + 1]]).toEqual([2, 3]);
        expect(Array.from(d.columns.subarray(base, base + 16))).toEqual([
          b.bids[0][0], b.bids[1][0], 0, 0, b.bids[0][1], b.bids[1][1], 0, 0,
          ...b.asks.map((l) => l[0]), 0, ...b.asks.map((l) => l[1]), 0,
        ]);
      }
    }
    expect(i).toBe(n);
  });

  it('drops books, counted, when the writer is behind, and never blocks', async () => {
    const rec = new BookRecorder(tmp(), { levels: 2, batchBooks: 10, maxPendingBatches: 1 });
    let kept = 0;
    for (let i = 0; i < 1000; i++) kept += Number(rec.record('X', book(i)));
    const stats = await rec.close();
    // Without the event loop turning, two batches (the one with the writer, the current) hold books.
    expect(kept).toBe(20);
    expect(stats.dropped).toBe(980);
    expect(stats.recorded).toBe(20);
  });

  it('leaves every flushed batch readable when its process is killed', async () => {
    const dir = tmp();
    const script = `
      const { BookRecorder } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))});
      const rec = new BookRecorder(${JSON.stringify(dir)}, { levels: 3, batchBooks: 100, fsync: 'batch' });
      let i = 0;
      (async () => {
        for (;;) {
          for (let k = 0; k < 100; k++, i++) rec.record('S', { bids: [[99, 1 + (i % 9)]], asks: [[101, 2]] }, i);
          await rec.flush();
          process.stdout.write('flushed ' + i + '\\n');
        }
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let flushed = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const m = /flushed (\d+)\n$/.exec(chunk.toString());
        if (m) flushed = Number(m[1]);
        if (flushed >= 2000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const partial = fs.readdirSync(dir).filter((f) => f.endsWith('.partial'));
    expect(partial.length).toBe(1);
    const d = readDataset(path.join(dir, partial[0]));
    expect(d.length).toBeGreaterThanOrEqual(flushed);
    for (let k = 0; k < d.length; k++) {
      expect(d.time[k]).toBe(k);
      expect(d.columns[k * 12 + 3]).toBe(1 + (k % 9));
    }
  });

  it('refuses bad options and inputs, naming them', async () => {
    refused(() => new BookRecorder(tmp(), { fsync: 'always' as never }), 'ERR_INVALID_OPTION', /fsync/);
    refused(() => new BookRecorder(tmp(), { batchBooks: 0 }), 'ERR_INVALID_OPTION', /batchBooks/);
    refused(() => new BookRecorder(tmp(), { prefix: '../x' }), 'ERR_INVALID_OPTION', /prefix/);
    refused(() => new BookRecorder(tmp(), { rotate: 1 } as never), 'ERR_INVALID_OPTION', /rotate/);
    const rec = new BookRecorder(tmp());
    refused(() => rec.record('X', { bids: 'no' } as never), 'ERR_BOOK_TYPE', /book/);
    refused(() => rec.record('X', book(0), Number.NaN), 'ERR_INVALID_ARGUMENT', /time/);
    await rec.close();
    refused(() => rec.record('X', book(0)), 'ERR_INVALID_ARGUMENT', /closed/);
  });
});

describe('labelBooks', () => {
  it("labels each symbol's books from its own future, in ticks", () => {
    // Two symbols interleaved; A's mid steps up a tick every book, B's down two every other book.
    const n = 40, L = 1, tick = 0.5;
    const columns = new Float64Array(n * 4), counts = new Int32Array(2 * n).fill(1), time = new Float64Array(n), symbol: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = i >> 1, a = i % 2 === 0;
      const mid = a ? 100 + k * tick : 200 - 2 * tick * (k >> 1);
      columns.set([mid - tick, 1, mid + tick, 1], i * 4);
      time[i] = k * 0.1;
      symbol.push(a ? 'A' : 'B');
    }
    const books = { levels: L, length: n, columns, counts, time, symbol };
    const byEvents = labelBooks(books, { tick, horizon: { events: 3 } });
    expect(byEvents.move[0]).toBe(3); // A: three books later, three ticks up
    expect(byEvents.direction[0]).toBe(2);
    expect(byEvents.volatility[0]).toBeCloseTo(Math.sqrt(3), 12);
    expect(byEvents.move[1]).toBe(-2); // B: books 0 -> 3 see one two-tick step down (at its book 2)
    expect(byEvents.direction[1]).toBe(0);
    expect(byEvents.direction[n - 2]).toBe(-1); // no third later book
    expect(byEvents.move[n - 2]).toBeNaN();
    const bySeconds = labelBooks(books, { tick, horizon: { seconds: 0.25 }, flatBand: 2, magnitudeScale: 4 });
    expect(bySeconds.move[0]).toBe(2); // A's books at 0.1 and 0.2 are within 0.25 s: two ticks
    expect(bySeconds.direction[0]).toBe(1); // within the flat band of 2
    expect(bySeconds.magnitude[0]).toBeCloseTo(1 - Math.exp(-0.5), 12);
    refused(() => labelBooks(books, { tick: 0 }), 'ERR_INVALID_OPTION', /tick/);
  });

  // The label formulas stand twice: in the native simulator (over its event log) and here (over a
  // recording's books). With a snapshot after every event the two see the same mid path, so every
  // book labelBooks labels must get DepthModel's own labels.
  it.each([{ seconds: 0.05 }, { events: 4 }])('gives the labels DepthModel gives its own every-event books (horizon %o)', (horizon) => {
    const model = new DepthModel({ window: 30 });
    const tick = model.params.tick;
    const s = model.simulate({ paths: 3, seed: 7, interval: 0, warmup: 5, duration: 10, levels: 10, horizon, flatBand: 1, magnitudeScale: 2 });
    const books = { levels: s.levels, length: s.length, columns: s.columns, counts: s.counts, time: s.time, symbol: Array.from(s.path, (p) => `P${p}`) };
    const ours = labelBooks(books, { tick, horizon, flatBand: 1, magnitudeScale: 2 });
    let labelled = 0, moves = 0;
    for (let i = 0; i < s.length; i++) {
      if (ours.direction[i] < 0) continue; // the recording ends before this book's horizon
      labelled++;
      if (s.labels.move[i] !== 0) moves++;
      expect(ours.direction[i]).toBe(s.labels.direction[i]);
      expect(Math.abs(ours.move[i] - s.labels.move[i])).toBeLessThan(1e-9);
      expect(Math.abs(ours.magnitude[i] - s.labels.magnitude[i])).toBeLessThan(1e-9);
      expect(Math.abs(ours.volatility[i] - s.labels.volatility[i])).toBeLessThan(1e-9);
    }
    expect(labelled).toBeGreaterThan(0.95 * s.length);
    expect(moves).toBeGreaterThan(0.1 * labelled);
  });
});

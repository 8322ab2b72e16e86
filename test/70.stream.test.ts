import { describe, expect, it } from 'vitest';

import { createEngine } from '../dist/index.js';
import type { DroppedEvent, Engine, PredictionEvent, StreamStats } from '../dist/index.js';
import { loadCases, modelPath, typed } from './helpers/fixtures';
import { randomBook } from './helpers/reference-model';
import { refusal } from './helpers/errors';

const cases = loadCases('pooled');
const nested = (i: number) => ({ bids: cases[i % cases.length].bids, asks: cases[i % cases.length].asks });

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));


// Every seq must end as exactly one prediction or one drop.
class Ledger {
  readonly seen: Uint8Array;
  predicted = 0;
  dropped = { superseded: 0, closed: 0, error: 0 };
  twice = 0;
  constructor(engine: Engine, capacity: number) {
    this.seen = new Uint8Array(capacity + 1);
    engine.on('prediction', (e) => {
      this.predicted++;
      this.mark(e.seq);
    });
    engine.on('dropped', (e) => {
      this.dropped[e.reason]++;
      this.mark(e.seq);
    });
  }
  mark(seq: number) {
    if (this.seen[seq]) this.twice++;
    this.seen[seq] = 1;
  }
  unseen(upTo: number): number {
    let n = 0;
    for (let s = 1; s <= upTo; s++) if (!this.seen[s]) n++;
    return n;
  }
}

function balanced(s: StreamStats): boolean {
  return s.submitted === s.predicted + s.dropped.total + s.pending;
}

describe('streaming predictions', () => {
  it('emits the same values as predict() on the same books', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const expected = cases.map((_, i) => engine.predict(nested(i)));
    const events = new Map<number, PredictionEvent>();
    engine.on('prediction', (e) => events.set(e.seq, e));
    const seqs = cases.map((c, i) => engine.submit(`S${i}`, i % 2 ? typed(c) : nested(i), { ts: 1000 + i }));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const stats = await engine.close();
    expect(stats).toMatchObject({ submitted: 64, predicted: 64, pending: 0, dropped: { total: 0 } });
    seqs.forEach((seq, i) => {
      const e = events.get(seq)!;
      const p = expected[i];
      expect(e).toMatchObject({ symbol: `S${i}`, seq, ts: 1000 + i, direction: p.direction, levelsUsed: p.levelsUsed });
      expect(e.probs).toEqual(p.probs);
      expect(e.logits).toEqual(p.logits);
      expect([e.confidence, e.magnitude, e.volatility]).toEqual([p.confidence, p.magnitude, p.volatility]);
      expect(e.queueNs).toBeGreaterThanOrEqual(0);
      expect(e.computeNs).toBeGreaterThan(0);
      expect(e.latencyNs).toBeGreaterThanOrEqual(e.queueNs);
    });
  });

  it('delivers through predictions() as an async iterator that ends at close', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const it = engine.predictions();
    for (let i = 0; i < 8; i++) engine.submit(`S${i}`, nested(i));
    const closing = engine.close({ drain: true });
    const got: PredictionEvent[] = [];
    for await (const p of it) got.push(p);
    await closing;
    expect(got.map((p) => p.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('keeps only the newest maxBuffered events for a slow iterator, and detaches on break', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const slow = engine.predictions({ maxBuffered: 4 });
    const quitter = engine.predictions();
    expect(engine.listenerCount('prediction')).toBe(2);
    for (let i = 0; i < 20; i++) engine.submit(`S${i}`, nested(i));
    for await (const p of quitter) {
      expect(p.seq).toBeGreaterThan(0);
      break;
    }
    expect(engine.listenerCount('prediction')).toBe(1);
    await engine.close();
    const got: number[] = [];
    for await (const p of slow) got.push(p.seq);
    expect(got).toEqual([17, 18, 19, 20]);
    expect(engine.listenerCount('prediction')).toBe(0);
  });

  it('lets the latest book win per symbol and accounts for every book (10 symbols x 100k burst)', async () => {
    const perSymbol = 100_000;
    const symbols = 10;
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { statsIntervalMs: 10 } });
    const ledger = new Ledger(engine, symbols * perSymbol);
    const statsSeen: StreamStats[] = [];
    engine.on('stats', (s) => statsSeen.push(s));
    const books = Array.from({ length: 16 }, (_, i) => typed(cases[i]));
    let seq = 0;
    for (let round = 0; round < perSymbol; round++) {
      for (let s = 0; s < symbols; s++) seq = engine.submit(`SYM${s}`, books[(round + s) % books.length]);
      // Yield now and then so events, drops and stats flow during the burst.
      if (round % 5000 === 4999) await tick();
    }
    expect(seq).toBe(symbols * perSymbol);
    const mid = engine.streamStats()!;
    expect(balanced(mid)).toBe(true);
    const final = (await engine.close())!;
    expect(final.submitted).toBe(symbols * perSymbol);
    expect(final.pending).toBe(0);
    expect(final.predicted + final.dropped.total).toBe(final.submitted);
    expect(final.dropped.closed).toBe(0);
    expect(final.dropped.superseded).toBeGreaterThan(0);
    expect(ledger.predicted).toBe(final.predicted);
    expect(ledger.dropped).toEqual({ superseded: final.dropped.superseded, closed: 0, error: 0 });
    expect(ledger.twice).toBe(0);
    expect(ledger.unseen(symbols * perSymbol)).toBe(0);
    // Each symbol's last book is never superseded, so it is predicted.
    expect(final.native.released).toBe(final.predicted);
    expect(statsSeen.length).toBeGreaterThan(0);
    for (const s of statsSeen) expect(balanced(s)).toBe(true);
    expect(statsSeen.at(-1)).toEqual(final);
    expect(final.batches).toBeGreaterThan(0);
  });

  it.each([true, false])('closes during load (drain: %s): exact accounting, no event after the promise', async (drain) => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { maxSymbols: 64, statsIntervalMs: 0 } });
    const ledger = new Ledger(engine, 200_000);
    let resolved = false;
    let late = 0;
    engine.on('prediction', () => void (resolved && late++));
    engine.on('dropped', () => void (resolved && late++));
    const books = Array.from({ length: 64 }, (_, i) => typed(cases[i]));
    let submitted = 0;
    for (let round = 0; round < 400; round++) {
      for (let s = 0; s < 64; s++) submitted = engine.submit(`S${s}`, books[(round * 7 + s) % 64]);
      if (round % 50 === 49) await tick();
    }
    const closing = engine.close({ drain });
    expect(engine.closed).toBe(true);
    expect(engine.close()).toBe(closing);
    expect(refusal(() => engine.submit('S0', books[0])).code).toBe('ERR_ENGINE_CLOSED');
    expect(refusal(() => engine.predict(books[0])).code).toBe('ERR_ENGINE_CLOSED');
    expect(refusal(() => engine.predictions()).code).toBe('ERR_ENGINE_CLOSED');
    const final = (await closing)!;
    resolved = true;
    expect(final.submitted).toBe(submitted);
    expect(final.pending).toBe(0);
    expect(final.predicted + final.dropped.total).toBe(submitted);
    expect(ledger.unseen(submitted)).toBe(0);
    expect(ledger.twice).toBe(0);
    expect(ledger.dropped.closed).toBe(final.dropped.closed);
    if (drain) expect(final.dropped.closed).toBe(0);
    // Give any stray event every chance to show up.
    for (let i = 0; i < 20; i++) await tick();
    expect(late).toBe(0);
  });

  it('holds memory to the slots and the block pool when JS does not yield (backpressure)', async () => {
    const maxBatch = 4;
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { maxBatch, maxSymbols: 50, statsIntervalMs: 0 } });
    const books = Array.from({ length: 16 }, (_, i) => typed(cases[i]));
    // No yield: nothing reaches JS, so the thread fills the result blocks and then waits.
    for (let k = 0; k < 100_000; k++) engine.submit(`S${k % 50}`, books[k % 16]);
    const s = engine.streamStats()!;
    expect(s.submitted).toBe(100_000);
    expect(s.native.queued).toBeLessThanOrEqual(50);
    expect(s.native.inFlight).toBeLessThanOrEqual(maxBatch);
    expect(s.native.inDelivery).toBeLessThanOrEqual(4 * maxBatch);
    expect(balanced(s)).toBe(true);
    const final = (await engine.close())!;
    expect(final.predicted + final.dropped.total).toBe(100_000);
  });

  it('drops what is still queued as closed, predicting at most what the block pool held', async () => {
    for (const drain of [false, true]) {
      const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { maxBatch: 1, statsIntervalMs: 0 } });
      const ledger = new Ledger(engine, 64);
      // One synchronous tick: the thread can fill its 4 blocks and compute one more, no further.
      for (let i = 0; i < 64; i++) engine.submit(`S${i}`, nested(i));
      const final = (await engine.close({ drain }))!;
      expect(final.submitted).toBe(64);
      expect(final.dropped.superseded).toBe(0);
      if (drain) {
        expect(final.predicted).toBe(64);
      } else {
        expect(final.predicted).toBeLessThanOrEqual(5);
        expect(final.dropped.closed).toBe(64 - final.predicted);
      }
      expect(ledger.unseen(64)).toBe(0);
      expect(ledger.twice).toBe(0);
    }
  });

  it('refuses bad input to submit() synchronously, with the codes predict() uses', () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { maxSymbols: 2, statsIntervalMs: 0 } });
    const good = nested(0);
    const bad: unknown[] = [
      null,
      42,
      { bids: good.bids },
      { bids: [], asks: good.asks },
      { bids: good.bids.map((l, k) => (k === 3 ? [l[0], Number.NaN] : l)), asks: good.asks },
      { bids: good.bids.map((l, k) => (k === 0 ? [l[0], -1] : l)), asks: good.asks },
      { bids: good.bids.map((l, k) => (k === 5 ? [good.bids[2][0], l[1]] : l)), asks: good.asks },
      { bids: [[good.asks[0][0] + 1, 1]], asks: good.asks },
      { bids: good.bids.map((l, k) => (k === 1 ? ['1', l[1]] : l)), asks: good.asks },
      { bidPx: new Float64Array(3), bidSz: new Float64Array(2), askPx: new Float64Array(1), askSz: new Float64Array(1) },
      { bidPx: [1], bidSz: new Float64Array(1), askPx: new Float64Array(1), askSz: new Float64Array(1) },
    ];
    for (const book of bad) {
      const fromPredict = refusal(() => engine.predict(book as never));
      const fromSubmit = refusal(() => engine.submit('S', book as never));
      expect(fromSubmit.code).toBe(fromPredict.code);
      expect(fromSubmit.message).toBe(fromPredict.message);
    }
    expect(refusal(() => engine.submit('' as never, good)).code).toBe('ERR_INVALID_ARGUMENT');
    expect(refusal(() => engine.submit(7 as never, good)).code).toBe('ERR_INVALID_ARGUMENT');
    expect(refusal(() => engine.submit('S', good, { ts: Number.NaN })).code).toBe('ERR_INVALID_ARGUMENT');
    // Refused books claimed no symbol: two fit, the third is refused with its own code.
    engine.submit('A', good);
    engine.submit('B', good);
    engine.submit('A', good);
    const full = refusal(() => engine.submit('C', good));
    expect(full.code).toBe('ERR_MAX_SYMBOLS');
    expect(full.message).toMatch(/maxSymbols \(2\)/);
    expect(engine.streamStats()!.submitted).toBe(3);
    return engine.close();
  });

  it('validates stream options with ERR_INVALID_OPTION', () => {
    const bad = [
      { maxBatch: 0 }, { maxBatch: 1.5 }, { maxBatch: 5000 }, { maxWaitUs: -1 }, { maxSymbols: 0 }, { maxSymbols: 70_000 },
      { statsIntervalMs: 5 }, { statsIntervalMs: '100' }, { spinUs: -1 }, { spinUs: 20_000 }, { nope: 1 }, 'fast',
    ];
    for (const stream of bad) {
      expect(refusal(() => createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: stream as never })).code).toBe('ERR_INVALID_OPTION');
    }
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { maxBatch: 1, maxWaitUs: 200, maxSymbols: 1, statsIntervalMs: 0 } });
    expect(refusal(() => engine.close({ drain: 'yes' as never })).code).toBe('ERR_INVALID_OPTION');
    expect(engine.closed).toBe(false);
    return engine.close();
  });

  it('runs with batching windows, batch size 1 and a spinning thread alike', async () => {
    for (const stream of [{ maxBatch: 1 }, { maxBatch: 8, maxWaitUs: 300 }, { maxBatch: 4, spinUs: 2000 }]) {
      const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { ...stream, statsIntervalMs: 0 } });
      const want = cases.slice(0, 20).map((_, i) => engine.predict(nested(i)).logits);
      const got = new Map<string, number[]>();
      engine.on('prediction', (e) => got.set(e.symbol, e.logits));
      for (let i = 0; i < 20; i++) engine.submit(`S${i}`, nested(i));
      const final = (await engine.close())!;
      expect(final.predicted).toBe(20);
      expect(final.batchSizes.slice(stream.maxBatch + 1)).toEqual([]);
      for (let i = 0; i < 20; i++) expect(got.get(`S${i}`)).toEqual(want[i]);
    }
  });

  it('close() without a stream frees the engine at once and resolves', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    engine.predict(nested(0));
    const closing = engine.close();
    expect(engine.closed).toBe(true);
    expect(await closing).toBeUndefined();
  });

  it('handles books shallower than the model', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const books = [[3, 7], [20, 1], [1, 1], [8, 25]].map(([nb, na], i) => randomBook(nb, na, 11 + i));
    const want = books.map((b) => engine.predict(b));
    const got: PredictionEvent[] = [];
    engine.on('prediction', (e) => got.push(e));
    books.forEach((b, i) => engine.submit(`S${i}`, b));
    await engine.close();
    got.sort((a, b) => a.seq - b.seq);
    got.forEach((e, i) => {
      expect(e.levelsUsed).toBe(want[i].levelsUsed);
      expect(e.logits).toEqual(want[i].logits);
    });
  });

  it('reports superseded books with their symbol and seq', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const drops: DroppedEvent[] = [];
    const predicted: number[] = [];
    engine.on('dropped', (d) => drops.push(d));
    engine.on('prediction', (e) => predicted.push(e.seq));
    // A synchronous burst on one symbol: whatever the thread did not take in between is replaced.
    const seqs = Array.from({ length: 50 }, () => engine.submit('ONE', nested(1)));
    const final = (await engine.close())!;
    expect(final.predicted + drops.length).toBe(50);
    expect(predicted).toContain(seqs.at(-1));
    for (const d of drops) {
      expect(d.symbol).toBe('ONE');
      expect(d.reason).toBe('superseded');
    }
    expect(drops.map((d) => d.seq)).not.toContain(seqs.at(-1));
  });
});

describe('a spinning inference thread', () => {
  it('delivers books that arrive one at a time, spaced out, and closes promptly mid-spin', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { spinUs: 5000, statsIntervalMs: 0 } });
    const want = cases.slice(0, 10).map((_, i) => engine.predict(nested(i)).logits);
    const got: number[][] = [];
    for (let i = 0; i < 10; i++) {
      const next = new Promise<void>((resolve) => engine.once('prediction', (e) => { got.push(e.logits); resolve(); }));
      engine.submit(`S${i}`, nested(i));
      await next;
    }
    expect(got).toEqual(want);
    const stats = await engine.close();
    expect(stats).toMatchObject({ submitted: 10, predicted: 10, pending: 0, dropped: { total: 0 } });
  });
});

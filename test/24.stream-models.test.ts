// The stream's models side by side: every prediction event carries the book's mid at submit and
// the slot of the model that answered; an A/B split sends a stable, hash-chosen share of symbols
// to model B; shadow models see every book the primary predicts, on their own thread, and drop
// (counted) rather than hold the primary back.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { createEngine } from '../dist/index.js';
import type { Prediction, PredictionEvent, ShadowEvent } from '../dist/index.js';
import { refusal } from './helpers/errors';
import { loadCases, maxAbsDiff, modelPath, typed } from './helpers/fixtures';
import { randomModel, toSafetensors } from './helpers/reference-model';
import { writeSafetensors } from './helpers/safetensors';

const cases = loadCases('pooled');
const books = cases.map((c) => typed(c));
const pooledBytes = new Uint8Array(fs.readFileSync(modelPath('pooled')));
const levelsBytes = new Uint8Array(fs.readFileSync(modelPath('levels')));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

// The documented route, written out here: FNV-1a over the UTF-8 bytes, murmur3's finaliser, / 2^32.
function route(symbol: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(symbol, 'utf8')) h = Math.imul(h ^ b, 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

function reference(model: Uint8Array): Prediction[] {
  const engine = createEngine({ model, backend: 'cpu' });
  const out = books.map((b) => engine.predict(b));
  void engine.close();
  return out;
}

function worst(p: Omit<Prediction, 'embedding'>, q: Omit<Prediction, 'embedding'>): number {
  return Math.max(maxAbsDiff(p.logits, q.logits), Math.abs(p.magnitude - q.magnitude), Math.abs(p.volatility - q.volatility));
}

describe('stream prediction events', () => {
  it('carry the mid price at submit and the model slot', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const events = new Map<number, PredictionEvent>();
    engine.on('prediction', (e) => events.set(e.seq, e));
    const mids = new Map<number, number>();
    cases.forEach((c, i) => {
      const seq = engine.submit(`S${i}`, i % 2 ? typed(c) : { bids: c.bids, asks: c.asks });
      // Written plainly: best bid and best ask are the first level of each side.
      mids.set(seq, (c.bids[0][0] + c.asks[0][0]) / 2);
    });
    await engine.close();
    expect(events.size).toBe(cases.length);
    for (const [seq, e] of events) {
      expect(e.mid).toBe(mids.get(seq));
      expect(e.model).toBe('primary');
    }
  });
});

describe('A/B split', () => {
  const symbols = Array.from({ length: 2000 }, (_, i) => `PAIR${i}/USDT`);

  // Runs one book per symbol through an engine split { B: share } with model B loaded; returns the
  // slot each symbol's event named.
  async function slots(share: number, raiseTo?: number): Promise<{ slot: Map<string, string>; wrong: number; after?: Map<string, string> }> {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0, maxSymbols: 4096, split: { B: share } } });
    const expected = new Map([[sha256(pooledBytes), reference(pooledBytes)], [sha256(levelsBytes), reference(levelsBytes)]]);
    const slot = new Map<string, string>();
    const bookOf = new Map<number, number>();
    let wrong = 0;
    let into = slot;
    engine.on('prediction', (e) => {
      into.set(e.symbol, e.model);
      const id = e.model === 'B' ? sha256(levelsBytes) : sha256(pooledBytes);
      if (e.modelId !== id || !(worst(e, expected.get(id)![bookOf.get(e.seq)!]) < 1e-5)) wrong++;
    });
    expect(await engine.swapModel(levelsBytes, { slot: 'B' })).toEqual({ modelId: sha256(levelsBytes), modelName: undefined });
    const run = async () => {
      for (let i = 0; i < symbols.length; i++) {
        bookOf.set(engine.submit(symbols[i], books[i % books.length]), i % books.length);
        if (i % 64 === 63) await tick();
      }
      while (engine.streamStats()!.pending > 0) await tick();
    };
    await run();
    let after: Map<string, string> | undefined;
    if (raiseTo !== undefined) {
      engine.setSplit({ B: raiseTo });
      after = into = new Map();
      await run();
    }
    const stats = (await engine.close())!;
    expect(stats.dropped.total).toBe(0);
    // predict() always runs the primary.
    return { slot, wrong, after };
  }

  it('sends the symbols whose hash is below the share to B, within binomial tolerance', async () => {
    const share = 0.1;
    const { slot, wrong } = await slots(share);
    expect(slot.size).toBe(symbols.length);
    expect(wrong).toBe(0);
    let onB = 0;
    for (const s of symbols) {
      expect(slot.get(s), s).toBe(route(s) < share ? 'B' : 'primary');
      if (slot.get(s) === 'B') onB++;
    }
    // n p = 200, sd = sqrt(n p (1 - p)) = 13.4: within 4 sd (a hash that clusters names fails this).
    const sd = Math.sqrt(symbols.length * share * (1 - share));
    expect(Math.abs(onB - symbols.length * share)).toBeLessThan(4 * sd);
  });

  it('keeps each symbol on its model across restarts, and a larger share only adds symbols', async () => {
    const first = await slots(0.1, 0.3);
    const again = await slots(0.1);
    expect(again.slot).toEqual(first.slot);
    for (const s of symbols) {
      if (first.slot.get(s) === 'B') expect(first.after!.get(s)).toBe('B');
      expect(first.after!.get(s)).toBe(route(s) < 0.3 ? 'B' : 'primary');
    }
    // Another process: the route depends on the name alone.
    const script = `const { createEngine } = require(${JSON.stringify(path.resolve('dist/index.js'))});
      const e = createEngine({ model: ${JSON.stringify(modelPath('pooled'))}, backend: 'cpu', stream: { statsIntervalMs: 0, maxSymbols: 4096, split: { B: 0.1 } } });
      const out = {};
      e.on('prediction', (p) => (out[p.symbol] = p.model));
      e.swapModel(${JSON.stringify(modelPath('levels'))}, { slot: 'B' }).then(async () => {
        const book = ${JSON.stringify(cases[0])};
        for (const s of ${JSON.stringify(symbols.slice(0, 500))}) e.submit(s, { bids: book.bids, asks: book.asks });
        await e.close();
        process.stdout.write(JSON.stringify(out));
      });`;
    const child = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Record<string, string>;
    for (const s of symbols.slice(0, 500)) expect(child[s], s).toBe(first.slot.get(s));
  });

  it('accounts for every book per model across swaps of B mid-burst (10 symbols x 20k)', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0, split: { B: 0.5 } } });
    const a = sha256(pooledBytes), b = sha256(levelsBytes);
    const expected = new Map([[a, reference(pooledBytes)], [b, reference(levelsBytes)]]);
    const symbols = Array.from({ length: 10 }, (_, s) => `SYM${s}`);
    // Both slots must have symbols for the check to mean anything.
    expect(new Set(symbols.map((s) => route(s) < 0.5)).size).toBe(2);
    const total = 10 * 20_000;
    const bookOf = new Uint8Array(total + 1), seen = new Uint8Array(total + 1);
    const byModel = new Map<string, number>();
    let twice = 0, wrong = 0, bSeen = false;
    engine.on('prediction', (e) => {
      if (seen[e.seq]++) twice++;
      const key = `${e.model}:${e.modelId}`;
      byModel.set(key, (byModel.get(key) ?? 0) + 1);
      // B's symbols stay on the primary until B's first model is taken (between two batches), then never again.
      bSeen ||= e.model === 'B';
      const onB = route(e.symbol) < 0.5 && bSeen;
      const slotOk = e.model === (onB ? 'B' : 'primary') && (onB || e.modelId === a);
      if (!slotOk || !(worst(e, expected.get(e.modelId)![bookOf[e.seq]]) < 1e-5)) wrong++;
    });
    engine.on('dropped', (e) => void (seen[e.seq]++ && twice++));
    const swaps: Array<Promise<unknown>> = [];
    for (let round = 0; round < 20_000; round++) {
      if (round % 5000 === 0) swaps.push(engine.swapModel(round % 10_000 ? pooledBytes : levelsBytes, { slot: 'B' }));
      symbols.forEach((s, k) => (bookOf[engine.submit(s, books[(round + k) % books.length])] = (round + k) % books.length));
      if (round % 1000 === 999) await tick();
    }
    await Promise.all(swaps);
    const final = (await engine.close())!;
    const predicted = [...byModel.values()].reduce((x, y) => x + y, 0);
    expect(final.submitted).toBe(total);
    expect(final.submitted).toBe(predicted + final.dropped.total);
    expect(final.predicted).toBe(predicted);
    expect(twice).toBe(0);
    expect(wrong).toBe(0);
    expect(seen.subarray(1).every((v) => v === 1)).toBe(true);
    expect(byModel.get(`B:${b}`)).toBeGreaterThan(0);
    expect(byModel.get(`primary:${a}`)).toBeGreaterThan(0);
  });

  it('keeps every symbol on the primary until B has a model, and refuses bad splits', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0, split: { B: 1 } } });
    const models: string[] = [];
    engine.on('prediction', (e) => models.push(e.model));
    for (let i = 0; i < 20; i++) engine.submit(`S${i}`, books[i]);
    await tick();
    while (engine.streamStats()!.pending > 0) await tick();
    expect(models).toEqual(Array(20).fill('primary'));
    for (const bad of [{ B: 1.5 }, { B: -0.1 }, { B: '0.1' }, { C: 0.1 }, 0.1, null]) {
      expect(refusal(() => createEngine({ model: pooledBytes, stream: { split: bad as never } })).code, JSON.stringify(bad)).toBe('ERR_INVALID_OPTION');
      expect(refusal(() => engine.setSplit(bad as never)).code).toBe('ERR_INVALID_OPTION');
    }
    expect(refusal(() => engine.swapModel(levelsBytes, { slot: 'C' as never })).code).toBe('ERR_INVALID_OPTION');
    const incompatible = writeSafetensors(toSafetensors(randomModel(10, 128, 4, 'pooled', 1)));
    await expect(engine.swapModel(incompatible, { slot: 'B' })).rejects.toMatchObject({ code: 'ERR_MODEL_INCOMPATIBLE' });
    await engine.close();
  });
});

describe('shadow models', () => {
  it.each([true, false])('see every book the primary predicts and equal predict() on the shadow model (yieldToPrimary %s)', async (yieldToPrimary) => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const expected = reference(levelsBytes);
    const primary = new Map<number, PredictionEvent>();
    const shadow = new Map<number, ShadowEvent>();
    const bookOf = new Map<number, number>();
    engine.on('prediction', (e) => primary.set(e.seq, e));
    engine.on('shadow', (e) => shadow.set(e.seq, e));
    const ref = await engine.addShadow(levelsBytes, { name: 'candidate', queueBooks: 1 << 16, yieldToPrimary });
    expect(ref.modelId).toBe(sha256(levelsBytes));
    for (let round = 0; round < 200; round++) {
      for (let s = 0; s < 10; s++) {
        const k = (round * 10 + s) % books.length;
        bookOf.set(engine.submit(`S${s}`, books[k]), k);
      }
      await tick();
    }
    const live = engine.shadowStats()[0];
    expect(live.offered).toBe(live.predicted + live.dropped.total + live.pending);
    const stats = (await engine.close())!;
    expect(stats.pending).toBe(0);
    expect(shadow.size).toBe(primary.size);
    let wrong = 0;
    for (const [seq, p] of primary) {
      const e = shadow.get(seq)!;
      expect(e).toMatchObject({ symbol: p.symbol, ts: p.ts, mid: p.mid, model: 'candidate', modelId: sha256(levelsBytes) });
      if (!(worst(e, expected[bookOf.get(seq)!]) < 1e-5)) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it('computes nothing while the primary has books, when it yields to the primary', async () => {
    // The JS thread submits for 400 ms without returning to the event loop: the primary always has
    // books queued (and, its result blocks all waiting for JS, stops), so it is busy throughout.
    // A yielding shadow is handed the first batches' books and must not start them; one that does
    // not yield (the control) predicts them on the idle core meanwhile.
    const busyFeed = async (yieldToPrimary: boolean) => {
      const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
      let shadowEvents = 0;
      engine.on('shadow', () => void shadowEvents++);
      await engine.addShadow(levelsBytes, { name: 'candidate', yieldToPrimary, queueBooks: 1 << 16 });
      const until = performance.now() + 400;
      for (let i = 0; performance.now() < until; i++) engine.submit(`S${i % 500}`, books[i % books.length]);
      const during = engine.shadowStats()[0];
      const stream = (await engine.close())!;
      return { during, shadowEvents, primaryPredicted: stream.predicted };
    };
    const yielding = await busyFeed(true);
    expect(yielding.during.offered).toBeGreaterThan(0);
    expect(yielding.during.batches).toBe(0);
    // Once the primary is idle it catches up: every book the primary predicted, none dropped.
    expect(yielding.shadowEvents).toBe(yielding.primaryPredicted);
    const control = await busyFeed(false);
    expect(control.during.batches).toBeGreaterThan(0);
  });

  it('drops and counts what it cannot keep up with; the primary loses nothing to it', async () => {
    // A larger shadow (hidden 256: its own sizes are free) with a queue of one book, in a burst.
    const big = writeSafetensors(toSafetensors(randomModel(20, 256, 4, 'pooled', 7)));
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    let shadowEvents = 0;
    engine.on('shadow', () => void shadowEvents++);
    await engine.addShadow(big, { name: 'big', queueBooks: 1 });
    for (let round = 0; round < 2000; round++) {
      for (let s = 0; s < 32; s++) engine.submit(`S${s}`, books[(round + s) % books.length]);
      if (round % 20 === 19) await tick();
    }
    const [before] = engine.shadowStats();
    const stats = (await engine.close())!;
    expect(stats.submitted).toBe(stats.predicted + stats.dropped.total);
    expect(before.offered).toBeLessThanOrEqual(stats.predicted);
    expect(before.dropped.queueFull).toBeGreaterThan(0);
    expect(before.offered).toBe(before.predicted + before.dropped.total + before.pending);
    expect(shadowEvents).toBeGreaterThanOrEqual(before.predicted);
  });

  it('stops at removeShadow(), which reports its final counts', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const byName = new Map<string, number>();
    engine.on('shadow', (e) => byName.set(e.model, (byName.get(e.model) ?? 0) + 1));
    await engine.addShadow(levelsBytes, { name: 'a' });
    await engine.addShadow(modelPath('pooled'), { name: 'b' });
    for (let i = 0; i < 50; i++) engine.submit(`S${i % 5}`, books[i % books.length]);
    while (engine.streamStats()!.pending > 0) await tick();
    // The shadows run at lowered priority: on a busy machine they catch up after the primary.
    while (engine.shadowStats().some((s) => s.pending > 0)) await tick();
    const final = await engine.removeShadow('a');
    expect(final).toMatchObject({ name: 'a', modelId: sha256(levelsBytes), pending: 0, dropped: { total: 0 } });
    expect(final.offered).toBe(engine.streamStats()!.predicted);
    expect(final.predicted).toBe(final.offered);
    expect(byName.get('a')).toBe(final.predicted);
    expect(engine.shadowStats().map((s) => s.name)).toEqual(['b']);
    for (let i = 0; i < 50; i++) engine.submit(`S${i % 5}`, books[i % books.length]);
    const stats = (await engine.close())!;
    expect(byName.get('a')).toBe(final.predicted);
    expect(byName.get('b')).toBe(stats.predicted);
    // A name is free again once removed.
    expect(refusal(() => engine.removeShadow('a')).code).toBe('ERR_ENGINE_CLOSED');
  });

  it('refuses bad shadows with coded errors and leaves the engine as it was', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    await engine.addShadow(levelsBytes, { name: 'x' });
    const option = (o: unknown) => refusal(() => engine.addShadow(levelsBytes, o as never));
    expect(option({ name: 'x' }).message).toMatch(/already exists/);
    expect(option({ name: 'primary' }).code).toBe('ERR_INVALID_OPTION');
    expect(option({ name: 'B' }).code).toBe('ERR_INVALID_OPTION');
    expect(option({ name: '' }).code).toBe('ERR_INVALID_OPTION');
    expect(option({ name: 'y', queueBooks: 0 }).code).toBe('ERR_INVALID_OPTION');
    expect(option({ name: 'y', colour: 1 }).code).toBe('ERR_INVALID_OPTION');
    expect(option({ name: 'y', yieldToPrimary: 'yes' })).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/yieldToPrimary must be a boolean, got "yes"/) });
    expect(option(undefined).code).toBe('ERR_INVALID_OPTION');
    expect(refusal(() => engine.addShadow(42 as never, { name: 'y' })).code).toBe('ERR_INVALID_ARGUMENT');
    await expect(engine.addShadow(writeSafetensors(toSafetensors(randomModel(10, 128, 4, 'pooled', 1))), { name: 'y' }))
      .rejects.toMatchObject({ code: 'ERR_MODEL_INCOMPATIBLE', message: expect.stringMatching(/levels is 10 but this engine runs 20; a shadow/) });
    await expect(engine.addShadow(pooledBytes.subarray(0, 100), { name: 'y' })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_MODEL_/) });
    expect(refusal(() => engine.removeShadow('nope')).message).toMatch(/no shadow named "nope" \(shadows: x\)/);
    // The refused names stay free.
    await engine.addShadow(levelsBytes, { name: 'y' });
    expect(engine.shadowStats().map((s) => s.name)).toEqual(['x', 'y']);
    await engine.close();
  });
});

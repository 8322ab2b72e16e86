// engine.swapModel(): a model replaced between two calls on the JS thread and between two batches
// on the stream thread. Every result names its model (modelId = SHA-256 of the file); a model the
// engine cannot run is refused and the old one keeps working; the stream's books are all
// accounted for, per model, across swaps mid-burst; memory stays bounded across 1,000 swaps. The
// CUDA path (a native device) is checked by test/cuda/swap.test.ts; here the host twin runs it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { createEngine, runtime } from '../dist/index.js';
import type { Prediction, PredictionEvent } from '../dist/index.js';
import { createHostTwinEngine } from '../dist/internal.js';
import { refusal } from './helpers/errors';
import { loadCases, maxAbsDiff, modelPath, typed } from './helpers/fixtures';
import { randomModel, toSafetensors } from './helpers/reference-model';
import { readSafetensors, writeSafetensors } from './helpers/safetensors';

const cases = loadCases('pooled');
const books = cases.slice(0, 16).map((c) => typed(c));
const pooledBytes = new Uint8Array(fs.readFileSync(modelPath('pooled')));
const levelsBytes = new Uint8Array(fs.readFileSync(modelPath('levels')));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

// The levels model with a name in its metadata.
function named(bytes: Uint8Array, name: string): Uint8Array {
  const file = readSafetensors(writeTemp(bytes));
  file.metadata = { ...file.metadata, name };
  return writeSafetensors(file);
}

function writeTemp(bytes: Uint8Array): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-swap-')), 'model.safetensors');
  fs.writeFileSync(file, bytes);
  return file;
}

// What predict() gives for each of `books` on a fresh CPU engine of `model`.
function reference(model: Uint8Array): Prediction[] {
  const engine = createEngine({ model, backend: 'cpu' });
  const out = books.map((b) => engine.predict(b));
  engine.close();
  return out;
}

function worst(p: Omit<Prediction, 'embedding'>, q: Omit<Prediction, 'embedding'>): number {
  return Math.max(maxAbsDiff(p.logits, q.logits), Math.abs(p.magnitude - q.magnitude), Math.abs(p.volatility - q.volatility));
}

describe('engine.swapModel', () => {
  it('names the model in info, predict() and predictBatch(), before and after a swap', async () => {
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    const a = sha256(pooledBytes);
    expect(engine.info.modelId).toBe(a);
    expect(engine.info.modelName).toBeUndefined();
    const p = engine.predict(books[0]);
    expect(p).toMatchObject({ modelId: a, modelName: undefined });
    expect(engine.predictBatch(books)).toMatchObject({ modelId: a, modelName: undefined });

    const b = named(levelsBytes, 'levels-v2');
    const swapped = await engine.swapModel(writeTemp(b));
    expect(swapped).toEqual({ modelId: sha256(b), modelName: 'levels-v2' });
    expect(engine.info.modelId).toBe(sha256(b));
    expect(engine.info.modelName).toBe('levels-v2');
    expect(engine.info.attention).toBe('levels');
    expect(engine.info.metadata.name).toBe('levels-v2');
    const expected = reference(levelsBytes);
    const after = engine.predict(books[0]);
    expect(after).toMatchObject({ modelId: sha256(b), modelName: 'levels-v2' });
    expect(worst(after, expected[0])).toBeLessThan(1e-6);
    const batch = engine.predictBatch(books);
    expect(batch).toMatchObject({ modelId: sha256(b), modelName: 'levels-v2' });
    books.forEach((_, k) => expect(Math.abs(batch.magnitude[k] - expected[k].magnitude)).toBeLessThan(1e-5));
    // An `into` result is relabelled too.
    const into = engine.predict(books[1]);
    await engine.swapModel(pooledBytes);
    expect(engine.predict(books[1], { into })).toBe(into);
    expect(into).toMatchObject({ modelId: a, modelName: undefined });
    await engine.close();
  });

  // The hash runs on the SHA extensions where the CPU has them, else in portable C++;
  // HAWKGRAPH_CPU_KERNELS=portable forces the latter. 64 name lengths give file sizes of every
  // remainder mod 64, so every split between whole blocks and the padded tail is hashed.
  it.each(['auto', 'portable'])('gives the SHA-256 of the file as modelId for every size mod 64 (%s hash)', async (kernels) => {
    if (kernels === 'auto' && !runtime().cpu.features.sha) console.log('the SHA extensions are absent: both runs hash in portable C++');
    const files = Array.from({ length: 64 }, (_, n) => named(levelsBytes, 'v'.repeat(n + 1)));
    expect(new Set(files.map((f) => f.length % 64)).size).toBe(64);
    if (kernels === 'portable') process.env.HAWKGRAPH_CPU_KERNELS = 'portable';
    try {
      const engine = createEngine({ model: files[0], backend: 'cpu' });
      for (const f of files) {
        expect((await engine.swapModel(f)).modelId).toBe(sha256(f));
        const fresh = createEngine({ model: f, backend: 'cpu' });
        expect(fresh.info.modelId).toBe(sha256(f));
        fresh.close();
      }
      engine.close();
    } finally {
      delete process.env.HAWKGRAPH_CPU_KERNELS;
    }
  });

  it('refuses a model the engine cannot run, and the old model keeps working', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu' });
    const before = engine.info;
    const expected = engine.predict(books[3]);
    engine.submit('S0', books[3]);
    const flow = readSafetensors(modelPath('pooled'));
    flow.metadata = { ...flow.metadata, order_flow: 'per_ms' };
    const refused: Array<[string, Uint8Array | string, string, RegExp]> = [
      ['levels', writeSafetensors(toSafetensors(randomModel(10, 128, 4, 'pooled', 1))), 'ERR_MODEL_INCOMPATIBLE', /levels is 10 but this engine runs 20/],
      ['heads', writeSafetensors(toSafetensors(randomModel(20, 128, 2, 'pooled', 2))), 'ERR_MODEL_INCOMPATIBLE', /heads is 2 but this engine runs 4/],
      ['hidden', writeSafetensors(toSafetensors(randomModel(20, 64, 4, 'pooled', 3))), 'ERR_MODEL_INCOMPATIBLE', /hidden is 64 but this engine runs 128/],
      ['order flow', writeSafetensors(flow), 'ERR_MODEL_INCOMPATIBLE', /order_flow is per_ms but this engine runs none/],
      ['a corrupt file', pooledBytes.subarray(0, 1000), 'ERR_MODEL_', /./],
      ['a missing path', path.join(os.tmpdir(), 'no-such-model.safetensors'), 'ERR_MODEL_READ', /no-such-model.*cannot be read/],
    ];
    for (const [what, model, code, message] of refused) {
      const err = await engine.swapModel(model).then(() => undefined, (e: unknown) => e);
      expect(err, what).toMatchObject({ name: 'HawkgraphError', code: expect.stringContaining(code), message: expect.stringMatching(message) });
      expect(engine.info, what).toBe(before);
      const p = engine.predict(books[3]);
      expect(p.modelId).toBe(before.modelId);
      expect(worst(p, expected)).toBe(0);
    }
    expect(refusal(() => engine.swapModel(42 as never)).code).toBe('ERR_INVALID_ARGUMENT');
    const events: PredictionEvent[] = [];
    engine.on('prediction', (e) => events.push(e));
    engine.submit('S1', books[3]);
    const stats = (await engine.close())!;
    expect(stats.predicted).toBe(2);
    for (const e of events) {
      expect(e.modelId).toBe(before.modelId);
      expect(worst(e, expected)).toBeLessThan(1e-5);
    }
    expect(refusal(() => engine.swapModel(pooledBytes)).code).toBe('ERR_ENGINE_CLOSED');
  });

  // The burst: 10 symbols x 100k books, three swaps (A -> B -> A -> B) while it runs.
  it('accounts for every book per model across swaps mid-burst (10 symbols x 100k)', async () => {
    const symbols = 10, perSymbol = 100_000, total = symbols * perSymbol;
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const a = sha256(pooledBytes), b = sha256(levelsBytes);
    const expected = new Map([[a, reference(pooledBytes)], [b, reference(levelsBytes)]]);
    // The two models must tell their books apart for the comparison below to mean anything.
    books.forEach((_, k) => expect(worst(expected.get(a)![k], expected.get(b)![k])).toBeGreaterThan(1e-3));
    const bookOf = new Uint8Array(total + 1);
    const seen = new Uint8Array(total + 1);
    const byModel = new Map<string, number>();
    const order: string[] = [];  // the model of each run of consecutive events
    let twice = 0, wrong = 0, dropped = 0;
    engine.on('prediction', (e) => {
      if (seen[e.seq]++) twice++;
      byModel.set(e.modelId, (byModel.get(e.modelId) ?? 0) + 1);
      if (order.at(-1) !== e.modelId) order.push(e.modelId);
      if (!(worst(e, expected.get(e.modelId)![bookOf[e.seq]]) < 1e-5)) wrong++;
    });
    engine.on('dropped', (e) => {
      if (seen[e.seq]++) twice++;
      dropped++;
    });
    const swaps: Array<Promise<unknown>> = [];
    const swapAt = new Map([[25_000, levelsBytes], [50_000, pooledBytes], [75_000, levelsBytes]]);
    for (let round = 0; round < perSymbol; round++) {
      const next = swapAt.get(round);
      if (next) {
        // Each swap lands while books keep arriving; predict() runs the new model at once.
        swaps.push(engine.swapModel(next).then((ref) => expect(engine.predict(books[0]).modelId).toBe(ref.modelId)));
      }
      for (let s = 0; s < symbols; s++) {
        const k = (round + s) % books.length;
        const seq = engine.submit(`SYM${s}`, books[k]);
        bookOf[seq] = k;
      }
      if (round % 5000 === 4999) {
        await tick();
        const mid = engine.streamStats()!;
        const predicted = [...byModel.values()].reduce((x, y) => x + y, 0);
        expect(mid.submitted).toBe(predicted + mid.dropped.total + mid.pending);
      }
    }
    await Promise.all(swaps);
    const final = (await engine.close())!;
    const predictedA = byModel.get(a) ?? 0, predictedB = byModel.get(b) ?? 0;
    expect(final.submitted).toBe(total);
    expect(final.pending).toBe(0);
    expect(final.submitted).toBe(predictedA + predictedB + final.dropped.superseded + final.dropped.closed + final.dropped.error);
    expect(final.predicted).toBe(predictedA + predictedB);
    expect(final.dropped.total).toBe(dropped);
    expect(byModel.size).toBe(2);
    expect(predictedB).toBeGreaterThan(0);
    expect(twice).toBe(0);
    expect(wrong).toBe(0);
    let unseen = 0;
    for (let s = 1; s <= total; s++) if (!seen[s]) unseen++;
    expect(unseen).toBe(0);
    // The stream switched whole batches at a time, in swap order: A, B, A, B (a swap that came
    // and went between two batches may be skipped, never reordered).
    expect(order.length).toBeLessThanOrEqual(4);
    order.forEach((id, k) => expect(id).toBe(k % 2 === 0 ? a : b));
    expect(order.at(-1)).toBe(b);
  });

  it('gives a stream opened while a swap was prepared the new model too', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const expected = new Map([[sha256(pooledBytes), reference(pooledBytes)], [sha256(levelsBytes), reference(levelsBytes)]]);
    const events: PredictionEvent[] = [];
    engine.on('prediction', (e) => events.push(e));
    const swap = engine.swapModel(levelsBytes);
    // Once the swap has started preparing (a microtask later), this opens the stream on the old model.
    await Promise.resolve();
    await Promise.resolve();
    engine.submit('S0', books[0]);
    const ref = await swap;
    await tick();
    engine.submit('S0', books[4]);
    await engine.close();
    // The first book may meet either model (the handoff races its batch); the second meets the new one.
    expect(events.length).toBe(2);
    expect(events[1].modelId).toBe(ref.modelId);
    events.forEach((e, k) => expect(worst(e, expected.get(e.modelId)![k === 0 ? 0 : 4])).toBeLessThan(1e-5));
  });

  // A swap builds a one-thread CPU run at background priority (SCHED_IDLE, or nice +10 on a loaded
  // machine) and any run that starts threads at normal priority, since its threads would inherit
  // the background one's: here a 3-thread CPU engine's new forward pool must be SCHED_OTHER at nice 0.
  it.runIf(process.platform === 'linux')('starts a swapped-in model\'s CPU threads at normal priority', async () => {
    // A thread may exit between the listing and the read: it is left out. Only the CPU backend's
    // pool threads count: hawkgraph's background threads (hg-background, hg-background-n) are
    // persistent, lowered on purpose, and may be started by this very swap.
    const priorityOf = () => new Map(fs.readdirSync('/proc/self/task').flatMap((t): [string, string][] => {
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      } catch {
        return [];
      }
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'hg-pool') return [];
      // Fields after the parenthesised name: state is field 3, nice field 19, policy field 41.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [[t, `nice ${fields[16]}, policy ${fields[38]}`]];
    }));
    const before = priorityOf();
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', cpu: { threads: 3 } });
    await engine.swapModel(levelsBytes);
    // The swapped-in run's 2 workers at least (the first run's have exited with it).
    // A worker names itself when it starts running: wait for the names.
    let started: [string, string][] = [];
    for (let wait = 0; wait < 100 && started.length < 2; wait++) {
      started = [...priorityOf()].filter(([t]) => !before.has(t));
      if (started.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(started.filter(([, priority]) => priority !== 'nice 0, policy 0')).toEqual([]);
    expect(engine.predict(books[0]).modelId).toBe(sha256(levelsBytes));
    engine.close();
  });

  it('keeps memory bounded across 1,000 swaps with a stream open', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    let predicted = 0;
    engine.on('prediction', () => void predicted++);
    const swapMany = async (n: number) => {
      for (let i = 0; i < n; i++) {
        engine.submit(`S${i % 4}`, books[i % books.length]);
        await engine.swapModel(i % 2 ? pooledBytes : levelsBytes);
      }
    };
    await swapMany(200);  // warm-up: allocator pools, V8 heap, the stream's slots
    global.gc?.();
    const before = process.memoryUsage().rss;
    await swapMany(1000);
    global.gc?.();
    const growth = process.memoryUsage().rss - before;
    // Each swap builds two runs (~0.3 MB of weights each, more once prepared): a leak of either
    // would be 600 MB over 1,000 swaps. 64 MB leaves room for allocator and V8 noise.
    expect(growth).toBeLessThan(64 * 1024 * 1024);
    const final = (await engine.close())!;
    expect(final.submitted).toBe(1200);
    expect(final.predicted + final.dropped.total).toBe(1200);
    expect(predicted).toBe(final.predicted);
  }, 120_000);

  it('swaps an engine on the CUDA path (host twin) under the same contract', async () => {
    const { engine } = createHostTwinEngine(pooledBytes, { precision: 'fp32' });
    const expected = reference(levelsBytes);
    engine.submit('S0', books[0]);
    await engine.swapModel(levelsBytes);
    expect(engine.info.backend).toBe('cuda-host-twin');
    expect(engine.info.modelId).toBe(sha256(levelsBytes));
    const p = engine.predict(books[2]);
    expect(p.modelId).toBe(sha256(levelsBytes));
    expect(worst(p, expected[2])).toBeLessThan(1e-4);
    const events: PredictionEvent[] = [];
    engine.on('prediction', (e) => events.push(e));
    await tick();
    engine.submit('S1', books[5]);
    await engine.close();
    const last = events.at(-1)!;
    expect(last.modelId).toBe(sha256(levelsBytes));
    expect(worst(last, expected[5])).toBeLessThan(1e-4);
    expect(refusal(() => engine.swapModel(levelsBytes)).code).toBe('ERR_ENGINE_CLOSED');
  });
});

// The CUDA backend without a GPU: everything but kernel execution. The "host twin" backend runs
// the CUDA path's own staging (input records, buckets, padding, chunking, output unpacking) and
// the kernels' per-element math (native/backends/cuda/gnn_cuda_math.hpp, the folds of gnn_cuda_plan.cpp,
// fp16 rounding where the tensor-core kernel stores fp16) on the host; these tests hold it to the
// PyTorch fixtures and a float64 reference. Backend resolution and the CUDA -> CPU fallback are
// tested here too (the twin can inject a lost device).
import { afterAll, describe, expect, it } from 'vitest';

import { DIRECTIONS, HawkgraphError, createEngine, runtime, type Engine } from '../dist/index.js';
import { createHostTwinEngine } from '../dist/internal.js';
import { loadCases, maxAbsDiff, modelPath, type FixtureCase, type Mode } from './helpers/fixtures';
import { randomBook, randomModel, referenceFeatures, referenceForward, toSafetensors } from './helpers/reference-model';
import { writeSafetensors } from './helpers/safetensors';
import * as fs from 'node:fs';

const FP16_TOLERANCE = 2e-2;
const FP32_TOLERANCE = 1e-4;
const BUCKETS = [1, 8, 64, 512, 4096, 16384];

type TwinOptions = {
  precision: 'fp16' | 'fp32';
  fallback?: 'none' | 'cpu';
  twinFaultAfter?: number;
  twinSkipKernels?: boolean;
  threads?: number;
};

// An Engine over the host twin, wired as createEngine wires a CUDA engine (fallback hook included).
const natives = new WeakMap<Engine, { info(): { backendStats?: Record<string, number> } }>();
function twinEngine(model: Uint8Array, options: TwinOptions, onFallback?: (e: { reason: string }) => void): Engine {
  const { engine, native } = createHostTwinEngine(model, options, onFallback);
  natives.set(engine, native);
  return engine;
}

// Live counters (engine.info holds the snapshot taken at creation).
const stat = (e: Engine, key: string) => natives.get(e)!.info().backendStats?.[key] ?? NaN;

function checkCase(p: { logits: number[]; magnitude: number; volatility: number; embedding?: Float32Array; direction: string }, c: FixtureCase) {
  const logits = maxAbsDiff(p.logits, c.expected.direction);
  const embedding = maxAbsDiff(p.embedding!, c.expected.embeddings);
  const heads = Math.max(Math.abs(p.magnitude - c.expected.magnitude[0]), Math.abs(p.volatility - c.expected.volatility[0]));
  const sorted = [...c.expected.direction].sort((a, b) => b - a);
  const top = c.expected.direction.indexOf(sorted[0]);
  const directionMustMatch = sorted[0] - sorted[1] > 0.05;
  return { logits, embedding, heads, directionOk: !directionMustMatch || p.direction === DIRECTIONS[top] };
}

describe.each<Mode>(['pooled', 'levels'])('host twin of the CUDA kernels vs PyTorch (%s fixture)', (mode) => {
  const bytes = new Uint8Array(fs.readFileSync(modelPath(mode)));
  const cases = loadCases(mode);
  const fp16 = twinEngine(bytes, { precision: 'fp16' });
  const fp32 = twinEngine(bytes, { precision: 'fp32' });
  const cpu = createEngine({ model: bytes, backend: 'cpu' });
  afterAll(() => [fp16, fp32, cpu].forEach((e) => e.close()));

  it('describes the plan: bytes per book, tile and shared memory within an H100 block', () => {
    expect(fp16.info).toMatchObject({ backend: 'cuda-host-twin', precision: 'fp16' });
    expect(stat(fp16, 'inputBytesPerBook')).toBe(496);
    expect(stat(fp16, 'outputBytesPerBook')).toBe(288);
    expect(stat(fp16, 'sharedMemoryBytes')).toBeLessThanOrEqual(232448 - 1024);
    expect(stat(fp16, 'tileBooks')).toBe(mode === 'pooled' ? 2 : 1);
  });

  it('fp16: logits and embeddings within 2e-2, the direction wherever the top two logits differ by > 0.05', () => {
    let worst = 0;
    for (const c of cases) {
      const r = checkCase(fp16.predict({ bids: c.bids, asks: c.asks }, { embedding: true }), c);
      worst = Math.max(worst, r.logits, r.embedding, r.heads);
      expect(r.directionOk).toBe(true);
    }
    expect(worst).toBeLessThan(FP16_TOLERANCE);
  });

  it('fp32: every output within 1e-4', () => {
    let worst = 0;
    for (const c of cases) {
      const p = fp32.predict({ bids: c.bids, asks: c.asks }, { embedding: true });
      const r = checkCase(p, c);
      worst = Math.max(worst, r.logits, r.embedding, r.heads);
      expect(r.directionOk).toBe(true);
    }
    expect(worst).toBeLessThan(FP32_TOLERANCE);
  });

  it('shallower books (fewer levels than the model) match the CPU engine', () => {
    for (const depth of [1, 2, 7, 19]) {
      const c = cases[depth];
      const book = { bids: c.bids.slice(0, depth), asks: c.asks.slice(0, depth + 3) };
      const want = cpu.predict(book, { embedding: true });
      const got = fp32.predict(book, { embedding: true });
      expect(got.levelsUsed).toBe(depth);
      expect(maxAbsDiff(got.logits, want.logits)).toBeLessThan(FP32_TOLERANCE);
      expect(maxAbsDiff(got.embedding!, want.embedding!)).toBeLessThan(FP32_TOLERANCE);
    }
  });
});

describe('batches: bucket choice, padding and chunking', () => {
  const bytes = new Uint8Array(fs.readFileSync(modelPath('pooled')));
  const cases = loadCases('pooled');
  const books = (n: number, from = 0) => Array.from({ length: n }, (_, k) => {
    const c = cases[(from + k) % cases.length];
    const depth = 1 + ((from + k) % 20);  // mixed depths, so records of different lengths share a bucket
    return { bids: c.bids.slice(0, depth), asks: c.asks };
  });
  const engine = twinEngine(bytes, { precision: 'fp16' });
  afterAll(() => engine.close());

  it('a single book takes the single path; 1 < n <= bucket takes that bucket; bucket + 1 the next', () => {
    const runs = () => Object.fromEntries(BUCKETS.map((b) => [b, stat(engine, `bucketRuns${b}`)]));
    const before = runs();
    const single = stat(engine, 'singleRuns');
    engine.predict(books(1)[0]);
    for (const [n, bucket] of [[2, 8], [8, 8], [9, 64], [64, 64], [65, 512]] as const) {
      const b0 = runs()[bucket];
      engine.predictBatch(books(n));
      expect(runs()[bucket], `batch of ${n}`).toBe(b0 + 1);
    }
    expect(stat(engine, 'singleRuns')).toBe(single + 1);
    expect(runs()[16384]).toBe(before[16384]);
  });

  it('batch results equal single predictions, at every position, across bucket edges', () => {
    for (const n of [2, 8, 9, 64, 65]) {
      const list = books(n, n);
      const batch = engine.predictBatch(list, { embedding: true });
      for (const k of [0, n - 1, Math.floor(n / 2)]) {
        const one = engine.predict(list[k], { embedding: true });
        expect(Array.from(batch.logits.subarray(3 * k, 3 * k + 3))).toEqual(one.logits);
        expect(batch.magnitude[k]).toBe(one.magnitude);
        expect(Array.from(batch.embedding!.subarray(64 * k, 64 * k + 64))).toEqual(Array.from(one.embedding!));
        expect(batch.levelsUsed[k]).toBe(list[k].bids.length);
      }
    }
  });

  it('padding slots from a larger earlier batch never leak into a smaller one', () => {
    engine.predictBatch(books(60, 5));
    const small = books(9, 30);
    const after = engine.predictBatch(small);
    for (let k = 0; k < 9; k++) {
      expect(Array.from(after.logits.subarray(3 * k, 3 * k + 3))).toEqual(engine.predict(small[k]).logits);
    }
  });

  it('a batch larger than the largest bucket runs as full buckets plus the remainder (small model)', () => {
    const ref = randomModel(2, 32, 2, 'pooled', 7);
    const tiny = twinEngine(writeSafetensors(toSafetensors(ref)), { precision: 'fp32' });
    try {
      const n = 16384 + 9;
      const list = Array.from({ length: n }, (_, k) => randomBook(2, 2, 1000 + (k % 97)));
      const out = tiny.predictBatch(list);
      expect(stat(tiny, 'bucketRuns16384')).toBe(1);
      expect(stat(tiny, 'bucketRuns64')).toBe(1);
      for (const k of [0, 16383, 16384, n - 1]) {
        const want = referenceForward(ref, referenceFeatures(list[k].bids, list[k].asks, 2));
        expect(maxAbsDiff(out.logits.subarray(3 * k, 3 * k + 3), want.logits)).toBeLessThan(FP32_TOLERANCE);
      }
    } finally {
      tiny.close();
    }
  });
});

describe('the host side of a batch: validation and staging on host threads', () => {
  const ref = randomModel(3, 32, 2, 'pooled', 11);
  const bytes = writeSafetensors(toSafetensors(ref));
  // Mixed depths (1 to 3 levels), so records of different lengths are staged side by side.
  const list = Array.from({ length: 1000 }, (_, k) => {
    const b = randomBook(3, 3, 500 + (k % 89));
    return { bids: b.bids.slice(0, 1 + (k % 3)), asks: b.asks };
  });
  const one = twinEngine(bytes, { precision: 'fp32' });
  const four = twinEngine(bytes, { precision: 'fp32', threads: 4 });
  afterAll(() => {
    one.close();
    four.close();
  });

  it('engine.info says how many host threads stage a batch', () => {
    expect(one.info.threads).toBe(1);
    expect(four.info.threads).toBe(4);
    expect(four.info.kernels).toBeUndefined();
  });

  it('stages a batch on 4 threads into the same records as on one: identical results', () => {
    const a = one.predictBatch(list, { embedding: true });
    const b = four.predictBatch(list, { embedding: true });
    for (const key of ['logits', 'probs', 'magnitude', 'volatility', 'levelsUsed', 'direction', 'embedding'] as const) {
      expect(Array.from(b[key]!), key).toEqual(Array.from(a[key]!));
    }
    for (const k of [0, 1, 2, 999]) {
      const want = referenceForward(ref, referenceFeatures(list[k].bids, list[k].asks, 3));
      expect(maxAbsDiff(b.logits.subarray(3 * k, 3 * k + 3), want.logits)).toBeLessThan(FP32_TOLERANCE);
    }
  });

  it('names the first refused book whichever thread finds one, and leaves `into` as it was', () => {
    const into = four.predictBatch(list);
    const before = Array.from(into.logits);
    const bad = list.slice();
    bad[900] = { bids: [[Number.NaN, 1]], asks: list[900].asks };
    bad[130] = { bids: list[130].bids, asks: [[list[130].bids[0][0], 1]] };  // locked: best ask = best bid
    bad[131] = { bids: list[131].bids, asks: [[Number.POSITIVE_INFINITY, 1]] };
    for (const engine of [one, four]) {
      expect(() => engine.predictBatch(bad, { into })).toThrowError(
        expect.objectContaining({ code: 'ERR_BOOK_CROSSED', message: expect.stringMatching(/^books\[130\]: book is locked/) }),
      );
    }
    expect(Array.from(into.logits)).toEqual(before);
  });

  it('twinSkipKernels (benchmarks) stages and unpacks but computes nothing: zero outputs', () => {
    const skip = twinEngine(bytes, { precision: 'fp32', twinSkipKernels: true });
    try {
      const r = skip.predictBatch(list.slice(0, 10));
      expect(Array.from(r.logits.subarray(0, 30))).toEqual(new Array(30).fill(0));
      expect(r.probs[0]).toBeCloseTo(1 / 3, 15);
      expect(stat(skip, 'bucketRuns64')).toBe(1);
    } finally {
      skip.close();
    }
  });
});

describe('other model sizes vs the float64 reference', () => {
  const shapes: Array<[number, number, number, 'pooled' | 'levels']> = [
    [3, 32, 2, 'pooled'],
    [7, 64, 4, 'levels'],
    [12, 96, 3, 'levels'],
    [30, 64, 2, 'pooled'],
  ];
  it.each(shapes)('levels %i, hidden %i, heads %i, %s', (levels, hidden, heads, attention) => {
    const ref = randomModel(levels, hidden, heads, attention, levels * 31 + hidden);
    const bytes = writeSafetensors(toSafetensors(ref));
    for (const [precision, tol] of [['fp32', FP32_TOLERANCE], ['fp16', FP16_TOLERANCE]] as const) {
      const e = twinEngine(bytes, { precision });
      try {
        for (let s = 0; s < 6; s++) {
          const book = randomBook(levels + (s % 3) - 1, levels, 77 + s);
          const depth = Math.min(levels, book.bids.length, book.asks.length);
          const want = referenceForward(ref, referenceFeatures(book.bids, book.asks, depth));
          const got = e.predict(book, { embedding: true });
          expect(maxAbsDiff(got.logits, want.logits), `${precision} logits`).toBeLessThan(tol);
          expect(maxAbsDiff(got.embedding!, want.embedding), `${precision} embedding`).toBeLessThan(tol);
        }
      } finally {
        e.close();
      }
    }
  });

  it('refuses a model the kernels cannot tile, naming the reason', () => {
    const ref = randomModel(3, 40, 2, 'pooled', 3);  // hidden 40: not a multiple of 32
    expect(() => twinEngine(writeSafetensors(toSafetensors(ref)), { precision: 'fp16' })).toThrowError(
      expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE', message: expect.stringMatching(/hidden \(40\)/) }),
    );
  });
});

describe('a CUDA failure mid-run', () => {
  const bytes = new Uint8Array(fs.readFileSync(modelPath('levels')));
  const cases = loadCases('levels');
  const list = cases.slice(0, 12).map((c) => ({ bids: c.bids, asks: c.asks }));

  it("with fallback 'cpu': the failing call completes on the CPU, info says so, the hook runs once", () => {
    const events: Array<{ reason: string }> = [];
    const e = twinEngine(bytes, { precision: 'fp32', fallback: 'cpu', twinFaultAfter: 2 }, (ev) => events.push(ev));
    const cpu = createEngine({ model: bytes, backend: 'cpu' });
    try {
      e.predictBatch(list);
      e.predict(list[0]);
      expect(e.info.backend).toBe('cuda-host-twin');
      const third = e.predictBatch(list);  // the twin's third run fails
      expect(events).toHaveLength(1);
      expect(events[0].reason).toMatch(/cudaErrorDevicesUnavailable/);
      expect(e.info).toMatchObject({ backend: 'cpu', fallbackReason: expect.stringMatching(/cudaErrorDevicesUnavailable/) });
      expect(e.info.backendStats).toBeUndefined();
      const want = cpu.predictBatch(list);
      expect(maxAbsDiff(third.logits, want.logits)).toBeLessThan(1e-9);
      e.predict(list[1]);
      expect(events).toHaveLength(1);
    } finally {
      e.close();
      cpu.close();
    }
  });

  it("without fallback: HawkgraphError ERR_CUDA naming the CUDA error, on every later call too", () => {
    const e = twinEngine(bytes, { precision: 'fp16', twinFaultAfter: 0 });
    try {
      for (let i = 0; i < 2; i++) {
        expect(() => e.predict(list[0])).toThrowError(
          expect.objectContaining({ code: 'ERR_CUDA', message: expect.stringMatching(/cudaErrorDevicesUnavailable/) }),
        );
      }
      expect(e.info.backend).toBe('cuda-host-twin');
    } finally {
      e.close();
    }
  });
});

describe('order flow (the streaming path) reaches the staged records', () => {
  it("a model with order_flow 'per_ms' streams the same predictions on the twin as on the CPU", async () => {
    const levels = 5;
    const file = toSafetensors(randomModel(levels, 32, 2, 'pooled', 41));
    file.metadata.order_flow = 'per_ms';
    const bytes = writeSafetensors(file);
    const feed = [1, 2, 3, 4, 5, 6].map((k) => ({ symbol: k % 2 ? 'A' : 'B', book: randomBook(levels, levels, 500 + k), ts: 1000 + 3 * k }));
    const run = async (engine: Engine) => {
      const out: number[][] = [];
      for (const f of feed) {
        const next = new Promise<{ logits: number[] }>((resolve) => engine.once('prediction', resolve as never));
        engine.submit(f.symbol, f.book, { ts: f.ts });
        out.push([...(await next).logits]);
      }
      await engine.close();
      return out;
    };
    const cpuEngine = createEngine({ model: bytes, backend: 'cpu' });
    const plain = feed.map((f) => cpuEngine.predict(f.book).logits);
    const want = await run(cpuEngine);
    const got = await run(twinEngine(bytes, { precision: 'fp32' }));
    let withFlow = 0;
    want.forEach((w, k) => {
      expect(maxAbsDiff(got[k], w)).toBeLessThan(FP32_TOLERANCE);
      // Where the flow moves the logits by more than the tolerance, ignoring it would fail above.
      if (maxAbsDiff(w, plain[k]) > 10 * FP32_TOLERANCE) withFlow++;
    });
    expect(withFlow).toBeGreaterThan(0);  // the feed does move the order-flow feature
  });
});

const cuda = runtime().cuda;
const usable = cuda.compiled && cuda.devices.length > 0;

describe('backend options', () => {
  const model = modelPath('pooled');
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(HawkgraphError);
      return (err as HawkgraphError).code;
    }
    return 'no error';
  };

  it('refuses malformed CUDA options before loading anything', () => {
    expect(codeOf(() => createEngine({ model, fallback: 'gpu' as never }))).toBe('ERR_INVALID_OPTION');
    expect(codeOf(() => createEngine({ model, singleBook: 'fast' as never }))).toBe('ERR_INVALID_OPTION');
    expect(codeOf(() => createEngine({ model, onFallback: 1 as never }))).toBe('ERR_INVALID_OPTION');
    expect(codeOf(() => createEngine({ model, backend: 'cuda', precision: 'bf16' }))).toBe('ERR_INVALID_OPTION');
  });

  it("'auto' with bf16 never picks CUDA (a CPU-only precision)", () => {
    let e: Engine | undefined;
    try {
      e = createEngine({ model, backend: 'auto', precision: 'bf16' });
    } catch (err) {
      expect((err as HawkgraphError).code).toBe('ERR_INVALID_OPTION');  // a CPU build without bf16
      return;
    }
    expect(e.info.backend).toBe('cpu');
    e.close();
  });

  describe.skipIf(usable)('where no usable CUDA device is found', () => {
    it("'cuda' is refused with ERR_BACKEND_UNAVAILABLE saying why", () => {
      expect(() => createEngine({ model, backend: 'cuda' })).toThrowError(
        expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE', message: expect.stringMatching(/unavailable/) }),
      );
    });

    it("'cuda' with fallback 'cpu', and 'auto', run on the CPU and say why", () => {
      for (const options of [{ backend: 'cuda', fallback: 'cpu' }, { backend: 'auto' }, {}] as const) {
        const e = createEngine({ model, ...options });
        expect(e.info.backend).toBe('cpu');
        expect(e.info.fallbackReason).toMatch(/unavailable/);
        expect(e.info.device).toBeUndefined();
        expect(e.predict({ bids: [[100, 1]], asks: [[100.5, 2]] }).levelsUsed).toBe(1);
        e.close();
      }
    });
  });
});

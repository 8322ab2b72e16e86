// The CPU kernel tables (AMX, AVX-512, AVX2+FMA, portable), the folds, half-size weights and the
// predictBatch thread pool, against the float64 fixtures. Every table this CPU runs is tested;
// the ones it cannot run are listed as skipped.
import { afterEach, describe, expect, it } from 'vitest';

import { DIRECTIONS, HawkgraphError, createEngine, type Engine } from '../dist/index.js';
import { native } from '../dist/internal.js';
import { loadCases, maxAbsDiff, modelPath, softmax, type FixtureCase, type Mode } from './helpers/fixtures';

const FP32_TOLERANCE = 1e-4;
const HALF_TOLERANCE = 2e-2;
const DIRECTION_MARGIN = 0.05;
const ALL_KERNELS = ['amx', 'avx512', 'avx2', 'portable'] as const;
const MODES: Mode[] = ['pooled', 'levels'];

type Kernels = (typeof ALL_KERNELS)[number];
const available = new Set((native().addon.GnnEngine as unknown as { cpuKernels(): string[] }).cpuKernels());
const runnable = ALL_KERNELS.filter((k) => available.has(k));
const missing = ALL_KERNELS.filter((k) => !available.has(k));

const cases: Record<Mode, FixtureCase[]> = { pooled: loadCases('pooled'), levels: loadCases('levels') };
const open: Engine[] = [];
function engine(mode: Mode, options: Record<string, unknown> = {}): Engine {
  const e = createEngine({ model: modelPath(mode), backend: 'cpu', ...options });
  open.push(e);
  return e;
}
afterEach(() => {
  while (open.length) open.pop()!.close();
});

// The worst absolute error of one prediction over every output the fixtures hold.
function worstError(e: Engine, c: FixtureCase): { logits: number; all: number; direction: string } {
  const p = e.predict({ bids: c.bids, asks: c.asks }, { embedding: true });
  const probs = softmax(c.expected.direction);
  const logits = maxAbsDiff(p.logits, c.expected.direction);
  const all = Math.max(
    logits,
    maxAbsDiff(p.probs, probs),
    Math.abs(p.confidence - Math.max(...probs)),
    Math.abs(p.magnitude - c.expected.magnitude[0]),
    Math.abs(p.volatility - c.expected.volatility[0]),
    maxAbsDiff(p.embedding!, c.expected.embeddings),
  );
  return { logits, all, direction: p.direction };
}

function shallow(c: FixtureCase, levels: number) {
  return { bids: c.bids.slice(0, levels), asks: c.asks.slice(0, levels) };
}

describe('CPU kernel dispatch', () => {
  it('lists the tables this CPU runs, always including portable', () => {
    expect(runnable).toContain('portable');
  });

  it.skipIf(missing.length === 0)(`cannot force a table this CPU lacks (${missing.join(', ') || 'none'})`, () => {
    expect(() => engine('pooled', { kernels: missing[0] })).toThrow(expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE' }));
  });

  it('picks the widest table by default and reports it in engine.info', () => {
    const previous = process.env.HAWKGRAPH_CPU_KERNELS;
    delete process.env.HAWKGRAPH_CPU_KERNELS;
    try {
      expect(engine('pooled').info.kernels).toBe(runnable[0]);
    } finally {
      if (previous !== undefined) process.env.HAWKGRAPH_CPU_KERNELS = previous;
    }
  });

  it('honours HAWKGRAPH_CPU_KERNELS, and the kernels option over it', () => {
    const previous = process.env.HAWKGRAPH_CPU_KERNELS;
    process.env.HAWKGRAPH_CPU_KERNELS = 'portable';
    try {
      expect(engine('pooled').info.kernels).toBe('portable');
      expect(engine('pooled', { kernels: runnable[0] }).info.kernels).toBe(runnable[0]);
      process.env.HAWKGRAPH_CPU_KERNELS = 'sse9';
      expect(() => engine('pooled')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('HAWKGRAPH_CPU_KERNELS') }));
    } finally {
      if (previous === undefined) delete process.env.HAWKGRAPH_CPU_KERNELS;
      else process.env.HAWKGRAPH_CPU_KERNELS = previous;
    }
  });

  it('refuses unknown kernels, bad threads and bad folds with ERR_INVALID_OPTION', () => {
    for (const bad of [{ kernels: 'neon' }, { threads: 0 }, { threads: 1.5 }, { threads: 1000 }, { folds: 'yes' }, { precision: 'int8' }]) {
      let caught: unknown;
      try {
        engine('pooled', bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(HawkgraphError);
      expect((caught as HawkgraphError).code).toBe('ERR_INVALID_OPTION');
    }
  });

  it('reports threads and the multiply-adds of a pass, folded fewer than as written', () => {
    const info = engine('pooled', { threads: 2 }).info;
    expect(info.threads).toBe(2);
    expect(info.macs!.folded).toBeGreaterThan(1e6);
    expect(info.macs!.folded).toBeLessThan(info.macs!.asWritten);
  });
});

describe.each(runnable.map((k) => [k]))('%s kernels', (kernels: Kernels) => {
  describe.each(MODES.map((m) => [m]))('%s fixture', (mode: Mode) => {
    it('fp32 matches every output of all 64 cases within 1e-4', () => {
      const e = engine(mode, { kernels });
      expect(e.info).toMatchObject({ kernels, precision: 'fp32' });
      expect(cases[mode]).toHaveLength(64);
      let worst = 0;
      for (const c of cases[mode]) {
        const r = worstError(e, c);
        worst = Math.max(worst, r.all);
        expect(r.direction).toBe(DIRECTIONS[c.expected.direction.indexOf(Math.max(...c.expected.direction))]);
      }
      expect(worst).toBeLessThan(FP32_TOLERANCE);
    });

    it.each([['fp16'], ['bf16']])('%s stays within 2e-2 and keeps every clear direction', (precision) => {
      const e = engine(mode, { kernels, precision });
      expect(e.info.precision).toBe(precision);
      let worst = 0;
      for (const c of cases[mode]) {
        const p = e.predict({ bids: c.bids, asks: c.asks }, { embedding: true });
        worst = Math.max(worst, maxAbsDiff(p.logits, c.expected.direction), maxAbsDiff(p.embedding!, c.expected.embeddings));
        const sorted = [...c.expected.direction].sort((a, b) => b - a);
        if (sorted[0] - sorted[1] > DIRECTION_MARGIN) {
          expect(p.direction).toBe(DIRECTIONS[c.expected.direction.indexOf(sorted[0])]);
        }
      }
      expect(worst).toBeLessThan(HALF_TOLERANCE);
    });

    it('folds give the same outputs as the layers as written, at every book depth', () => {
      const folded = engine(mode, { kernels });
      const unfused = engine(mode, { kernels, folds: false });
      let worst = 0;
      for (const [i, c] of cases[mode].slice(0, 16).entries()) {
        for (const levels of [1, 2, 3 + (i % 5), 11, 20]) {
          const a = folded.predict(shallow(c, levels), { embedding: true });
          const b = unfused.predict(shallow(c, levels), { embedding: true });
          expect(a.levelsUsed).toBe(levels);
          worst = Math.max(worst, maxAbsDiff(a.logits, b.logits), maxAbsDiff(a.embedding!, b.embedding!),
            Math.abs(a.magnitude - b.magnitude), Math.abs(a.volatility - b.volatility));
        }
      }
      // Both are fp32 paths; on AMX machines the large layers run as split bf16 (~1e-5 from fp32).
      expect(worst).toBeLessThan(5e-5);
    });

    it('predictBatch on 2 and 3 threads is bit-identical to 1 thread, mixed depths included', () => {
      const books = cases[mode].map((c, i) => (i % 4 === 3 ? shallow(c, 1 + (i % 20)) : { bids: c.bids, asks: c.asks }));
      const one = engine(mode, { kernels }).predictBatch(books, { embedding: true });
      for (const threads of [2, 3]) {
        const many = engine(mode, { kernels, threads }).predictBatch(books, { embedding: true });
        expect(Array.from(many.logits)).toEqual(Array.from(one.logits));
        expect(Array.from(many.embedding!)).toEqual(Array.from(one.embedding!));
        expect(Array.from(many.magnitude)).toEqual(Array.from(one.magnitude));
        expect(Array.from(many.levelsUsed)).toEqual(Array.from(one.levelsUsed));
      }
    });

    it('predictBatch rows equal predict() of the same book', () => {
      const e = engine(mode, { kernels, threads: 2 });
      const books = cases[mode].slice(0, 9).map((c) => ({ bids: c.bids, asks: c.asks }));
      const batch = e.predictBatch(books);
      books.forEach((b, k) => {
        const p = e.predict(b);
        expect([batch.logits[3 * k], batch.logits[3 * k + 1], batch.logits[3 * k + 2]]).toEqual(p.logits);
      });
    });
  });
});

describe.each(missing.map((k) => [k]))('%s kernels', (kernels) => {
  it.skip(`not run: this CPU lacks the instructions ${kernels} needs`, () => {});
});

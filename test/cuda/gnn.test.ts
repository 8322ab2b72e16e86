// The CUDA backend on a device: the fixtures in both attention modes (fp16 within 2e-2 on logits
// and embeddings plus the direction wherever the top two logits differ by > 0.05; fp32 within
// 1e-4), both single-book paths, batches at the bucket edges, engine lifecycles with the
// persistent kernel. Skipped, saying why, where no CUDA device is present.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DIRECTIONS, createEngine, runtime, type Engine } from '../../dist/index.js';
import { loadCases, maxAbsDiff, modelPath, type FixtureCase, type Mode } from '../helpers/fixtures';

const cuda = runtime().cuda;
const reason = !cuda.compiled ? 'CUDA support not compiled in' : cuda.devices.length === 0 ? `no CUDA device (${cuda.status})` : '';
if (reason) console.log(`skipping CUDA GNN tests: ${reason}`);

const TOLERANCE = { fp16: 2e-2, fp32: 1e-4 } as const;

function worstAgainst(p: { logits: ArrayLike<number>; magnitude: number; volatility: number; embedding?: ArrayLike<number> }, c: FixtureCase) {
  return Math.max(
    maxAbsDiff(p.logits, c.expected.direction),
    maxAbsDiff(p.embedding!, c.expected.embeddings),
    Math.abs(p.magnitude - c.expected.magnitude[0]),
    Math.abs(p.volatility - c.expected.volatility[0]),
  );
}

function clearDirection(c: FixtureCase): string | undefined {
  const sorted = [...c.expected.direction].sort((a, b) => b - a);
  return sorted[0] - sorted[1] > 0.05 ? DIRECTIONS[c.expected.direction.indexOf(sorted[0])] : undefined;
}

describe.skipIf(reason !== '')('CUDA GNN inference', () => {
  describe.each<[Mode, 'fp16' | 'fp32']>([
    ['pooled', 'fp16'],
    ['pooled', 'fp32'],
    ['levels', 'fp16'],
    ['levels', 'fp32'],
  ])('%s fixture, %s', (mode, precision) => {
    const cases = loadCases(mode);
    // Created in beforeAll: describe bodies run even where the suite is skipped.
    let engines: Engine[] = [];
    beforeAll(() => {
      engines = (['persistent', 'graph'] as const).map((singleBook) =>
        createEngine({ model: modelPath(mode), backend: 'cuda', precision, singleBook }),
      );
    });
    afterAll(() => engines.forEach((e) => e.close()));

    it('says where it runs', () => {
      for (const e of engines) {
        expect(e.info).toMatchObject({ backend: 'cuda', precision, device: cuda.devices[0].name });
      }
      expect(engines[0].info.backendStats?.persistentSingle).toBe(1);
      expect(engines[1].info.backendStats?.persistentSingle).toBe(0);
    });

    it.each([0, 1])('single predictions (path %i: persistent, graph) match the fixtures', (which) => {
      let worst = 0;
      for (const c of cases) {
        const p = engines[which].predict({ bids: c.bids, asks: c.asks }, { embedding: true });
        worst = Math.max(worst, worstAgainst(p, c));
        const want = clearDirection(c);
        if (want) expect(p.direction).toBe(want);
      }
      expect(worst).toBeLessThan(TOLERANCE[precision]);
    });

    it('a batch of all cases matches the fixtures and the single path', () => {
      const books = cases.map((c) => ({ bids: c.bids, asks: c.asks }));
      const batch = engines[0].predictBatch(books, { embedding: true });
      let worst = 0;
      cases.forEach((c, k) => {
        const p = {
          logits: batch.logits.subarray(3 * k, 3 * k + 3),
          magnitude: batch.magnitude[k],
          volatility: batch.volatility[k],
          embedding: batch.embedding!.subarray(64 * k, 64 * k + 64),
        };
        worst = Math.max(worst, worstAgainst(p, c));
      });
      expect(worst).toBeLessThan(TOLERANCE[precision]);
      const one = engines[0].predict(books[5], { embedding: true });
      expect(maxAbsDiff(batch.logits.subarray(15, 18), one.logits)).toBeLessThan(1e-5);
    });
  });

  describe('batches at the bucket edges', () => {
    const cases = loadCases('pooled');
    let engine: Engine;
    let cpu: Engine;
    beforeAll(() => {
      engine = createEngine({ model: modelPath('pooled'), backend: 'cuda', precision: 'fp16' });
      cpu = createEngine({ model: modelPath('pooled'), backend: 'cpu' });
    });
    afterAll(() => {
      engine.close();
      cpu.close();
    });
    // Mixed depths, so padded tiles and partial books share buckets.
    const book = (k: number) => {
      const c = cases[k % cases.length];
      const depth = 1 + (k % 20);
      return { bids: c.bids.slice(0, depth), asks: c.asks.slice(0, 20 - (k % 3)) };
    };

    it.each([1, 2, 8, 9, 64, 65, 512, 513, 4096, 4097, 16384, 16385, 40000])('%i books', (n) => {
      const books = Array.from({ length: n }, (_, k) => book(k));
      const out = engine.predictBatch(books);
      const probes = [...new Set([0, 1, n - 1, n >> 1, 16383, 16384])].filter((k) => k < n);
      for (const k of probes) {
        const want = cpu.predict(books[k]);
        expect(maxAbsDiff(out.logits.subarray(3 * k, 3 * k + 3), want.logits), `book ${k} of ${n}`).toBeLessThan(TOLERANCE.fp16);
        expect(out.levelsUsed[k]).toBe(want.levelsUsed);
      }
      for (let k = 0; k < n; k++) expect(Number.isFinite(out.logits[3 * k])).toBe(true);
    });
  });

  describe('lifecycle', () => {
    const c = loadCases('levels')[9];
    const bookOf = { bids: c.bids, asks: c.asks };

    it('engines with persistent kernels open and close repeatedly, several at once, without hanging', () => {
      const first = createEngine({ model: modelPath('levels'), backend: 'cuda', singleBook: 'persistent' });
      const want = first.predict(bookOf).logits;
      for (let round = 0; round < 3; round++) {
        const extra: Engine[] = [0, 1].map(() => createEngine({ model: modelPath('pooled'), backend: 'cuda', singleBook: 'persistent' }));
        extra.forEach((e) => e.predict(bookOf));
        extra.forEach((e) => e.close());
        expect(maxAbsDiff(first.predict(bookOf).logits, want)).toBeLessThan(1e-5);
      }
      first.close();
      expect(() => first.predict(bookOf)).toThrowError(expect.objectContaining({ code: 'ERR_ENGINE_CLOSED' }));
    });

    it('the persistent kernel restarts after its idle exit', async () => {
      const e = createEngine({ model: modelPath('levels'), backend: 'cuda', singleBook: 'persistent' });
      try {
        const want = e.predict(bookOf).logits;
        await new Promise((r) => setTimeout(r, 250));  // past the 100 ms idle exit
        expect(maxAbsDiff(e.predict(bookOf).logits, want)).toBeLessThan(1e-5);
        expect(maxAbsDiff(e.predictBatch([bookOf, bookOf]).logits.subarray(0, 3), want)).toBeLessThan(1e-5);
      } finally {
        e.close();
      }
    });

    it("'auto' picks the device and reports both single-book timings it chose between", () => {
      const e = createEngine({ model: modelPath('pooled') });
      try {
        expect(e.info.backend).toBe('cuda');
        expect(e.info.precision).toBe('fp16');
        const s = e.info.backendStats!;
        console.log(
          `single book medians (native, at creation): graph ${(s.singleGraphMedianNs / 1e3).toFixed(1)} µs, ` +
            `persistent ${(s.singlePersistentMedianNs / 1e3).toFixed(1)} µs; empty round trips: graph ` +
            `${(s.emptyGraphRoundTripNs / 1e3).toFixed(1)} µs, persistent ${(s.emptyPersistentRoundTripNs / 1e3).toFixed(1)} µs; ` +
            `chose ${s.persistentSingle ? 'persistent' : 'graph'}`,
        );
        expect(s.singleGraphMedianNs).toBeGreaterThan(0);
        expect(s.singlePersistentMedianNs).toBeGreaterThan(0);
        expect(s.persistentSingle).toBe(s.singlePersistentMedianNs < s.singleGraphMedianNs ? 1 : 0);
      } finally {
        e.close();
      }
    });
  });
});

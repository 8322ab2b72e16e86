// The addon's constants(): the core's limits and record layouts, exported once (core/limits.hpp,
// core/layouts.hpp), frozen, numeric, and true to what the addon writes; and native messages
// printing numbers as the caller wrote them.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

import { createEngine, exampleModelPath, runtime } from '../dist/index.js';

const requireNative = createRequire(__filename);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const addon: any = requireNative(runtime().binary.path);

type Tree = { [key: string]: number | Tree };

function leaves(tree: Tree, prefix = ''): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'object') out.push(...leaves(v, `${prefix}${k}.`));
    else out.push([`${prefix}${k}`, v]);
  }
  return out;
}

function frozenDeep(tree: object): boolean {
  return Object.isFrozen(tree) && Object.values(tree).every((v) => typeof v !== 'object' || frozenDeep(v));
}

describe('constants()', () => {
  const c = addon.constants() as { limits: Tree; layouts: Tree };

  it('is a frozen plain object of limits and layouts, numbers all the way down', () => {
    expect(Object.keys(c).sort()).toEqual(['layouts', 'limits']);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(frozenDeep(c)).toBe(true);
    const all = [...leaves(c.limits), ...leaves(c.layouts)];
    expect(all.length).toBeGreaterThan(60);
    for (const [key, v] of all) {
      expect(typeof v, key).toBe('number');
      expect(Number.isFinite(v), key).toBe(true);
    }
    expect(() => {
      'use strict';
      (c.limits as Record<string, unknown>).maxJumpTicks = 1;
    }).toThrow(TypeError);
  });

  it('says the bounds lib/ checks with', () => {
    const l = c.limits as Record<string, number> & { stream: Record<string, Record<string, number>> };
    expect(l.maxJumpTicks).toBe(1e6);
    expect(l.maxBookLevels).toBe(2 ** 24);
    expect(l.maxBatchBooks).toBe(2 ** 30);
    expect(l.maxBatchCapacity).toBe(2 ** 24);
    expect(l.maxModelBytes).toBe(2 ** 31 - 1);
    expect(l.maxPolicyBytes).toBe(64 * 1024 * 1024);
    expect(l.maxHawkesDims).toBe(64);
    expect(l.defaultMaxEvents).toBe(10_000_000);
    expect(l.defaultMaxStoredEvents).toBe(2 ** 28);
    expect(l.maxSafeInteger).toBe(Number.MAX_SAFE_INTEGER);
    expect(l.stream.maxSymbols).toEqual({ min: 1, max: 2 ** 16, default: 1024 });
    expect(l.stream.maxBatch).toEqual({ min: 1, max: 4096, default: 32 });
  });

  it('describes the rows the addon writes', () => {
    const L = c.layouts as Record<string, Record<string, number>>;
    const bytes = new Uint8Array(fs.readFileSync(exampleModelPath));
    const engine = new addon.GnnEngine(bytes, 'cpu', {}, undefined);
    const info = engine.info();
    expect(info.rowWidth).toBe(L.predictionRow.width + info.embed);
    expect(L.streamRecord.width).toBe(L.streamRecord.row + L.predictionRow.embedding);

    const px = (base: number, step: number) => Float64Array.from({ length: info.levels }, (_, i) => base + step * i);
    const size = Float64Array.from({ length: info.levels }, (_, i) => 1 + i);
    const row = new Float64Array(info.rowWidth).fill(NaN);
    engine.predict(px(99.99, -0.01), size, 2, px(100.01, 0.01), size, 3, row);
    const r = L.predictionRow;
    expect(row[r.levelsUsed]).toBe(Math.min(2, info.levels));
    expect([0, 1, 2]).toContain(row[r.direction]);
    const probs = [0, 1, 2].map((k) => row[r.probs + k]);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(row[r.confidence]).toBe(probs[row[r.direction]]);
    expect(row.every((v) => Number.isFinite(v))).toBe(true);
    engine.close();
  });
});

describe('native messages print numbers as the caller wrote them', () => {
  it('a crossed book of round prices', () => {
    const engine = createEngine({ model: exampleModelPath });
    try {
      expect(() => engine.predict({ bids: [[30000, 1]], asks: [[29999, 2]] })).toThrow(/best bid 30000 must be below best ask 29999/);
      expect(() => engine.predict({ bids: [[30000, 1], [30000, 2]], asks: [[30001, 1]] })).toThrow(
        /bids\[1\]\.price \(30000\) must be strictly below bids\[0\]\.price \(30000\)/,
      );
    } finally {
      engine.close();
    }
  });
});

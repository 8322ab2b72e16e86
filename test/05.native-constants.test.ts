// lib/native/layouts.ts mirrors by hand the record layouts and limits native code uses. Where the
// addon reports its own (constants(), from the native headers), both must agree key for key and
// value for value; without it, the layouts are checked against what the addon actually fills.
import { describe, expect, it } from 'vitest';

import { createEngine, exampleModelPath, HawkesProcess } from '../dist/index.js';
import { LAYOUTS, LIMITS, native } from '../dist/internal.js';

const constants = native().addon.constants;

describe("the addon's constants()", () => {
  if (typeof constants !== 'function') {
    const why = 'the loaded addon does not export constants() yet: LAYOUTS and LIMITS cannot be compared with it';
    console.warn(`test/05: skipped: ${why}`);
    it.skip(`skipped: ${why}`, () => {});
    return;
  }
  const reported = constants.call(native().addon);

  it('reports the same layouts as lib/native/layouts.ts (keys and values)', () => {
    expect(reported.layouts).toEqual(JSON.parse(JSON.stringify(LAYOUTS)));
  });

  it('reports the same limits as lib/native/layouts.ts (keys and values)', () => {
    expect(reported.limits).toEqual(JSON.parse(JSON.stringify(LIMITS)));
  });
});

describe('LAYOUTS against what the addon fills', () => {
  it('a prediction row is predictionRow.width values and the embedding', () => {
    const e = createEngine({ model: exampleModelPath, backend: 'cpu' });
    try {
      const p = e.predict({ bids: [[100, 1], [99.9, 2]], asks: [[100.1, 1], [100.2, 3]] }, { embedding: true });
      expect(p.embedding!.length).toBe(e.info.embed);
      // The stream record carries the row up to the embedding.
      expect(LAYOUTS.streamRecord.width).toBe(LAYOUTS.streamRecord.row + LAYOUTS.predictionRow.width);
      expect(LAYOUTS.predictionRow.embedding).toBe(LAYOUTS.predictionRow.width);
    } finally {
      e.close();
    }
  });

  it('the Hawkes statistics row is head + blocks * D values', () => {
    for (const D of [1, 3]) {
      const mu = new Array(D).fill(0.5);
      const alpha = mu.map(() => new Array(D).fill(0.1));
      const raw = native().addon.hawkesSimulate(
        Float64Array.from(mu), Float64Array.from(alpha.flat()), new Float64Array(D * D).fill(1), false,
        { endTime: 10, seed: 1, paths: 2, maxEvents: 1e6, threads: 1, maxStoredEvents: 1e6, method: 'exact', intensity: false, statsOnly: true, backend: 'cpu' },
      );
      expect(raw.stats.length).toBe(LAYOUTS.hawkesStats.head + LAYOUTS.hawkesStats.blocks * D);
      const sim = new HawkesProcess({ mu, alpha, beta: 1 }).simulate({ endTime: 10, seed: 1, paths: 2, statsOnly: true });
      expect(sim.stats.events).toBe(raw.stats[LAYOUTS.hawkesStats.events]);
    }
  });

  it('stream counters and records are read at their positions: one book submitted, one predicted', async () => {
    const e = createEngine({ model: exampleModelPath, backend: 'cpu', stream: { statsIntervalMs: 0 } });
    const event = new Promise<{ symbol: string; seq: number; ts: number }>((resolve) => e.once('prediction', resolve));
    const seq = e.submit('A', { bids: [[100, 1]], asks: [[100.1, 1]] }, { ts: 1234 });
    expect(e.streamStats()!.submitted).toBe(1);
    expect(await event).toMatchObject({ symbol: 'A', seq, ts: 1234 });
    const stats = await e.close();
    expect(stats).toMatchObject({ submitted: 1, predicted: 1, pending: 0, batches: 1 });
  });

  it('LIMITS hold the bounds lib refuses at', () => {
    expect(LIMITS.maxJumpTicks).toBe(1e6);
    expect(LIMITS.maxHawkesDims).toBe(64);
    expect(() => new HawkesProcess({ mu: new Array(LIMITS.maxHawkesDims + 1).fill(1), alpha: [], beta: 1 })).toThrow(/1 to 64 entries/);
  });
});

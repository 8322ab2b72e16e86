// The stream's models side by side: every prediction event carries the book's mid at submit and
// the slot of the model that answered ('primary', 'B', or a shadow's name).
import { describe, expect, it } from 'vitest';

import { createEngine } from '../dist/index.js';
import type { PredictionEvent } from '../dist/index.js';
import { loadCases, modelPath, typed } from './helpers/fixtures';

const cases = loadCases('pooled');

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

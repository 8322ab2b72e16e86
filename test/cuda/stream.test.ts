// The stream on a CUDA engine: events for the fixture books match PyTorch within the fp16
// tolerance of DESIGN.md and the accounting is exact. Runs only where a device is present.
import { describe, expect, it } from 'vitest';

import { DIRECTIONS, createEngine, runtime, type PredictionEvent } from '../../dist/index.js';
import { loadCases, maxAbsDiff, modelPath, typed, type Mode } from '../helpers/fixtures';

const cuda = runtime().cuda;
const reason = !cuda.compiled ? 'CUDA support not compiled in' : cuda.devices.length === 0 ? `no CUDA device (${cuda.status})` : '';
if (reason) console.log(`skipping CUDA stream tests: ${reason}`);

describe.skipIf(reason !== '').each<Mode>(['pooled', 'levels'])('streaming on a CUDA engine (%s)', (mode) => {
  it('delivers every fixture book within the fp16 tolerance, same direction where it is clear', async () => {
    const engine = createEngine({ model: modelPath(mode), backend: 'cuda', precision: 'fp16' });
    expect(engine.info.backend).toBe('cuda');
    const cases = loadCases(mode);
    const events = new Map<number, PredictionEvent>();
    engine.on('prediction', (e) => events.set(e.seq, e));
    const seqs = cases.map((c, i) => engine.submit(`S${i}`, i % 2 ? typed(c) : { bids: c.bids, asks: c.asks }));
    const stats = await engine.close();
    expect(stats).toMatchObject({ submitted: 64, predicted: 64, pending: 0, dropped: { total: 0 } });
    cases.forEach((c, i) => {
      const e = events.get(seqs[i])!;
      const want = c.expected.direction;
      expect(maxAbsDiff(e.logits, want)).toBeLessThan(2e-2);
      const sorted = [...want].sort((a, b) => b - a);
      if (sorted[0] - sorted[1] > 0.05) expect(e.direction).toBe(DIRECTIONS[want.indexOf(sorted[0])]);
    });
  });
});

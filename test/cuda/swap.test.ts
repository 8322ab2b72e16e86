// swapModel() on a CUDA engine, on a device: the same contract as the CPU's (test/23): results and
// events name their model and match the fixtures of the model named, a refused model leaves the
// engine as it was, and the stream keeps every book across swaps. Skipped, saying why, where no
// CUDA device is present.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { createEngine, runtime, type PredictionEvent } from '../../dist/index.js';
import { loadCases, maxAbsDiff, modelPath } from '../helpers/fixtures';
import { randomModel, toSafetensors } from '../helpers/reference-model';
import { writeSafetensors } from '../helpers/safetensors';

const cuda = runtime().cuda;
const reason = !cuda.compiled ? 'CUDA support not compiled in' : cuda.devices.length === 0 ? `no CUDA device (${cuda.status})` : '';
if (reason) console.log(`skipping CUDA swap tests: ${reason}`);

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe.skipIf(reason !== '')('CUDA swapModel', () => {
  it.each(['persistent', 'graph'] as const)('swaps between two calls and two batches (%s single-book path)', async (singleBook) => {
    const books = loadCases('pooled').map((c) => ({ bids: c.bids, asks: c.asks }));
    // What each model gives on the CPU: the fixtures' own checks (test/30) hold these to 1e-4.
    const cpu = new Map(
      (['pooled', 'levels'] as const).map((m) => [sha256(fs.readFileSync(modelPath(m))), createEngine({ model: modelPath(m), backend: 'cpu' })]),
    );
    const engine = createEngine({ model: modelPath('pooled'), backend: 'cuda', precision: 'fp32', singleBook });
    const ids = { pooled: sha256(fs.readFileSync(modelPath('pooled'))), levels: sha256(fs.readFileSync(modelPath('levels'))) };
    const events: PredictionEvent[] = [];
    const bookOf = new Map<number, number>();
    engine.on('prediction', (e) => events.push(e));
    for (let round = 0; round < 40; round++) {
      if (round === 10) await engine.swapModel(modelPath('levels'));
      if (round === 20) {
        const refused = await engine.swapModel(writeSafetensors(toSafetensors(randomModel(10, 128, 4, 'pooled', 1)))).catch((e: unknown) => e);
        expect(refused).toMatchObject({ code: 'ERR_MODEL_INCOMPATIBLE' });
        expect(engine.info).toMatchObject({ backend: 'cuda', modelId: ids.levels });
      }
      if (round === 30) await engine.swapModel(modelPath('pooled'));
      for (let s = 0; s < 8; s++) {
        const k = (round * 8 + s) % 64;
        bookOf.set(engine.submit(`S${s}`, books[k]), k);
      }
      const p = engine.predict(books[round]);
      expect(p.modelId).toBe(engine.info.modelId);
      expect(maxAbsDiff(p.logits, cpu.get(p.modelId)!.predict(books[round]).logits)).toBeLessThan(1e-4);
      await tick();
    }
    const final = (await engine.close())!;
    expect(final.submitted).toBe(final.predicted + final.dropped.total);
    expect(new Set(events.map((e) => e.modelId))).toEqual(new Set([ids.pooled, ids.levels]));
    for (const e of events) expect(maxAbsDiff(e.logits, cpu.get(e.modelId)!.predict(books[bookOf.get(e.seq)!]).logits)).toBeLessThan(1e-4);
    for (const e of cpu.values()) e.close();
  });
});

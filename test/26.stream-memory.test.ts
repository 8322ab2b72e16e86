// Memory stays bounded when streams open and close over and over (a bot reconnecting), and when
// shadows come and go and model B is swapped on a live stream. RSS is measured after a warm-up
// (allocator pools, V8's heap, the histogram pool) without forcing a GC: a stream whose native
// memory waited for V8's collector grew RSS by ~60 KB a cycle (169 MB after 1,400 cycles).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { createEngine } from '../dist/index.js';
import { loadCases, modelPath, typed } from './helpers/fixtures';
import { randomBook, randomModel, toSafetensors } from './helpers/reference-model';
import { writeSafetensors } from './helpers/safetensors';

const books = loadCases('pooled').slice(0, 8).map((c) => typed(c));
const pooledBytes = new Uint8Array(fs.readFileSync(modelPath('pooled')));
const levelsBytes = new Uint8Array(fs.readFileSync(modelPath('levels')));
const MB = 1024 * 1024;

describe('stream memory', () => {
  it('stays within 56 MB of RSS over 1,000 stream open/close cycles', async () => {
    const cycle = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const engine = createEngine({ model: pooledBytes, backend: 'cpu' });
        engine.submit('S', books[i % books.length]);
        const stats = (await engine.close())!;
        expect(stats.predicted).toBe(1);
      }
    };
    await cycle(200);
    const before = process.memoryUsage().rss;
    await cycle(1000);
    const growth = process.memoryUsage().rss - before;
    // Measured: 105 to 120 MB over these 1,000 cycles with one unpooled perf_hooks histogram a
    // cycle (the old creep); now 7 to 21 MB alone and up to about 40 MB beside other test files
    // (V8's heap and the typed arrays it has yet to collect; with a GC every 10 cycles RSS is flat).
    expect(growth, `${(growth / MB).toFixed(1)} MB`).toBeLessThan(56 * MB);
  }, 120_000);

  it('stays within 48 MB over 1,000 swaps of model B and shadows added and removed on a live stream', async () => {
    const engine = createEngine({ model: pooledBytes, backend: 'cpu', stream: { statsIntervalMs: 0, split: { B: 0.5 } } });
    let shadowEvents = 0;
    engine.on('shadow', () => void shadowEvents++);
    const churn = async (n: number) => {
      for (let i = 0; i < n; i++) {
        engine.submit(`S${i % 8}`, books[i % books.length]);
        await engine.swapModel(i % 2 ? pooledBytes : levelsBytes, { slot: 'B' });
        if (i % 10 === 0) await engine.addShadow(levelsBytes, { name: `s${i}` });
        if (i % 10 === 5) await engine.removeShadow(`s${i - 5}`);
      }
    };
    await churn(200);
    const before = process.memoryUsage().rss;
    await churn(1000);
    const growth = process.memoryUsage().rss - before;
    // A leaked run of B (~0.3 MB of weights, more prepared) or shadow (a thread, its queue of
    // 4096 books of 640 B) would be 300 MB or more over these cycles.
    expect(growth).toBeLessThan(48 * MB);
    const final = (await engine.close())!;
    expect(final.submitted).toBe(1200);
    expect(final.predicted + final.dropped.total).toBe(1200);
    expect(shadowEvents).toBeGreaterThan(0);
  }, 180_000);

  it('shares the prepared weights between the calling thread and the stream thread', () => {
    // A model big enough (16 MB of fp32 weights) that a second prepared copy stands out of the
    // noise of a fresh process's RSS; the child measures the stream's first book alone.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hg-share-')), 'big.safetensors');
    const bytes = writeSafetensors(toSafetensors(randomModel(10, 1024, 8, 'levels', 7)));
    fs.writeFileSync(file, bytes);
    const book = randomBook(10, 10, 3);
    const script = `
      const { createEngine } = require(${JSON.stringify(path.resolve('dist/index.js'))});
      const book = ${JSON.stringify(book)};
      const engine = createEngine({ model: ${JSON.stringify(file)}, backend: 'cpu' });
      engine.predict(book);
      const before = process.memoryUsage().rss;
      engine.once('prediction', async () => {
        const growth = process.memoryUsage().rss - before;
        await engine.close();
        process.stdout.write(JSON.stringify({ growth }));
      });
      engine.submit('S', book);`;
    try {
      const { growth } = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
      console.log(`stream's first book: RSS +${(growth / MB).toFixed(1)} MB (model file ${(bytes.length / MB).toFixed(1)} MB)`);
      // A second packed copy of the weights is at least the file's size (fp32 in, fp32 or wider
      // packed); the stream's own buffers and thread are a few MB.
      expect(growth).toBeLessThan(bytes.length / 2);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }, 60_000);
});


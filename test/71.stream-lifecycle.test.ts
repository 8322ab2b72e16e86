import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { modelPath } from './helpers/fixtures';

const dist = path.resolve(__dirname, '..', 'dist', 'index.js');
const cases = path.resolve(__dirname, 'fixtures', 'gnn_pooled_cases.json');
const model = modelPath('pooled');

// Code shared by the worker and child-process scripts: an engine and a feed of fixture books.
const prelude = `
const { createEngine } = require(${JSON.stringify(dist)});
const cases = require(${JSON.stringify(cases)});
const books = cases.cases.slice(0, 32).map((c) => ({ bids: c.bids, asks: c.asks }));
const engine = createEngine({ model: ${JSON.stringify(model)}, backend: "cpu", stream: { statsIntervalMs: 10 } });
`;

function runChild(body: string): { status: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string } {
  // The timeout only turns a hang into a failure; nothing here measures time.
  const r = spawnSync(process.execPath, ['-e', prelude + body], { encoding: 'utf8', timeout: 60_000, env: process.env });
  return { status: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout };
}

describe('engines in worker_threads', () => {
  it('runs one engine per worker, several workers in parallel, each exact', async () => {
    const script = `
      const { parentPort, workerData } = require('node:worker_threads');
      ${prelude}
      (async () => {
        const want = books.map((b) => engine.predict(b).logits);
        let mismatches = 0;
        let stats = 0, unbalanced = 0;
        const bookOf = new Map();
        engine.on('prediction', (e) => {
          const b = bookOf.get(e.seq);
          if (JSON.stringify(e.logits) !== JSON.stringify(want[b])) mismatches++;
        });
        engine.on('stats', (s) => { stats++; if (s.submitted !== s.predicted + s.dropped.total + s.pending) unbalanced++; });
        for (let round = 0; round < 3000; round++) {
          for (let s = 0; s < 10; s++) {
            const b = (round * 3 + s + workerData.id) % books.length;
            const seq = engine.submit('S' + s, books[b]);
            bookOf.set(seq, b);
          }
          if (round % 100 === 99) await new Promise((r) => setImmediate(r));
        }
        const final = await engine.close();
        parentPort.postMessage({ final, mismatches, unbalanced });
      })();
    `;
    const N = 3;
    const results = await Promise.all(
      Array.from({ length: N }, (_, id) => new Promise<any>((resolve, reject) => {
        const w = new Worker(script, { eval: true, workerData: { id } });
        w.once('message', resolve);
        w.once('error', reject);
      })),
    );
    for (const r of results) {
      expect(r.mismatches).toBe(0);
      expect(r.unbalanced).toBe(0);
      expect(r.final.submitted).toBe(30_000);
      expect(r.final.pending).toBe(0);
      expect(r.final.predicted + r.final.dropped.total).toBe(30_000);
    }
  });

  it('survives terminating a worker whose engine is streaming', async () => {
    const script = `
      const { parentPort } = require('node:worker_threads');
      ${prelude}
      let i = 0;
      engine.on('prediction', () => { if (++i === 50) parentPort.postMessage('busy'); });
      const feed = () => { for (let k = 0; k < 200; k++) engine.submit('S' + (k % 20), books[k % books.length]); setImmediate(feed); };
      feed();
    `;
    const w = new Worker(script, { eval: true });
    await new Promise((resolve) => w.once('message', resolve));
    const code = await w.terminate();
    expect(code).toBe(1);
  });
});

describe('a process that ends with an engine still open', () => {
  it('stays alive for a prediction it was asked for, with nothing else running', () => {
    const r = runChild(`
      engine.once('prediction', (p) => console.log('got', p.seq, p.symbol));
      engine.submit('ONLY', books[0]);
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('got 1 ONLY');
    expect(r.status).toBe(0);
  });

  it('exits on its own once submitted books are out, the engine left open', () => {
    const r = runChild(`
      for (let k = 0; k < 5000; k++) engine.submit('S' + (k % 100), books[k % books.length]);
      console.log('submitted');
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('submitted');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });

  it('exits cleanly on process.exit() under load', () => {
    const r = runChild(`
      let n = 0;
      engine.on('prediction', () => { if (++n === 2000) process.exit(7); });
      const feed = () => { for (let k = 0; k < 500; k++) engine.submit('S' + (k % 100), books[k % books.length]); setImmediate(feed); };
      feed();
    `);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(7);
  });

  it('exits with the uncaught-exception code when a listener throws, not with a crash', () => {
    const r = runChild(`
      engine.on('prediction', () => { throw new Error('listener failed'); });
      const feed = () => { for (let k = 0; k < 100; k++) engine.submit('S' + (k % 10), books[k % books.length]); setImmediate(feed); };
      feed();
    `);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/listener failed/);
  });

  it('exits cleanly with an unref()ed worker still streaming', () => {
    const r = runChild(`
      const { Worker } = require('node:worker_threads');
      const w = new Worker(${JSON.stringify(prelude)} + \`
        const { parentPort } = require('node:worker_threads');
        let n = 0;
        engine.on('prediction', () => { if (++n === 100) parentPort.postMessage('busy'); });
        const feed = () => { for (let k = 0; k < 200; k++) engine.submit('S' + (k % 20), books[k % books.length]); setImmediate(feed); };
        feed();
      \`, { eval: true });
      w.once('message', () => { w.unref(); console.log('leaving'); });
      engine.close();
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('leaving');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });
});

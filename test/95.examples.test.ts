// The runnable examples still run: each is started as a user would (node examples/x.js, with the
// package as `require('..')`) on short settings, and must exit 0 with the output it promises.
// backtest-basic.js (about 9 s of simulation) is left to the backtest suites.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const run = (file: string, ...args: string[]) =>
  execFileSync(process.execPath, [path.join(root, 'examples', file), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('examples', () => {
  it('demo.js predicts simulated books and reports latency', () => {
    const out = run('demo.js');
    expect(out).toMatch(/predict\(\) over \d+ calls: p50 [\d.]+ µs/);
  });

  it('many-symbols.js scores a BookBatch each tick and ranks the signals', () => {
    const out = run('many-symbols.js', '40', '4');
    expect(out).toMatch(/^40 symbols on (cpu|cuda) /m);
    expect(out).toMatch(/predictBatch of 40 books: p50 \d+ µs a tick/);
  });

  it('model-ops.js scores a model and its shadow online and serves them on /metrics', () => {
    const out = run('model-ops.js', '2', '4');
    const served = Number(out.match(/^ {2}bot_books_submitted_total (\d+)$/m)?.[1]);
    expect(served).toBe(4 * 81); // 2 s + 2 s of snapshots at 20 a second, for 4 symbols
    const scored = [...out.matchAll(/^(primary|candidate): (\d+) scored, accuracy (0\.\d+), log-loss ([\d.]+), Brier ([\d.]+)/gm)];
    expect(scored.map((m) => m[1])).toEqual(['primary', 'candidate']);
    for (const m of scored) expect(Number(m[2])).toBeGreaterThan(50);
  });

  it('bot-loop.js streams books for a second and accounts for every one', () => {
    const out = run('bot-loop.js', '1', '2000', '5');
    const done = out.match(/done: (\d+) books .*?; (\d+) predictions, (\d+) superseded, (\d+) pending/);
    expect(done).not.toBeNull();
    const [, books, predicted, superseded, pending] = done!.map(Number);
    expect(books).toBeGreaterThan(100);
    expect(predicted + superseded + pending).toBe(books);
  });
});

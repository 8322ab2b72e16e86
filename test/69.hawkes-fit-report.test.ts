// `npx hawkgraph fit events.csv --report fit.html`: the CSV reader (header optional, LOB names,
// refusals that name the line), the printed table and the JSON, and the HTML report: self-contained,
// one QQ plot per type, the alpha and branching heat maps, and, where Debian's chromium is
// installed, rendered headless with every plot's marks laid out (as test/83 checks the backtest report).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { HawkesProcess, LOB_EVENT_TYPES, goodnessOfFitFor, renderFitReport } from '../dist/index.js';
import { CHROMIUM, hasChromium, renderPlots } from './helpers/chromium';

const CLI = path.join(__dirname, '..', 'dist', 'cli.js');
const EPOCH = 1_767_225_600;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-fit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hp = new HawkesProcess({ mu: [0.6, 0.4, 0.3], alpha: [[0.8, 0.3, 0.2], [0.4, 0.9, 0.1], [0.2, 0.3, 1.0]], beta: [3, 3, 4] });
const sim = hp.simulate({ endTime: 1500, seed: 8 });
const csv = path.join(dir, 'events.csv');
fs.writeFileSync(csv, `time,type\n${Array.from(sim.times, (t, i) => `${(EPOCH + t).toFixed(6)},${sim.types[i]}`).join('\n')}\n`);

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    return { status: 0, stdout: execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('hawkgraph fit', () => {
  const report = path.join(dir, 'fit.html'), json = path.join(dir, 'fit.json');
  const out = run(['fit', csv, '--beta', '3,3,4', '--report', report, '--json', json]);

  it('fits epoch-second events on the window from the first event, prints the table, writes the JSON and the report', () => {
    expect(out.status).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^type\s+events\s+mu\s+compensator\s+KS D\s+KS p$/);
    expect(lines).toHaveLength(1 + 3 + 1 + 1);
    expect(lines[4]).toMatch(/^all\s+\d+/);
    expect(lines[5]).toMatch(/^branching ratio [0-9.]+, log-likelihood -[0-9.]+$/);
    const r = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(r.window.startTime).toBeCloseTo(EPOCH + sim.times[0], 5);
    expect(r.params.mu).toHaveLength(3);
    // The window from the first event: mu is the per-second rate, not the 1e-10 of a window from 1970.
    for (const m of r.params.mu) expect(m).toBeGreaterThan(0.05);
    expect(r.goodness.types.map((t: { events: number }) => t.events).reduce((a: number, b: number) => a + b, 0)).toBe(sim.times.length);
    // The numbers are goodnessOfFitFor's on the shifted window.
    const written = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    const shifted = Float64Array.from(written, (t) => t - r.window.startTime);
    const g = goodnessOfFitFor(r.params, shifted, sim.types, r.window.endTime - r.window.startTime);
    expect(r.goodness.types[1].ks.statistic).toBeCloseTo(g.types[1].ks.statistic, 12);
    const html = fs.readFileSync(report, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/i);
    for (const p of ['qq-0', 'qq-1', 'qq-2', 'alpha', 'branching', 'types']) expect(html).toContain(`data-plot="${p}"`);
    expect(html).not.toContain('data-plot="qq-3"');
    expect(html).toMatch(/conservative/);
  });

  it('reads LOB type names and a file without a header; refuses bad files naming the line', () => {
    const lob = new HawkesProcess({ mu: Array(8).fill(0.5), alpha: Array.from({ length: 8 }, (_, k) => Array.from({ length: 8 }, (_, l) => (k === l ? 0.6 : 0.1))), beta: 4 });
    const s = lob.simulate({ endTime: 400, seed: 3 });
    const file = path.join(dir, 'lob.csv');
    fs.writeFileSync(file, Array.from(s.times, (t, i) => `${t},${LOB_EVENT_TYPES[s.types[i]]}`).join('\n'));
    const r = run(['fit', file, '--beta', '4', '--report', path.join(dir, 'lob.html'), '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^MAb\s+\d+/m);
    expect(r.stdout).toMatch(/^MNs\s+\d+/m);
    const html = fs.readFileSync(path.join(dir, 'lob.html'), 'utf8');
    expect(html).toContain('data-plot="qq-7"');
    const cases: [string, RegExp][] = [
      ['time,type\n1,0\n0.5,1\n', /line 3: the time 0.5 is before the previous event's 1/],
      ['1,0\n2,buy\n', /line 2: the type "buy" is neither an integer >= 0 nor one of MAb/],
      ['1,0\nx,1\n', /line 2: the time "x" is not a finite number/],
      ['time,type\n', /holds no events/],
    ];
    for (const [text, pattern] of cases) {
      fs.writeFileSync(file, text);
      const bad = run(['fit', file]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/ERR_INVALID_ARGUMENT/);
      expect(bad.stderr).toMatch(pattern);
    }
    const usage = run(['fit', csv, '--beta', 'fast']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--beta must be a number/);
    expect(usage.stderr).toMatch(/usage: hawkgraph fit/);
    const help = run(['fit', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: hawkgraph fit <events.csv>/);
  });

  it('renderFitReport escapes names and marks a rejected type', () => {
    const fit = HawkesProcess.fit(sim.times, sim.types, 1500, { beta: [3, 3, 4] });
    const wrong = { ...fit, params: { ...fit.params, mu: fit.params.mu.map((m) => 3 * m) } };
    const goodness = goodnessOfFitFor(wrong.params, sim.times, sim.types, 1500);
    const html = renderFitReport({ fit: wrong, goodness, branchingRatio: 0.5, typeNames: ['<a>', 'b', 'c'] }, { title: 't & t' });
    expect(html).toContain('&lt;a&gt;');
    expect(html).toContain('t &amp; t');
    expect(html).toContain('fill="#d62728"'); // rejected types' points are drawn in red
  });

  if (!hasChromium) console.log(`test/69: ${CHROMIUM} not found, skipping the headless render check (apt-get install chromium to run it)`);

  it.skipIf(!hasChromium)('renders in headless chromium: one QQ plot per type and both heat maps draw all their marks', () => {
    const check = renderPlots(fs.readFileSync(report, 'utf8'), dir, 'types', 'typeRows');
    const qq = Object.keys(check).filter((k) => k.startsWith('qq-'));
    expect(qq.sort()).toEqual(['qq-0', 'qq-1', 'qq-2']);
    for (const p of [...qq, 'alpha', 'branching']) {
      expect(check[p].total, p).toBeGreaterThan(0);
      expect(check[p].drawn, p).toBe(check[p].total);
      expect(check[p].width, p).toBeGreaterThan(100);
    }
    // QQ: the band, the diagonal and 200 points; heat maps: D * D cells.
    for (const p of qq) expect(check[p].total).toBe(202);
    expect(check.alpha.total).toBe(9);
    expect(check.branching.total).toBe(9);
    expect(check.typeRows).toBe(3 + 1);
  });
});

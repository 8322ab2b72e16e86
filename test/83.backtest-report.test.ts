// The HTML report: self-contained (no scripts, no external resources), every plot present, and,
// where Debian's chromium is installed, rendered headless with every plot's marks laid out
// (a non-empty bounding box for each mark element). Skipped, saying so, without chromium.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { renderReport, runStudy } from '../dist/index.js';
import { CHROMIUM, hasChromium, renderPlots } from './helpers/chromium';
import { policyFile } from './helpers/policy';

const PLOTS = ['pnl-histogram', 'inventory', 'pnl-time', 'sharpe-fee'];

const study = runStudy({
  strategies: { SYM: 'sym', LIN: { lin: { bid: [1, 0.5], ask: [1, -0.5] } }, RL: { policy: policyFile({ seed: 5 }) } },
  paths: 60, horizon: 30, seed: 3, noise: [0.1], feeSweep: [0, 0.002, 0.004],
});
const html = renderReport(study, { title: 'test <report>', notes: ['a & b'] });

describe('report', () => {
  it('is one self-contained document with every plot and the metrics table', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/i);
    for (const p of PLOTS) expect(html).toContain(`data-plot="${p}"`);
    expect(html).toContain('data-plot="metrics"');
    expect(html).toContain('test &lt;report&gt;');
    expect(html).toContain('a &amp; b');
    expect((html.match(/<tr>/g) ?? []).length).toBe(1 + study.rows.length);
  });

  it('npx hawkgraph backtest: runs a study from JSON, prints the table and writes the report', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-cli-'));
    try {
      fs.writeFileSync(path.join(dir, 'actor.safetensors'), policyFile({ seed: 2 }));
      const config = {
        paths: 20, horizon: 10, seed: 1, noise: [0.2], feeSweep: [0, 0.002],
        strategies: { SYM: 'sym', GLFT: { glft: { A: 2, k: 0.5, sigma: 3, gamma: 0.01 } }, RL: { policy: 'actor.safetensors' } },
      };
      fs.writeFileSync(path.join(dir, 'study.json'), JSON.stringify(config));
      const cli = path.join(__dirname, '..', 'dist', 'cli.js');
      const out = execFileSync(process.execPath, [cli, 'backtest', path.join(dir, 'study.json'), '--report', path.join(dir, 'out.html'), '--json', path.join(dir, 'rows.json')], {
        encoding: 'utf8', env: process.env, stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.split('\n')[0]).toMatch(/^strategy\s+study\s+noise/);
      expect(out).toMatch(/^RL\s+fee/m);
      const report = fs.readFileSync(path.join(dir, 'out.html'), 'utf8');
      for (const p of PLOTS) expect(report).toContain(`data-plot="${p}"`);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'rows.json'), 'utf8')).rows).toHaveLength(3 * (1 + 1 + 2));
      let failed: { status: number; stderr: string } | undefined;
      try {
        execFileSync(process.execPath, [cli, 'backtest', path.join(dir, 'missing.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        failed = err as { status: number; stderr: string };
      }
      expect(failed?.status).toBe(1);
      expect(failed?.stderr).toMatch(/ERR_INVALID_ARGUMENT: cannot read the config/);
      try {
        execFileSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        failed = err as { status: number; stderr: string };
      }
      expect(failed?.status).toBe(2);
      expect(failed?.stderr).toMatch(/usage: hawkgraph backtest/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  if (!hasChromium) console.log(`test/83: ${CHROMIUM} not found, skipping the headless render check (apt-get install chromium to run it)`);

  it.skipIf(!hasChromium)('renders in headless chromium with every plot drawing its marks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-report-'));
    try {
      const check = renderPlots(html, dir, 'metrics', 'metricsRows');
      for (const p of PLOTS) {
        expect(check[p], p).toBeDefined();
        expect(check[p].total, p).toBeGreaterThan(0);
        expect(check[p].drawn, p).toBe(check[p].total);
        expect(check[p].width, p).toBeGreaterThan(100);
      }
      expect(check.metricsRows).toBe(study.rows.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

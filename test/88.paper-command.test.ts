// The paper command (issue 15): runPaper at a tiny budget has every part of the experiment, the
// fee sweep moves the maker fee only (taker fixed at 0.2 %), LIN is the best by Sharpe of a grid
// over offsets from the mid and from the best prices, DRL's fee curve is the retrained agents',
// and `hawkgraph paper --quick --report` writes the report with the comparison to the paper.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { runBacktest } from '../dist/index.js';
import { DRL_RETRAINED, runPaper } from '../dist/paper/experiment.js';
import { PAPER_FEES } from '../dist/paper/reference.js';

describe('the paper experiment', () => {
  it('trains DRL, picks LIN by Sharpe, and sweeps the maker fee with the taker fee at 0.2 %', async () => {
    const stages: string[] = [];
    const r = await runPaper({ steps: 300, paths: 60, seed: 3, linSpreads: [1, 3], linSkews: [0, 1], onProgress: (s) => stages.push(s) });
    expect(Object.keys(r.study.base).sort()).toEqual(['DRL', 'LIN', 'SYM']);
    expect(r.study.rows.filter((row) => row.study === 'noise')).toHaveLength(9);
    const best = Math.max(...r.lin.grid.map((g) => g.sharpe));
    expect(r.lin.sharpe).toBe(best);
    // Both LIN families are searched: offsets from the mid and from the best prices.
    expect(r.lin.grid).toHaveLength(8);
    expect(new Set(r.lin.grid.map((g) => g.from))).toEqual(new Set(['mid', 'best']));
    for (const name of ['SYM', 'LIN', 'DRL'] as const) {
      expect(r.sharpeByFee[name]).toHaveLength(PAPER_FEES.length);
      const means = r.study.fees[name].map((x) => x.metrics.mean);
      for (let k = 1; k < means.length; k++) expect(means[k]).toBeLessThan(means[k - 1]);
      for (const x of r.study.fees[name]) expect(x.config.fees.taker).toBe(0.002);
    }
    // The zero-maker-fee run is the paper's setting itself: the study's base run, path for path.
    expect(Array.from(r.study.fees.SYM[0].paths.pnl)).toEqual(Array.from(r.study.base.SYM.paths.pnl));
    expect(Array.from(runBacktest({ strategy: 'sym', paths: 60, seed: 3 }).paths.pnl)).toEqual(Array.from(r.study.base.SYM.paths.pnl));
    expect(r.drlRetrained.trades).toHaveLength(4);
    // DRL's fee curve is the agents retrained per fee (the paper's figure); the fee-0 agent's is beside it.
    expect(r.sharpeByFee.DRL).toEqual(r.drlRetrained.sharpe);
    expect(r.sharpeByFee.DRL[0]).toBe(r.study.base.DRL.metrics.sharpe);
    expect(r.sharpeByFee.DRL0).toEqual(r.study.fees.DRL.map((x) => x.metrics.sharpe));
    expect(r.study.fees[DRL_RETRAINED].map((x) => x.config.fees.maker)).toEqual([...PAPER_FEES]);
    expect(stages.length).toBeGreaterThan(10);
  });

  it('gives the same policies and numbers with the trainings one after another (threads 1) and side by side (threads 2)', async () => {
    const quick = { steps: 400, paths: 60, seed: 5, linSpreads: [2, 40], linSkews: [0, 12] };
    const [one, two] = [await runPaper({ ...quick, threads: 1 }), await runPaper({ ...quick, threads: 2 })];
    expect(one.settings.threads).toBe(1);
    expect(two.settings.threads).toBe(2);
    expect(Buffer.from(two.policy).equals(Buffer.from(one.policy))).toBe(true);
    for (const name of ['SYM', 'LIN', 'DRL']) expect(Array.from(two.study.base[name].paths.pnl)).toEqual(Array.from(one.study.base[name].paths.pnl));
    expect(two.study.fees[DRL_RETRAINED].map((r) => Array.from(r.paths.pnl))).toEqual(one.study.fees[DRL_RETRAINED].map((r) => Array.from(r.paths.pnl)));
    expect(two.study.rows).toEqual(one.study.rows);
    expect(two.lin).toEqual(one.lin);
    expect(two.sharpeByFee).toEqual(one.sharpeByFee);
    expect(two.drlRetrained).toEqual(one.drlRetrained);
    // The retrained agents are distinct policies (each fee's own training), not the fee-0 agent four times.
    expect(new Set(one.study.fees[DRL_RETRAINED].map((r) => r.metrics.mean)).size).toBe(PAPER_FEES.length);
  });

  it('refuses threads 0 naming the field', async () => {
    await expect(runPaper({ threads: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/threads must be an integer in \[1, .*got 0/) });
  });

  it('runs from the command line and writes the report beside the paper\'s numbers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-paper-'));
    const report = path.join(dir, 'paper.html'), json = path.join(dir, 'paper.json');
    const out = execFileSync(process.execPath, [path.join(__dirname, '..', 'dist', 'cli.js'), 'paper', '--quick', '--steps', '300', '--paths', '40', '--report', report, '--json', json, '--quiet'], { encoding: 'utf8' });
    expect(out).toMatch(/SYM Sharpe, maker fee 0\.2 %\s+-?\d+\.\d+\s+-1\.24/);
    const html = fs.readFileSync(report, 'utf8');
    expect(html).toContain('Beside the paper');
    expect(html).toContain('data-plot="sharpe-fee"');
    const j = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(j.comparison.length).toBeGreaterThan(20);
    expect(j.settings.steps).toBe(300);
  });
});

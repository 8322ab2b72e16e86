/**
 * `hawkgraph paper --report out.html`: the seed paper's experiment (paper/experiment.ts) with a
 * progress bar on stderr, the table beside the paper's published numbers on stdout, and the HTML
 * report (the backtest report's figures, then the comparison tables). Called by cli.ts, which
 * owns the usage text and the exit codes.
 */
import * as fs from 'node:fs';

import { PAPER_FEES, PAPER_REFERENCE } from './paper/reference';
import { type PaperResult, runPaper } from './paper/experiment';
import { esc, fmt } from './report/html';
import { renderReport } from './report/html';
import { readArgs } from './cli-args';

export const PAPER_USAGE = `usage: hawkgraph paper [--report out.html] [--json out.json] [--steps N] [--paths N] [--seed S] [--event-loop exact|published] [--threads N] [--quick] [--quiet]

Runs the seed paper's experiment (Gasperov and Kostanjcar 2022) at its setting (docs/backtest.md): trains the DRL agent
with native SAC (--steps, default 1e5; the paper's 1e6 takes about 12 minutes here), finds the best inventory-linear
strategy by a grid search on Sharpe, runs SYM, the baseline-noise study, Sharpe against the maker fee and DRL retrained
per fee, and prints them beside the paper's numbers. --event-loop published reproduces the authors' event loop, bug
included (the paper's own table); exact (default) simulates exactly. --threads: native threads (default one per
core): the four trainings run side by side on them and the backtests on all of them; the results do not depend on
it. --quick: 2,000 steps and 200 paths (a smoke run).`;

interface PaperArgs {
  report?: string;
  json?: string;
  steps?: number;
  paths?: number;
  seed?: number;
  eventLoop?: 'exact' | 'published';
  threads?: number;
  quiet: boolean;
}

function parsePaperArgs(argv: string[], usage: (message?: string) => never): PaperArgs {
  const out: PaperArgs = { quiet: false };
  for (const { arg: a, value } of readArgs(argv, usage)) {
    const int = (name: string) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) usage(`${name} must be a non-negative integer`);
      return n;
    };
    if (a === '--report') out.report = value();
    else if (a === '--json') out.json = value();
    else if (a === '--steps') out.steps = int('--steps');
    else if (a === '--paths') out.paths = int('--paths');
    else if (a === '--seed') out.seed = int('--seed');
    else if (a === '--threads') out.threads = int('--threads');
    else if (a === '--event-loop') {
      const v = value();
      if (v !== 'exact' && v !== 'published') usage('--event-loop must be exact or published');
      out.eventLoop = v;
    } else if (a === '--quick') {
      out.steps ??= 2000;
      out.paths ??= 200;
    } else if (a === '--quiet') out.quiet = true;
    else usage(`unknown option ${a}`);
  }
  return out;
}

const pct = (f: number) => `${(f * 100).toFixed(1)} %`;

/** The comparison with the paper, as rows of [quantity, hawkgraph, paper]. */
export function paperComparison(r: PaperResult): [string, number, number | undefined][] {
  const m = (name: string) => r.study.base[name].metrics;
  const rows: [string, number, number | undefined][] = [
    ['SYM mean PnL', m('SYM').mean, PAPER_REFERENCE.metrics.SYM.mean],
    ['SYM std', m('SYM').std, PAPER_REFERENCE.metrics.SYM.std],
    ['SYM Sharpe', m('SYM').sharpe, PAPER_REFERENCE.metrics.SYM.sharpe],
    ['SYM MAP', m('SYM').map, PAPER_REFERENCE.metrics.SYM.map],
    ['DRL mean PnL', m('DRL').mean, PAPER_REFERENCE.metrics.DRL.mean],
    ['DRL std', m('DRL').std, PAPER_REFERENCE.metrics.DRL.std],
    ['DRL MAP', m('DRL').map, PAPER_REFERENCE.metrics.DRL.map],
  ];
  for (const name of ['SYM', 'LIN', 'DRL'] as const) {
    const what = name === 'DRL' ? 'DRL (retrained per fee)' : name;
    PAPER_FEES.forEach((f, k) => rows.push([`${what} Sharpe, maker fee ${pct(f)}`, r.sharpeByFee[name][k], PAPER_REFERENCE.sharpeByFee[name][k]]));
  }
  PAPER_FEES.forEach((f, k) => rows.push([`DRL trained at fee 0, Sharpe at maker fee ${pct(f)}`, r.sharpeByFee.DRL0[k], undefined]));
  PAPER_FEES.forEach((f, k) => rows.push([`DRL retrained at maker fee ${pct(f)}: trades`, r.drlRetrained.trades[k], PAPER_REFERENCE.drlTradesByFee[k]]));
  return rows;
}

function comparisonHtml(r: PaperResult): string {
  const rows = paperComparison(r).map(([q, ours, theirs]) => `<tr><td>${esc(q)}</td><td>${fmt(ours)}</td><td>${theirs === undefined ? '' : fmt(theirs)}</td></tr>`).join('\n');
  const lin = `LIN (the best of ${r.lin.grid.length} on a search seed): bid offset ${r.lin.bid[0]} + ${r.lin.bid[1]} I, ask offset ${r.lin.ask[0]} ${r.lin.ask[1]} I ticks from the ${r.lin.from === 'best' ? 'best prices' : 'mid'} (Sharpe ${fmt(r.lin.sharpe)} there)`;
  return `<h2>Beside the paper</h2>
<p class="note">${esc(lin)}</p>
<table data-plot="paper"><thead><tr><th>quantity</th><th>hawkgraph</th><th>paper</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

export async function paperMain(argv: string[], usage: (message?: string) => never): Promise<number> {
  const args = parsePaperArgs(argv, usage);
  const tty = process.stderr.isTTY === true;
  const result = await runPaper({
    ...(args.steps !== undefined ? { steps: args.steps } : {}),
    ...(args.paths !== undefined ? { paths: args.paths } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args.eventLoop ? { eventLoop: args.eventLoop } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
    onProgress: args.quiet
      ? undefined
      : (stage, done, total) => {
          const width = 30, filled = Math.round((width * done) / total);
          const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${stage}`;
          process.stderr.write(tty ? `\r${text.padEnd(100)}` : `${text}\n`);
        },
  });
  if (!args.quiet && tty) process.stderr.write('\n');
  const lines = paperComparison(result).map(([q, ours, theirs]) => `${q.padEnd(42)} ${ours.toFixed(3).padStart(9)}  ${theirs === undefined ? '' : theirs.toFixed(2).padStart(7)}`);
  process.stdout.write(`${'quantity'.padEnd(42)} ${'hawkgraph'.padStart(9)}  ${'paper'.padStart(7)}\n${lines.join('\n')}\n`);
  const s = result.settings;
  const notes = [
    `the paper's setting, event loop ${s.eventLoop}; ${s.paths} evaluation paths (seed ${s.seed}); DRL: ${s.steps} SAC steps (seed ${s.seed + 1}), action scale ${s.actionScale} ticks; ${result.seconds.toFixed(0)} s in all`,
    'fees: taker 0.2 % throughout; the fee figure sweeps the maker fee, as the paper does',
  ];
  if (args.report) {
    const html = renderReport(result.study, { title: 'hawkgraph: the seed paper\'s market-making experiment', notes });
    fs.writeFileSync(args.report, html.replace('</body>', `${comparisonHtml(result)}\n</body>`));
    if (!args.quiet) process.stderr.write(`report: ${args.report}\n`);
  }
  if (args.json) {
    const { policy: _policy, study, ...rest } = result;
    fs.writeFileSync(args.json, JSON.stringify({ ...rest, rows: study.rows, comparison: paperComparison(result) }, null, 1));
  }
  return 0;
}

#!/usr/bin/env node
/**
 * The hawkgraph command line: `hawkgraph backtest config.json --report out.html` runs a study
 * (docs/backtest.md) off the JS thread with a progress bar on stderr, prints the metrics table
 * and writes the self-contained HTML report. Ctrl-C aborts the native threads cleanly.
 * `hawkgraph fit events.csv --report fit.html` fits a Hawkes process and reports its goodness of fit (cli-fit.ts).
 * `hawkgraph study config.json --redis URL` runs the study on the workers of a BullMQ queue (cli-study.ts),
 * `hawkgraph worker --redis URL` is one of them (cli-worker.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CHECK_USAGE, checkMain } from './cli-check';
import { FIT_USAGE, fitMain } from './cli-fit';
import { readArgs } from './cli-args';
import { PAPER_USAGE, paperMain } from './cli-paper';
import { STUDY_FLAGS, STUDY_USAGE, type StudyCliOptions, readStudyOption, runStudyOnQueue } from './cli-study';
import { WORKER_USAGE, workerMain } from './cli-worker';
import { runStudyAsync, type Strategy, type StudyConfig, type StudyResult } from './backtest';
import { HawkgraphError } from './errors';
import { renderReport } from './report/html';

const USAGE = `usage: hawkgraph backtest|study <config.json> [--report out.html] [--json out.json] [--threads N] [--backend cpu|cuda] [--quiet]

config.json: a study, e.g.
  { "paths": 1000, "seed": 1, "eventLoop": "exact",
    "strategies": { "SYM": "sym", "GLFT": { "glft": { "A": 2, "k": 0.5, "sigma": 3, "gamma": 0.01 } },
                    "LIN": { "lin": { "bid": [1.5, 0.3], "ask": [1.5, -0.3] } }, "RL": { "policy": "actor.safetensors" } },
    "noise": [0.1, 0.2, 0.3], "feeSweep": [0, 0.002, 0.004, 0.006] }
Every backtest config field (docs/backtest.md) may appear at the top level (each defaults to the seed paper's setting);
policy paths are relative to the config file.

${STUDY_USAGE}

${WORKER_USAGE}

${FIT_USAGE}

${CHECK_USAGE}

${PAPER_USAGE}`;

function usage(message?: string): never {
  if (message) process.stderr.write(`hawkgraph: ${message}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

interface Args {
  config: string;
  report?: string;
  json?: string;
  threads?: number;
  backend?: 'cpu' | 'cuda';
  quiet: boolean;
  /** --redis: the study runs on the queue's workers (cli-study.ts). */
  distributed?: StudyCliOptions;
}

function parseArgs(argv: string[]): Args {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (argv[0] !== 'backtest' && argv[0] !== 'study') usage(argv[0] === undefined ? undefined : `unknown command ${JSON.stringify(argv[0])}`);
  const out: Partial<Args> = { quiet: false };
  const distributed: Partial<StudyCliOptions> = {};
  for (const { arg: a, value } of readArgs(argv.slice(1), usage)) {
    if (a === '--report') out.report = value();
    else if (a === '--json') out.json = value();
    else if (a === '--threads') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) usage('--threads must be a positive integer');
      out.threads = n;
    } else if (a === '--backend') {
      const b = value();
      if (b !== 'cpu' && b !== 'cuda') usage('--backend must be cpu or cuda');
      out.backend = b;
    } else if (a === '--quiet') out.quiet = true;
    else if (readStudyOption(a, value, distributed, usage)) continue;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (out.config === undefined) out.config = a;
    else usage(`unexpected argument ${JSON.stringify(a)}`);
  }
  if (out.config === undefined) usage('missing the config file');
  if (distributed.redis !== undefined) out.distributed = distributed as StudyCliOptions;
  else if (Object.keys(distributed).length > 0) {
    const flags = Object.keys(distributed).map((k) => STUDY_FLAGS[k as keyof StudyCliOptions]);
    usage(`${flags.join(', ')} need${flags.length === 1 ? 's' : ''} --redis`);
  }
  return out as Args;
}

/**
 * A config path as given, or, when no such file exists and it names one of the package's shipped
 * examples (`examples/backtest-study.json`, as the docs write it), that example.
 */
function configPath(file: string): string {
  if (fs.existsSync(file)) return file;
  const shipped = path.join(__dirname, '..', file);
  const examples = path.join(__dirname, '..', 'examples') + path.sep;
  return path.resolve(shipped).startsWith(examples) && fs.existsSync(shipped) ? shipped : file;
}

/** Reads a study config; policy paths are relative to the file (strategies are read as runBacktest reads them). */
export function loadStudyConfig(file: string): StudyConfig {
  file = configPath(file);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', `cannot read the config ${file}: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new HawkgraphError('ERR_INVALID_OPTION', `the config ${file} must hold a JSON object`);
  const config = raw as Record<string, unknown>;
  const strategies = config.strategies;
  if (strategies === null || typeof strategies !== 'object' || Array.isArray(strategies)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', 'strategies must be an object of named strategies, e.g. { "SYM": "sym" }');
  }
  const resolved: Record<string, Strategy> = {};
  for (const [name, s] of Object.entries(strategies as Record<string, unknown>)) {
    let strategy: Strategy;
    if (s !== null && typeof s === 'object' && 'policy' in s && typeof (s as { policy: unknown }).policy === 'string') {
      strategy = { policy: path.resolve(path.dirname(file), (s as { policy: string }).policy) };
    } else {
      strategy = s as Strategy;
    }
    // An own property whatever the name: JSON may name a strategy "__proto__".
    Object.defineProperty(resolved, name, { value: strategy, enumerable: true, writable: true, configurable: true });
  }
  return { ...(config as object), strategies: resolved } as StudyConfig;
}

function bar(fraction: number, width = 30): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}%`;
}

function table(study: StudyResult): string {
  const f = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v));
  const head = ['strategy', 'study', 'noise', 'fee %', 'mean', 'std', 'p5', 'p95', 'sharpe', 'skew', 'kurt', 'JB p', 'MAP', 'trades'];
  const rows = study.rows.map((r) => [r.strategy, r.study, f(r.noiseVariance), f(r.fee.maker * 100), f(r.metrics.mean), f(r.metrics.std),
    f(r.metrics.percentiles.p5), f(r.metrics.percentiles.p95), f(r.metrics.sharpe), f(r.metrics.skew), f(r.metrics.kurtosis),
    f(r.metrics.jarqueBera.pValue), f(r.metrics.map), f(r.metrics.meanTrades)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'fit') return fitMain(argv.slice(1), usage);
  if (argv[0] === 'check-model') return checkMain(argv.slice(1), usage);
  if (argv[0] === 'paper') return paperMain(argv.slice(1), usage);
  if (argv[0] === 'worker') return workerMain(argv.slice(1), usage);
  const args = parseArgs(argv);
  const config = loadStudyConfig(args.config);
  if (args.threads !== undefined) config.threads = args.threads;
  if (args.backend !== undefined) config.backend = args.backend;
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  const tty = process.stderr.isTTY === true;
  let lastLabel = '';
  const progress = (fraction: number, label: string) => {
    if (args.quiet) return;
    const text = `${bar(fraction)} ${label}`;
    if (tty) process.stderr.write(`\r${text.padEnd(80)}`);
    else if (label !== lastLabel) process.stderr.write(`${text}\n`);
    lastLabel = label;
  };
  const study = await (args.distributed
    ? runStudyOnQueue(config, args.distributed, ac.signal, progress)
    : runStudyAsync(config, {
      signal: ac.signal,
      onProgress: (p) => progress((p.run + (p.paths > 0 ? p.pathsDone / p.paths : 0)) / p.runs, `run ${p.run + 1}/${p.runs} ${p.label}`),
    })).finally(() => process.removeListener('SIGINT', onSigint));
  if (!args.quiet && tty) process.stderr.write(`\r${bar(1)} done in ${study.seconds.toFixed(2)} s`.padEnd(81) + '\n');
  process.stdout.write(`${table(study)}\n`);
  if (args.report) {
    const first = Object.values(study.base)[0].config;
    const html = renderReport(study, {
      notes: [
        `${first.paths} paths per run, horizon ${first.horizon} s, dt ${first.dt} s, seed ${first.seed}, inventory limit ${first.inventoryLimit}, ` +
          `Z1/Z2/Z3 ${first.Z1}/${first.Z2}/${first.Z3}, eventLoop ${first.eventLoop}, fees ${first.fees.maker}/${first.fees.taker}, backend ${first.backend}`,
        `${study.rows.length} rows from ${args.config}, computed in ${study.seconds.toFixed(2)} s`,
      ],
    });
    fs.writeFileSync(args.report, html);
    if (!args.quiet) process.stderr.write(`report: ${args.report}\n`);
  }
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ rows: study.rows, seconds: study.seconds, feeSweep: study.feeSweep, noise: study.noise }, null, 2));
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof HawkgraphError) process.stderr.write(`\nhawkgraph: ${err.code}: ${err.message}\n`);
      else if (err instanceof Error && err.name === 'AbortError') process.stderr.write('\nhawkgraph: aborted\n');
      else process.stderr.write(`\nhawkgraph: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(err instanceof Error && err.name === 'AbortError' ? 130 : 1);
    },
  );
}

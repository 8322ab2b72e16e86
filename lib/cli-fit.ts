/**
 * `hawkgraph fit events.csv --report fit.html`: reads an event stream from CSV, fits a Hawkes
 * process (HawkesProcess.fit), tests the fit by time rescaling (goodnessOfFitFor), prints the
 * per-type table and writes the HTML report (report/fit.ts) and, on request, the numbers as JSON.
 * Called by cli.ts, which owns the usage text and the exit codes.
 */
import * as fs from 'node:fs';

import { HawkgraphError } from './errors';
import { HawkesProcess, LOB_EVENT_TYPES, goodnessOfFitFor } from './hawkes';
import type { HawkesGoodnessOfFit } from './hawkes/gof';
import { renderFitReport } from './report/fit';
import { readArgs } from './cli-args';

export const FIT_USAGE = `usage: hawkgraph fit <events.csv> [--report fit.html] [--json fit.json] [--beta B] [--dims D] [--start-time T] [--end-time T] [--quiet]

events.csv: one event a line as time,type (a header line naming the columns is optional; other columns are ignored);
  types are integers 0 .. D-1 or the LOB names ${LOB_EVENT_TYPES.join(', ')}; times in seconds (or the unit of beta), in order.
--beta: the decay rates, if known: a number, one per type ("2,3,5") or a JSON matrix; fitted (one per type) when omitted.
--dims: the number of types (default: the largest type + 1).
--start-time, --end-time: the observation window. Default: from 0, or from the first event when the times are
  absolute timestamps (the first is later than the stream is long), to the last event.`;

interface FitArgs {
  file: string;
  report?: string;
  json?: string;
  beta?: number | number[] | number[][];
  dims?: number;
  startTime?: number;
  endTime?: number;
  quiet: boolean;
}

function parseFitArgs(argv: string[], usage: (message?: string) => never): FitArgs {
  const out: Partial<FitArgs> = { quiet: false };
  for (const { arg: a, value } of readArgs(argv, usage)) {
    const number = (what: string) => {
      const v = Number(value());
      if (!Number.isFinite(v)) usage(`${what} must be a finite number`);
      return v;
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${FIT_USAGE}\n`);
      process.exit(0);
    } else if (a === '--report') out.report = value();
    else if (a === '--json') out.json = value();
    else if (a === '--beta') {
      const v = value().trim();
      try {
        out.beta = v.startsWith('[') ? JSON.parse(v) : v.includes(',') ? v.split(',').map((x) => { const n = Number(x); if (x.trim() === '' || !Number.isFinite(n)) throw new Error(); return n; }) : Number(v);
      } catch {
        usage('--beta must be a number, comma-separated numbers or a JSON matrix');
      }
      if (typeof out.beta === 'number' && !Number.isFinite(out.beta)) usage('--beta must be a number, comma-separated numbers or a JSON matrix');
    } else if (a === '--dims') {
      const n = number('--dims');
      if (!Number.isInteger(n) || n < 1) usage('--dims must be a positive integer');
      out.dims = n;
    } else if (a === '--start-time') out.startTime = number('--start-time');
    else if (a === '--end-time') out.endTime = number('--end-time');
    else if (a === '--quiet') out.quiet = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (out.file === undefined) out.file = a;
    else usage(`unexpected argument ${JSON.stringify(a)}`);
  }
  if (out.file === undefined) usage('missing the events file');
  return out as FitArgs;
}

function bad(message: string): never {
  throw new HawkgraphError('ERR_INVALID_ARGUMENT', message);
}

/** Events from CSV text: time and type columns (by header name, else the first two), in time order. */
export function readEventsCsv(text: string, file = 'the events file'): { times: Float64Array; types: Int32Array; lobNames: boolean } {
  const times: number[] = [], types: number[] = [];
  let timeCol = 0, typeCol = 1, first = true, lobNames = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (first) {
      first = false;
      if (!Number.isFinite(Number(cells[0])) || cells[0] === '') {
        const lower = cells.map((c) => c.toLowerCase());
        timeCol = lower.indexOf('time') >= 0 ? lower.indexOf('time') : 0;
        typeCol = lower.indexOf('type') >= 0 ? lower.indexOf('type') : 1;
        continue;
      }
    }
    const where = `${file} line ${n + 1}`;
    if (cells.length <= Math.max(timeCol, typeCol)) bad(`${where}: expected time and type columns, got ${JSON.stringify(line)}`);
    const t = Number(cells[timeCol]);
    if (cells[timeCol] === '' || !Number.isFinite(t)) bad(`${where}: the time ${JSON.stringify(cells[timeCol])} is not a finite number`);
    if (times.length > 0 && t < times[times.length - 1]) bad(`${where}: the time ${t} is before the previous event's ${times[times.length - 1]} (events must be in time order)`);
    const raw = cells[typeCol];
    let k = Number(raw);
    if (raw === '' || !Number.isInteger(k) || k < 0) {
      k = (LOB_EVENT_TYPES as readonly string[]).indexOf(raw);
      if (k < 0) bad(`${where}: the type ${JSON.stringify(raw)} is neither an integer >= 0 nor one of ${LOB_EVENT_TYPES.join(', ')}`);
      lobNames = true;
    }
    times.push(t);
    types.push(k);
  }
  if (times.length === 0) bad(`${file} holds no events`);
  return { times: Float64Array.from(times), types: Int32Array.from(types), lobNames };
}

const f = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v));

function table(mu: ArrayLike<number>, goodness: HawkesGoodnessOfFit, names: string[]): string {
  const head = ['type', 'events', 'mu', 'compensator', 'KS D', 'KS p'];
  const rows = goodness.types.map((t, k) => [names[k], String(t.events), f(mu[k]), f(t.compensator), f(t.ks.statistic), f(t.ks.pValue)]);
  rows.push(['all', String(goodness.overall.n), '', '', f(goodness.overall.statistic), f(goodness.overall.pValue)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export function fitMain(argv: string[], usage: (message?: string) => never): number {
  const args = parseFitArgs(argv, usage);
  let text: string;
  try {
    text = fs.readFileSync(args.file, 'utf8');
  } catch (err) {
    bad(`cannot read the events ${args.file}: ${(err as Error).message}`);
  }
  const { times, types, lobNames } = readEventsCsv(text, args.file);
  const firstTime = times[0], lastTime = times[times.length - 1];
  // Absolute timestamps (epoch seconds): a window from 0 would add decades without events.
  const absolute = firstTime > lastTime - firstTime;
  const start = args.startTime ?? (absolute ? firstTime : Math.min(0, firstTime));
  const end = args.endTime ?? lastTime;
  if (start > firstTime) bad(`--start-time ${start} is after the first event at ${firstTime}`);
  if (!(end > start)) bad(`the window [${start}, ${end}] is empty: give --end-time after ${start}`);
  // The window [start, end] with no history before it is the window [0, end - start] of the
  // shifted times: the same likelihood and residuals, without epoch-sized numbers in the fit.
  const shifted = Float64Array.from(times, (t) => t - start);
  const dims = args.dims ?? (lobNames ? LOB_EVENT_TYPES.length : undefined);
  const fit = HawkesProcess.fit(shifted, types, end - start, { ...(dims === undefined ? {} : { dims }), ...(args.beta === undefined ? {} : { beta: args.beta }) });
  const shiftedGoodness = goodnessOfFitFor(fit.params, shifted, types, end - start, 0);
  const goodness: HawkesGoodnessOfFit = { ...shiftedGoodness, startTime: start, endTime: end };
  const branchingRatio = new HawkesProcess({ ...fit.params, allowExplosive: true, maxEvents: 1 }).branchingRatio();
  const D = fit.params.mu.length;
  const names = lobNames && D === LOB_EVENT_TYPES.length ? [...LOB_EVENT_TYPES] : Array.from({ length: D }, (_, k) => String(k));
  const windowNote = args.startTime !== undefined ? 'as given' : absolute ? 'from the first event (absolute timestamps)' : 'from 0';
  if (!args.quiet) process.stderr.write(`hawkgraph fit: ${times.length} events, window [${start}, ${end}] (start ${windowNote}), beta ${args.beta === undefined ? 'fitted' : 'given'}\n`);
  process.stdout.write(`${table(fit.params.mu, goodness, names)}\nbranching ratio ${f(branchingRatio)}, log-likelihood ${fit.logLikelihood}\n`);
  if (args.report) {
    const html = renderFitReport({ fit, goodness, branchingRatio, typeNames: names }, {
      notes: [`${times.length} events from ${args.file}; window start ${windowNote}; beta ${args.beta === undefined ? 'fitted, one per excited type' : 'given'}`],
    });
    fs.writeFileSync(args.report, html);
    if (!args.quiet) process.stderr.write(`report: ${args.report}\n`);
  }
  if (args.json) {
    const summary = {
      params: fit.params, stdErr: fit.stdErr, logLikelihood: fit.logLikelihood, iterations: fit.iterations, branchingRatio,
      window: { startTime: start, endTime: end },
      goodness: { overall: goodness.overall, types: goodness.types.map((t) => ({ type: t.type, events: t.events, compensator: t.compensator, ks: t.ks })) },
    };
    fs.writeFileSync(args.json, JSON.stringify(summary, null, 2));
  }
  return 0;
}

/**
 * Robustness studies: every strategy at the base setting, at each baseline-noise level and at each
 * maker fee (the taker fee held at the config's, as the seed paper sweeps it; both with
 * sweepTakerFee), as a table of metrics. Fees of natively evaluated strategies are repriced from the base
 * run; a callback, which sees its cash, is run again per fee.
 */
import { describe, readInput } from '../errors';
import { asyncOptions, runAsync } from '../hawkes/simulate';
import type { SimulationProgress } from '../hawkes/types';
import { native } from '../native';
import type { NativeBacktestResult } from '../native';
import { numberOption as num, optionError as fail } from '../options';
import { Prepared, prepare } from './config';
import { toResult } from './result';
import { manyArgs, runManyRaw, runRaw, runRawAsync } from './run';
import type { BacktestResult, Strategy, StudyAsyncOptions, StudyConfig, StudyResult, StudyRow } from './types';

export function studyPlan(config: StudyConfig) {
  if (config === null || typeof config !== 'object') fail(`study config must be an object, got ${describe(config)}`);
  const read = readInput('ERR_INVALID_OPTION', 'study config', () => {
    const { strategies, noise, feeSweep, sweepTakerFee, ...rest } = config;
    if (sweepTakerFee !== undefined && typeof sweepTakerFee !== 'boolean') fail(`sweepTakerFee must be a boolean, got ${describe(sweepTakerFee)}`);
    if (strategies === null || typeof strategies !== 'object' || Array.isArray(strategies) || Object.keys(strategies).length === 0) {
      fail(`strategies must be an object of named strategies, got ${describe(strategies)}`);
    }
    // Every element is checked, holes included (forEach would skip them).
    const list = (v: unknown, field: string, def: number[]) => {
      if (v === undefined) return def;
      if (!Array.isArray(v)) fail(`${field} must be an array of numbers, got ${describe(v)}`);
      const out: number[] = [];
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        const what = field === 'noise' ? 'a variance >= 0' : 'a rate in [0, 1)';
        if (x === undefined) fail(`${field}[${i}] must be ${what}, got undefined`);
        out.push(num(x, `${field}[${i}]`, 0, (y) => y >= 0 && (field === 'noise' || y < 1), what));
      }
      return out;
    };
    // Read once: each run of a strategy must be the same strategy.
    const named = Object.entries(strategies as Record<string, Strategy>);
    return { rest, named, noiseLevels: list(noise, 'noise', [0.1, 0.2, 0.3]), fees: list(feeSweep, 'feeSweep', [0, 0.002, 0.004, 0.006]), sweepTaker: sweepTakerFee === true };
  });
  const { rest, named, noiseLevels, fees, sweepTaker } = read;
  const base = new Map<string, Prepared>();
  const strategies = new Map<string, Strategy>(named);
  for (const [name, s] of named) base.set(name, prepare({ ...rest, strategy: s }));
  return { rest, noiseLevels, fees, sweepTaker, base, strategies };
}

export type StudyPlan = ReturnType<typeof studyPlan>;

/** The fees of the sweep's point at rate f: the maker fee f, the taker fee the config's (or f too). */
function sweptFees(plan: StudyPlan, p: Prepared, f: number): { maker: number; taker: number } {
  return { maker: f, taker: plan.sweepTaker ? f : p.resolved.fees.taker };
}

/** Sets an own property whatever the name (base['__proto__'] = x would set the prototype instead). */
function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

// One run of a study: its prepared config, a label for progress, and what its result becomes.
export interface StudyRun {
  p: Prepared;
  label: string;
  strategy: string;
  kind: 'base' | 'noise' | 'fee';
  /** The noise variance (noise runs) or fee rate (fee runs of a callback). */
  value: number;
}

// The runs of a study in order: each strategy's base run, its noise runs and, for a callback, a
// run per fee. Quotes of natively evaluated strategies never depend on fees, so their base run
// gives every fee exactly (net = gross - fee * notional); a callback sees its cash and is re-run.
export function studyRuns(plan: StudyPlan): StudyRun[] {
  const runs: StudyRun[] = [];
  for (const [name, p] of plan.base) {
    runs.push({ p, label: name, strategy: name, kind: 'base', value: 0 });
    const strategy = plan.strategies.get(name)!;
    for (const v of plan.noiseLevels) {
      runs.push({ p: prepare({ ...plan.rest, strategy, noiseVariance: v }), label: `${name} noise ${v}`, strategy: name, kind: 'noise', value: v });
    }
    if (p.callback) {
      for (const f of plan.fees) {
        runs.push({ p: prepare({ ...plan.rest, strategy, fees: sweptFees(plan, p, f) }), label: `${name} fee ${f}`, strategy: name, kind: 'fee', value: f });
      }
    }
  }
  return runs;
}

// The study's rows and results from its runs' raw results (in studyRuns order): per strategy its
// base row, its noise rows, then its fee rows.
export function assembleStudy(plan: StudyPlan, runs: StudyRun[], raws: NativeBacktestResult[]): Omit<StudyResult, 'seconds'> {
  const rows: StudyRow[] = [];
  const base: Record<string, BacktestResult> = {};
  const fees: Record<string, BacktestResult[]> = {};
  runs.forEach((run, i) => {
    const { p, strategy } = run;
    if (run.kind === 'base') {
      const r = toResult(raws[i], p.resolved);
      setOwn(base, strategy, r);
      setOwn(fees, strategy, p.callback ? [] : plan.fees.map((f) => toResult(raws[i], p.resolved, sweptFees(plan, p, f))));
      rows.push({ strategy, study: 'base', noiseVariance: p.resolved.noiseVariance, fee: { ...p.resolved.fees }, metrics: r.metrics });
    } else if (run.kind === 'noise') {
      const r = toResult(raws[i], p.resolved);
      rows.push({ strategy, study: 'noise', noiseVariance: run.value, fee: { ...p.resolved.fees }, metrics: r.metrics });
    } else {
      fees[strategy].push(toResult(raws[i], p.resolved));
    }
    if (runs[i + 1]?.strategy === strategy) return;
    const basePrepared = plan.base.get(strategy)!;
    fees[strategy].forEach((r, k) => {
      rows.push({ strategy, study: 'fee', noiseVariance: basePrepared.resolved.noiseVariance, fee: sweptFees(plan, basePrepared, plan.fees[k]), metrics: r.metrics });
    });
  });
  return { rows, base, fees, feeSweep: plan.fees, noise: plan.noiseLevels };
}

// Runs a study's runs together in one native call when they can share a GPU: all on CUDA, no
// callback (each run of 1000 paths fills a small part of the device; one after another, the
// rest of it would idle). On the CPU each run already uses every thread, so they run in turn.
function runsTogether(runs: StudyRun[]): boolean {
  return runs.length > 1 && runs.every((r) => r.p.resolved.backend === 'cuda' && !r.p.callback);
}

/**
 * Runs a study, blocking like runBacktest: every strategy at the base setting, at each noise
 * level and at each fee; a table of metrics per setting. On CUDA the runs share the device.
 */
export function runStudy(config: StudyConfig): StudyResult {
  const t0 = performance.now();
  const plan = studyPlan(config);
  const runs = studyRuns(plan);
  const raws = runsTogether(runs) ? runManyRaw(runs.map((r) => r.p)) : runs.map((r) => runRaw(r.p));
  return { ...assembleStudy(plan, runs, raws), seconds: (performance.now() - t0) / 1000 };
}

/** Like runStudy, each run off the JS thread (abortable, with progress). */
export async function runStudyAsync(config: StudyConfig, userOptions: StudyAsyncOptions = {}): Promise<StudyResult> {
  const t0 = performance.now();
  const [signal, onProgress] = asyncOptions(userOptions, true);
  const options: StudyAsyncOptions = { signal, onProgress: onProgress as StudyAsyncOptions['onProgress'] };
  const plan = studyPlan(config);
  const runs = studyRuns(plan);
  const total = runs.length;
  let raws: NativeBacktestResult[];
  if (runsTogether(runs)) {
    const args = manyArgs(runs.map((r) => r.p));
    const label = `${total} runs together`;
    const paths = runs.reduce((n, r) => n + r.p.resolved.paths, 0);
    options.onProgress?.({ run: 0, runs: total, label, pathsDone: 0, paths, events: 0 });
    raws = await runAsync(
      (progress) => native().addon.backtestRunManyAsync(...args, progress),
      {
        signal: options.signal,
        onProgress: options.onProgress ? (q: SimulationProgress) => options.onProgress!({ run: 0, runs: total, label, ...q }) : undefined,
      },
      (raw) => raw,
    );
  } else {
    raws = [];
    for (const [run, { p, label }] of runs.entries()) {
      options.onProgress?.({ run, runs: total, label, pathsDone: 0, paths: p.resolved.paths, events: 0 });
      raws.push(await runRawAsync(p, {
        signal: options.signal,
        onProgress: options.onProgress ? (q) => options.onProgress!({ run, runs: total, label, ...q }) : undefined,
      }));
    }
  }
  return { ...assembleStudy(plan, runs, raws), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Running backtests: blocking (runBacktest) or off the JS thread (runBacktestAsync), a callback
 * strategy in path slices between event-loop turns, and several runs of one Hawkes model in one
 * native call (a CUDA study's runs share the device).
 */
import { HawkgraphError } from '../errors';
import { asyncOptions, runAsync } from '../hawkes/simulate';
import { native } from '../native';
import type { NativeBacktestOptions, NativeBacktestResult } from '../native';
import { callbackDecider } from './callback';
import { Prepared, prepare } from './config';
import { concatRaw, toResult } from './result';
import type { BacktestAsyncOptions, BacktestConfig, BacktestResult } from './types';

/** Runs a prepared config, blocking (a callback strategy on this thread). */
export function runRaw(p: Prepared): NativeBacktestResult {
  const h = p.process;
  if (p.callback) return native().addon.backtestRunCallback(h.mu, h.alpha, h.beta, p.native, callbackDecider(p.callback, p.resolved.tick));
  return native().addon.backtestRun(h.mu, h.alpha, h.beta, p.native);
}

/**
 * Runs a backtest and blocks the calling thread until every path is done (native threads do the
 * work; a JS callback strategy runs on this thread, step by step: the slow path).
 */
export function runBacktest(config: BacktestConfig): BacktestResult {
  const p = prepare(config);
  return toResult(runRaw(p), p.resolved);
}

/** Runs a prepared config off the JS thread (a callback strategy in path slices on it). */
export async function runRawAsync(p: Prepared, userOptions: BacktestAsyncOptions): Promise<NativeBacktestResult> {
  const h = p.process;
  const [signal, onProgress] = asyncOptions(userOptions, true);
  const options = { signal, onProgress };
  if (p.callback) {
    // The callback must run on the JS thread: paths in slices, yielding to the event loop between them.
    const decide = callbackDecider(p.callback, p.resolved.tick);
    const parts: NativeBacktestResult[] = [];
    const P = p.resolved.paths;
    const slice = Math.max(1, Math.min(64, Math.floor(200_000 / p.resolved.steps)));
    let events = 0;
    for (let first = 0; first < P; first += slice) {
      if (options.signal?.aborted) throw options.signal.reason;
      const part = native().addon.backtestRunCallback(h.mu, h.alpha, h.beta, { ...p.native, paths: Math.min(slice, P - first), firstPath: first }, decide);
      parts.push(part);
      for (let i = 0; i < part.events.length; i++) events += part.events[i];
      options.onProgress?.({ pathsDone: Math.min(P, first + slice), paths: P, events });
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (options.signal?.aborted) throw options.signal.reason;
    return concatRaw(parts);
  }
  return runAsync(
    (progress) => native().addon.backtestRunAsync(h.mu, h.alpha, h.beta, p.native, progress),
    options,
    (raw) => raw,
  );
}

/**
 * Like runBacktest, off the JS thread on native threads (or the GPU); `onProgress` about every
 * 100 ms, `signal` aborts (the promise rejects with signal.reason). A callback strategy still
 * runs on the JS thread, a slice of paths at a time between event-loop turns.
 */
export async function runBacktestAsync(config: BacktestConfig, options: BacktestAsyncOptions = {}): Promise<BacktestResult> {
  const p = prepare(config);
  return toResult(await runRawAsync(p, options), p.resolved);
}

// The native arguments of prepared configs run together: the one Hawkes model they share
// (refused otherwise) and each run's options.
export function manyArgs(list: Prepared[]): [Float64Array, Float64Array, Float64Array, NativeBacktestOptions[]] {
  const h = list[0].process;
  const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  for (const p of list) {
    if (!same(p.process.mu, h.mu) || !same(p.process.alpha, h.alpha) || !same(p.process.beta, h.beta)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', 'runs started together must share one Hawkes model (hawkes differs between them)');
    }
  }
  return [h.mu, h.alpha, h.beta, list.map((p) => p.native)];
}

// Runs prepared configs (one Hawkes model, no callback) in one native call.
export function runManyRaw(list: Prepared[]): NativeBacktestResult[] {
  return native().addon.backtestRunMany(...manyArgs(list));
}

/**
 * Runs backtests of one Hawkes model in one native call, as a CUDA study does (there they share
 * the device; on the CPU they run in turn). For tests: exported from lib/internal.ts only.
 */
export function runBacktestsTogether(configs: BacktestConfig[]): BacktestResult[] {
  const list = configs.map((c) => prepare(c));
  return runManyRaw(list).map((raw, i) => toResult(raw, list[i].resolved));
}

/**
 * Simulation plumbing shared by HawkesProcess, LobModel and the backtests: the native simulate
 * options from a caller's, the statistics row (LAYOUTS.hawkesStats) as HawkesStats, and async
 * native jobs wired to an AbortSignal and a progress listener.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import type { NativeJob, NativeSimulateOptions, NativeSimulation } from '../native';
import { LAYOUTS, LIMITS } from '../native/layouts';
import { checkCallKeys, integerOption, optionError, simulationThreads } from '../options';
import type { HawkesSimulation, HawkesStats, SimulateAsyncOptions, SimulationProgress } from './types';

const SIMULATE_KEYS = new Set(['endTime', 'seed', 'paths', 'maxEvents', 'maxStoredEvents', 'threads', 'method', 'intensity', 'statsOnly', 'backend']);
const ASYNC_KEYS = new Set(['signal', 'onProgress']);

/**
 * The native options from user options (shared with LobModel). `async`: the
 * options of simulateAsync, which may also hold signal and onProgress (read by runAsync).
 */
export function nativeSimulateOptions(options: unknown, defaultMaxEvents: number, async = false): NativeSimulateOptions {
  if (options === null || typeof options !== 'object') optionError(`simulate expects an options object, got ${describe(options)}`);
  return readInput('ERR_INVALID_OPTION', 'simulate options', () => readSimulateOptions(options as Record<string, unknown>, defaultMaxEvents, async));
}

function readSimulateOptions(o: Record<string, unknown>, defaultMaxEvents: number, async: boolean): NativeSimulateOptions {
  checkCallKeys(o, SIMULATE_KEYS, ASYNC_KEYS, async, 'simulate');
  if (typeof o.endTime !== 'number' || !Number.isFinite(o.endTime) || o.endTime <= 0) {
    optionError(`endTime must be a finite number > 0, got ${describe(o.endTime)}`);
  }
  const method = o.method ?? 'exact';
  if (method !== 'exact' && method !== 'thinning') optionError(`method must be 'exact' or 'thinning', got ${describe(method)}`);
  const backend = o.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'cuda') optionError(`backend must be 'cpu' or 'cuda', got ${describe(backend)}`);
  for (const flag of ['intensity', 'statsOnly'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') optionError(`${flag} must be a boolean, got ${describe(o[flag])}`);
  }
  const paths = integerOption(o.paths, 'paths', 1, 1, LIMITS.maxPaths);
  return {
    endTime: o.endTime,
    seed: integerOption(o.seed, 'seed', 0, 0, Number.MAX_SAFE_INTEGER),
    paths,
    maxEvents: integerOption(o.maxEvents, 'maxEvents', defaultMaxEvents, 1, Number.MAX_SAFE_INTEGER),
    threads: simulationThreads(o.threads, paths),
    maxStoredEvents: integerOption(o.maxStoredEvents, 'maxStoredEvents', LIMITS.defaultMaxStoredEvents, 1, Number.MAX_SAFE_INTEGER),
    method,
    intensity: o.intensity === true,
    statsOnly: o.statsOnly === true,
    backend,
  };
}

const STATS = LAYOUTS.hawkesStats;

/** HawkesStats of a D-dimensional run of `paths` paths from its statistics row (sums over paths). */
export function statsFromRow(row: Float64Array, D: number, paths: number): HawkesStats {
  const countsMean = new Float64Array(D), countsVariance = new Float64Array(D), terminal = new Float64Array(D);
  const counts = STATS.head + STATS.countsBlock * D;
  const countSquares = STATS.head + STATS.countSquaresBlock * D;
  const intensities = STATS.head + STATS.terminalIntensityBlock * D;
  for (let k = 0; k < D; k++) {
    const m = row[counts + k] / paths;
    countsMean[k] = m;
    countsVariance[k] = paths > 1 ? Math.max(0, (row[countSquares + k] - paths * m * m) / (paths - 1)) : 0;
    terminal[k] = row[intensities + k] / paths;
  }
  const gaps = row[STATS.gaps];
  const gm = gaps > 0 ? row[STATS.gapSum] / gaps : NaN;
  const mm = row[STATS.midChangeSum] / paths;
  return {
    paths,
    events: row[STATS.events],
    countsMean,
    countsVariance,
    interArrivalMean: gm,
    interArrivalVariance: gaps > 1 ? Math.max(0, (row[STATS.gapSquares] - gaps * gm * gm) / (gaps - 1)) : NaN,
    terminalIntensityMean: terminal,
    midChangeMean: mm,
    midChangeVariance: paths > 1 ? Math.max(0, (row[STATS.midChangeSquares] - paths * mm * mm) / (paths - 1)) : 0,
  };
}

export function toSimulation(raw: NativeSimulation, D: number, paths: number): HawkesSimulation {
  const empty = raw.times === undefined;
  const sim: HawkesSimulation = {
    times: raw.times ?? new Float64Array(0),
    types: raw.types ?? new Int32Array(0),
    pathOffsets: raw.pathOffsets ?? new Float64Array(0),
    truncated: raw.truncated ?? new Uint8Array(0),
    stats: statsFromRow(raw.stats, D, paths),
  };
  if (!empty && raw.intensity) sim.intensity = raw.intensity;
  return sim;
}

/**
 * Runs an async native job (a simulation, a backtest) with abort and progress wiring: `options`
 * gives the signal and listener (only those are read), `finish` turns the raw result into T.
 */
export function runAsync<R, T>(
  start: (onProgress?: (p: SimulationProgress) => void) => NativeJob<R>,
  options: Pick<SimulateAsyncOptions, 'signal' | 'onProgress'>,
  finish: (raw: R) => T,
): Promise<T> {
  let signal: AbortSignal | undefined;
  let onProgress: ((p: SimulationProgress) => void) | undefined;
  try {
    [signal, onProgress] = asyncOptions(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  let handle: NativeJob<R> | undefined;
  // A listener that throws ends the run: the native threads stop and the promise rejects with
  // its error (as a throwing strategy callback does), rather than the error being lost.
  let listenerError: { error: unknown } | undefined;
  const progress = onProgress === undefined ? undefined : (p: SimulationProgress) => {
    if (listenerError !== undefined) return;
    try {
      onProgress!(p);
    } catch (error) {
      listenerError = { error };
      handle?.cancel();
    }
  };
  try {
    handle = start(progress);
  } catch (err) {
    return Promise.reject(err);
  }
  const onAbort = () => handle!.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  return handle.promise.then(
    (raw) => {
      signal?.removeEventListener('abort', onAbort);
      if (listenerError !== undefined) throw listenerError.error;
      return finish(raw);
    },
    (err: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      if (listenerError !== undefined) throw listenerError.error;
      if (signal?.aborted && err instanceof HawkgraphError && err.code === 'ERR_ABORTED') throw signal.reason;
      throw err;
    },
  );
}

/**
 * The signal and progress listener of async options, read once and checked
 * (ERR_INVALID_OPTION).
 */
export function asyncOptions(options: unknown, only = false): [AbortSignal | undefined, ((p: SimulationProgress) => void) | undefined] {
  if (options === undefined || options === null) return [undefined, undefined];
  if (typeof options !== 'object') optionError(`options must be an object { signal?, onProgress? }, got ${describe(options)}`);
  return readInput('ERR_INVALID_OPTION', 'options', () => {
    // `only`: the options hold nothing else (runBacktestAsync, runStudyAsync), so a typo is refused.
    if (only) for (const key of Object.keys(options)) if (key !== 'signal' && key !== 'onProgress') optionError(`unknown option ${JSON.stringify(key)} (expected signal, onProgress)`);
    const { signal, onProgress } = options as { signal?: unknown; onProgress?: unknown };
    if (signal !== undefined && !(signal instanceof AbortSignal)) optionError(`signal must be an AbortSignal, got ${describe(signal)}`);
    if (onProgress !== undefined && typeof onProgress !== 'function') optionError(`onProgress must be a function, got ${describe(onProgress)}`);
    return [signal, onProgress as ((p: SimulationProgress) => void) | undefined];
  });
}

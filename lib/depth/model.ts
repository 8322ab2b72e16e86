/**
 * DepthModel: a full-depth order book driven by order flow (Cont, Stoikov and Talreja 2010, with
 * Hawkes excitation between its event classes), simulated natively into labelled snapshots in the
 * engine's batch layout: the GNN's training data. Defaults and formulas: docs/depth.md.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { runAsync } from '../hawkes/simulate';
import { native } from '../native';
import type { NativeDepthModel, NativeDepthResult, NativeDepthRun, NativeDepthSnapshots, NativeDepthTarget } from '../native';
import { LIMITS } from '../native/layouts';
import { checkCallKeys, checkKeys, integerOption, isArrayLike, numberOption, optionError, simulationThreads } from '../options';
import { DEPTH_CLASSES, type DepthParams, type DepthSimulateAsyncOptions, type DepthSimulateSyncOptions, type DepthSnapshots } from './types';

// Cont, Stoikov and Talreja (2010), Table 2 (Tokyo Stock Exchange, orders in units of the mean
// order size, per second): limit-order rates at distances 1 to 5, the power law k / i^a fitted to
// them (k = 1.92, a = 0.52) beyond, cancellation rates at 1 to 5 (the last one beyond), market
// orders 0.94.
const CST_LIMIT = [1.85, 1.51, 1.09, 0.88, 0.77];
const CST_POWER_K = 1.92;
const CST_POWER_A = 0.52;
const CST_CANCEL = [0.71, 0.81, 0.68, 0.56, 0.47];
const CST_MARKET = 0.94;

const DEFAULT_WINDOW = 60;
const DEFAULT_BETA = 10;
// Branching ratios (alpha / beta) of the default excitation. Illustrative, not estimated: market
// orders excite themselves and refill the side they hit with limit orders; limit orders and
// cancellations excite themselves mildly. Spectral radius 0.3.
const DEFAULT_BRANCHING: [string, string, number][] = [
  ['marketBuy', 'marketBuy', 0.3], ['marketSell', 'marketSell', 0.3],
  ['limitSell', 'marketBuy', 0.3], ['limitBuy', 'marketSell', 0.3],
  ['limitBuy', 'limitBuy', 0.2], ['limitSell', 'limitSell', 0.2],
  ['cancelBid', 'cancelBid', 0.1], ['cancelAsk', 'cancelAsk', 0.1],
];

const PARAM_KEYS = new Set(['window', 'limitRate', 'cancelRate', 'marketRate', 'limitSizeMean', 'marketSizeMean', 'farDepth', 'alpha', 'beta', 'tick', 'initialBid', 'initialAsk']);
const SIMULATE_KEYS = new Set(['paths', 'seed', 'threads', 'levels', 'interval', 'warmup', 'duration', 'horizon', 'flatBand', 'magnitudeScale']);
const ASYNC_KEYS = new Set(['signal', 'onProgress']);
const SIMULATE_SYNC_KEYS = new Set([...SIMULATE_KEYS, 'into']);

function cstLimitRate(i: number): number {
  return i < CST_LIMIT.length ? CST_LIMIT[i] : CST_POWER_K / Math.pow(i + 1, CST_POWER_A);
}

function rates(v: unknown, field: string, window: number, fallback: (i: number) => number): Float64Array {
  if (v === undefined) return Float64Array.from({ length: window }, (_, i) => fallback(i));
  if (!isArrayLike(v) || v.length !== window) optionError(`${field} must be an array of window (${window}) rates, got ${describe(v)}`);
  const out = new Float64Array(window);
  for (let i = 0; i < window; i++) out[i] = numberOption(v[i] ?? NaN, `${field}[${i}]`, NaN, (x) => x >= 0, 'a finite number >= 0');
  return out;
}

function alphaMatrix(v: unknown, beta: number): Float64Array {
  const out = new Float64Array(36);
  if (v === undefined) {
    for (const [target, source, n] of DEFAULT_BRANCHING) {
      out[DEPTH_CLASSES.indexOf(target as never) * 6 + DEPTH_CLASSES.indexOf(source as never)] = n * beta;
    }
    return out;
  }
  if (!isArrayLike(v) || v.length !== 6) optionError(`alpha must be a 6 x 6 matrix (rows and columns ${DEPTH_CLASSES.join(', ')}), got ${describe(v)}`);
  for (let k = 0; k < 6; k++) {
    const row: unknown = v[k];
    if (!isArrayLike(row) || row.length !== 6) optionError(`alpha[${k}] must be 6 numbers, got ${describe(row)}`);
    for (let l = 0; l < 6; l++) out[k * 6 + l] = numberOption(row[l] ?? NaN, `alpha[${k}][${l}]`, NaN, (x) => x >= 0, 'a finite number >= 0');
  }
  return out;
}

function readParams(p: DepthParams): NativeDepthModel {
  checkKeys(p, PARAM_KEYS, 'DepthModel parameter');
  const window = integerOption(p.window, 'window', DEFAULT_WINDOW, 1, LIMITS.maxDepthWindow);
  const limitRate = rates(p.limitRate, 'limitRate', window, cstLimitRate);
  const cancelRate = rates(p.cancelRate, 'cancelRate', window, (i) => CST_CANCEL[Math.min(i, CST_CANCEL.length - 1)]);
  const beta = numberOption(p.beta, 'beta', DEFAULT_BETA, (x) => x > 0, 'a finite number > 0');
  const last = window - 1;
  const steady = cancelRate[last] > 0 ? limitRate[last] / cancelRate[last] : 1;
  const positive = (x: number) => x > 0;
  return {
    window,
    limitRate,
    cancelRate,
    marketRate: numberOption(p.marketRate, 'marketRate', CST_MARKET, (x) => x >= 0, 'a finite number >= 0'),
    limitSizeMean: numberOption(p.limitSizeMean, 'limitSizeMean', 1, (x) => x >= 1, 'a finite number >= 1'),
    marketSizeMean: numberOption(p.marketSizeMean, 'marketSizeMean', 1, (x) => x >= 1, 'a finite number >= 1'),
    farDepth: numberOption(p.farDepth, 'farDepth', steady > 0 ? steady : 1, positive, 'a finite number > 0'),
    alpha: alphaMatrix(p.alpha, beta),
    beta,
    tick: numberOption(p.tick, 'tick', 0.01, positive, 'a finite number > 0'),
    initialBid: integerOption(p.initialBid, 'initialBid', 9999, -LIMITS.maxTicks, LIMITS.maxTicks),
    initialAsk: integerOption(p.initialAsk, 'initialAsk', 10001, -LIMITS.maxTicks, LIMITS.maxTicks),
  };
}

function readSimulate(o: Record<string, unknown>, window: number, async: boolean): [NativeDepthSnapshots, NativeDepthRun] {
  if (async && o.into !== undefined) optionError('into is an option of simulate only: simulateAsync returns while its threads would still write the arrays');
  checkCallKeys(o, async ? SIMULATE_KEYS : SIMULATE_SYNC_KEYS, ASYNC_KEYS, async, 'simulate');
  const paths = integerOption(o.paths, 'paths', 1, 1, LIMITS.maxPaths);
  const horizon = o.horizon ?? { seconds: 0.1 };
  if (horizon === null || typeof horizon !== 'object' || Object.keys(horizon).length !== 1 || !('seconds' in horizon || 'events' in horizon)) {
    optionError(`horizon must be { seconds } or { events }, got ${describe(horizon)}`);
  }
  const h = horizon as { seconds?: unknown; events?: unknown };
  const seconds = h.seconds === undefined ? 0 : numberOption(h.seconds, 'horizon.seconds', NaN, (x) => x > 0, 'a finite number > 0');
  const events = h.events === undefined ? 0 : integerOption(h.events, 'horizon.events', NaN, 1, LIMITS.maxDepthHorizonEvents);
  const snapshots: NativeDepthSnapshots = {
    levels: integerOption(o.levels, 'levels', Math.min(20, window), 1, window),
    interval: numberOption(o.interval, 'interval', 0.1, (x) => x >= 0, 'a finite number >= 0 (0: after every event)'),
    warmup: numberOption(o.warmup, 'warmup', 10, (x) => x >= 0, 'a finite number >= 0'),
    duration: numberOption(o.duration, 'duration', 60, (x) => x > 0, 'a finite number > 0'),
    horizonSeconds: seconds,
    horizonEvents: events,
    flatBand: numberOption(o.flatBand, 'flatBand', 0, (x) => x >= 0, 'a finite number >= 0 (ticks)'),
    magnitudeScale: numberOption(o.magnitudeScale, 'magnitudeScale', 1, (x) => x > 0, 'a finite number > 0 (ticks)'),
  };
  const run: NativeDepthRun = {
    paths,
    seed: integerOption(o.seed, 'seed', 0, 0, Number.MAX_SAFE_INTEGER),
    threads: simulationThreads(o.threads, paths),
  };
  return [snapshots, run];
}

// A previous result's arrays, flat as the addon takes them (it checks each one's type and length).
function readTarget(into: unknown): NativeDepthTarget | undefined {
  if (into === undefined) return undefined;
  const labels: unknown = into !== null && typeof into === 'object' ? (into as { labels?: unknown }).labels : undefined;
  if (labels === null || typeof labels !== 'object') optionError(`into must be a result of simulate() to overwrite, got ${describe(into)}`);
  const s = into as Record<string, unknown>, l = labels as Record<string, unknown>;
  return {
    columns: s.columns, counts: s.counts, time: s.time, mid: s.mid, path: s.path, classEvents: s.classEvents,
    direction: l.direction, move: l.move, magnitude: l.magnitude, volatility: l.volatility,
  };
}

function toSnapshots(raw: NativeDepthResult, levels: number): DepthSnapshots {
  return {
    length: raw.time.length,
    levels,
    columns: raw.columns,
    counts: raw.counts,
    time: raw.time,
    mid: raw.mid,
    path: raw.path,
    labels: { direction: raw.direction, move: raw.move, magnitude: raw.magnitude, volatility: raw.volatility },
    classEvents: raw.classEvents,
  };
}

export class DepthModel {
  /** The parameters in force, defaults filled in (alpha flat [target * 6 + source]). */
  readonly params: Readonly<NativeDepthModel>;
  /** The spectral radius of the excitation's branching matrix alpha / beta (below 1). */
  readonly spectralRadius: number;

  constructor(params: DepthParams = {}) {
    if (params === null || typeof params !== 'object') optionError(`DepthModel parameters must be an object, got ${describe(params)}`);
    this.params = readInput('ERR_INVALID_OPTION', 'DepthModel parameters', () => readParams(params));
    this.spectralRadius = native().addon.depthCheck(this.params).spectralRadius;
  }

  /** Labelled snapshots of `paths` independent paths, on native threads (blocks until done). */
  simulate(options: DepthSimulateSyncOptions = {}): DepthSnapshots {
    const [snapshots, run] = this.#read(options, false);
    const into = readTarget(options.into);
    if (into !== undefined && snapshots.interval === 0) optionError('into needs snapshots at a fixed interval > 0 (with interval 0 their number is not known beforehand)');
    return toSnapshots(native().addon.depthSimulate(this.params, snapshots, run, into), snapshots.levels);
  }

  /** simulate() off the JS thread, with progress about every 100 ms and an AbortSignal. */
  simulateAsync(options: DepthSimulateAsyncOptions = {}): Promise<DepthSnapshots> {
    let read: [NativeDepthSnapshots, NativeDepthRun];
    try {
      read = this.#read(options, true);
    } catch (err) {
      return Promise.reject(err);
    }
    const [snapshots, run] = read;
    return runAsync((onProgress) => native().addon.depthSimulateAsync(this.params, snapshots, run, onProgress), options, (raw) =>
      toSnapshots(raw, snapshots.levels),
    );
  }

  #read(options: unknown, async: boolean): [NativeDepthSnapshots, NativeDepthRun] {
    if (options === null || typeof options !== 'object') throw new HawkgraphError('ERR_INVALID_OPTION', `simulate expects an options object, got ${describe(options)}`);
    return readInput('ERR_INVALID_OPTION', 'simulate options', () => readSimulate(options as Record<string, unknown>, this.params.window, async));
  }
}

/**
 * Monte Carlo market-making backtests on the 8-event Hawkes LOB model (docs/backtest.md): the
 * config and its defaults, the strategies (SYM, LIN with the GLFT helper, a safetensors policy
 * evaluated natively, a JS callback), the risk metrics and the robustness studies. The
 * simulation runs natively (native/core/backtest); metrics are computed here from the per-path
 * arrays.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

import { HawkgraphError, describe, readInput } from './errors';
import { HawkesParams, HawkesProcess, NativeSimulation, SimulateAsyncOptions, SimulationProgress, asyncOptions, runAsync } from './hawkes';
import { checkJump, hawkesOption } from './lob';
import { native } from './native';

// ---- Defaults ----------------------------------------------------------------------------------

/**
 * The default 8-event process (type order MAb, MAs, LAb, LAs, CAb, CAs, MNb, MNs): 100 events/s
 * in all once stationary, each type exciting itself with branching ratio 0.6 (decay 20/s, so a
 * burst lives about 50 ms). Aggressive limit orders (which narrow the spread) outweigh market
 * orders and cancellations (which widen it), so the spread is one tick 57 % of the time and 3.3
 * ticks on average.
 */
export const DEFAULT_LOB_HAWKES: HawkesParams = (() => {
  const mu = [1.5, 1.5, 7, 7, 1.5, 1.5, 10, 10];
  const beta = 20;
  const alpha = mu.map((_, k) => mu.map((__, l) => (k === l ? 0.6 * beta : 0)));
  return { mu, alpha, beta };
})();

/** Jump laws of the default model, ticks: J = max(1, round(location + scale * Exp(1))). */
export const DEFAULT_LOB_JUMPS = {
  location: [1, 1, 1, 1, 1, 1, 1, 1],
  scale: [0.5, 0.5, 1, 1, 0, 0, 0, 0],
};

// ---- Types --------------------------------------------------------------------------------------

/** What a JS callback strategy sees at the start of each step (prices in price units). */
export interface StrategyState {
  path: number;
  step: number;
  time: number;
  inventory: number;
  bid: number;
  ask: number;
  mid: number;
  /** Spread in ticks. */
  spread: number;
  /** lambda_MAb + lambda_MNb - lambda_MAs - lambda_MNs at the step start. */
  trend: number;
  /** Cash net of fees. */
  cash: number;
}

/** A callback's decision: offsets in ticks from the mid (null / undefined: no quote on that side), and an optional market order. */
export interface StrategyAction {
  bidOffset?: number | null;
  askOffset?: number | null;
  market?: 'buy' | 'sell' | null;
}

export type StrategyCallback = (state: StrategyState) => StrategyAction | null | undefined;

/** Offsets linear in inventory, in ticks from the mid: delta = c0 + c1 * inventory per side. */
export interface LinParams {
  bid: [number, number];
  ask: [number, number];
}

export type Strategy =
  | 'sym'
  | { lin: LinParams }
  | { policy: Uint8Array | string }
  | StrategyCallback;

export interface BacktestConfig {
  /** The quoting strategy (required). */
  strategy: Strategy;
  /** The 8-dimensional Hawkes process of the order flow. Default DEFAULT_LOB_HAWKES. */
  hawkes?: HawkesParams | HawkesProcess;
  /** Jump laws per type (ticks). Default DEFAULT_LOB_JUMPS. */
  jumps?: { location?: number | ArrayLike<number>; scale?: number | ArrayLike<number> };
  /** Price of a tick. Default 0.01. */
  tick?: number;
  /** Initial best bid / ask (prices on the tick grid). Default 100 / 100.01. */
  initialBid?: number;
  initialAsk?: number;
  /** Simulated seconds per path. Default 600. */
  horizon?: number;
  /** Seconds between quote updates. Default 0.1. */
  dt?: number;
  /** Default 1000. */
  paths?: number;
  /** Default 0. Path p draws only from (seed, p). */
  seed?: number;
  /** Native threads. Default: available parallelism. */
  threads?: number;
  /** c: |inventory| <= c (orders that would break it are not placed). Default 10. */
  inventoryLimit?: number;
  /** Fee rates on traded value (0.002 = 0.2 %). Default 0 and 0. */
  fees?: { maker?: number; taker?: number };
  /** Running inventory penalty per unit of |I| per second, for `reward`. Default 0. */
  phi?: number;
  /** Fill probability of a non-aggressive market order against an agent quote inside the spread. Default 1. */
  Z1?: number;
  /** Fill probability of an agent quote at the level where an aggressive market order stopped. Default 0. */
  Z2?: number;
  /** Fill probability of a non-aggressive market order against an agent quote at the best price (queue). Default 0.5. */
  Z3?: number;
  /** Variance of Gaussian noise added to each baseline intensity, fresh per path, clipped at 0. Default 0. */
  noiseVariance?: number;
  /** Points of pnlOverTime. Default 100 (0: none). */
  timeGrid?: number;
  /** 'cpu' (default) or 'cuda'. */
  backend?: 'cpu' | 'cuda';
  /** Keep every step and fill (small runs: paths x steps <= 2^22). Default false. */
  record?: boolean;
}

export interface ResolvedBacktestConfig {
  strategy: string;
  hawkes: { mu: number[]; alpha: number[][]; beta: number[][] };
  jumps: { location: number[]; scale: number[] };
  tick: number;
  initialBid: number;
  initialAsk: number;
  horizon: number;
  dt: number;
  steps: number;
  paths: number;
  seed: number;
  threads: number;
  inventoryLimit: number;
  fees: { maker: number; taker: number };
  phi: number;
  Z1: number;
  Z2: number;
  Z3: number;
  noiseVariance: number;
  timeGrid: number;
  backend: 'cpu' | 'cuda';
  record: boolean;
}

export interface BacktestMetrics {
  paths: number;
  mean: number;
  std: number;
  percentiles: { p1: number; p5: number; p50: number; p95: number; p99: number };
  sharpe: number;
  skew: number;
  kurtosis: number;
  jarqueBera: { statistic: number; pValue: number };
  map: number;
  meanPnlOverMap: number;
  meanTrades: number;
  /** Terminal inventory values and how many paths ended at each. */
  inventoryDistribution: { values: number[]; counts: number[] };
}

export interface BacktestPaths {
  /** Terminal PnL (wealth at the horizon; wealth starts at 0), net of fees. */
  pnl: Float64Array;
  /** Terminal inventory. */
  inventory: Float64Array;
  /** Time-average of |inventory|. */
  map: Float64Array;
  trades: Float64Array;
  /** pnl - phi * integral of |inventory| dt. */
  reward: Float64Array;
  /** Terminal cash (net of fees) and mid: pnl = cash + inventory * mid. */
  cash: Float64Array;
  mid: Float64Array;
  /** PnL at zero fees and the traded value maker / taker fees apply to. */
  grossPnl: Float64Array;
  makerNotional: Float64Array;
  takerNotional: Float64Array;
  /** Market events simulated. */
  events: Float64Array;
}

export interface PnlOverTime {
  time: Float64Array;
  mean: Float64Array;
  /** 2.5 % and 97.5 % quantiles across paths (the 95 % band of outcomes). */
  lower: Float64Array;
  upper: Float64Array;
}

export interface BacktestRecords {
  steps: Record<'path' | 'time' | 'bid' | 'ask' | 'quoteBid' | 'quoteAsk' | 'inventory' | 'cash' | 'wealth', Float64Array>;
  fills: Record<'path' | 'step' | 'time' | 'side' | 'price' | 'fee' | 'maker' | 'inventory' | 'cash' | 'bid' | 'ask', Float64Array>;
}

export interface BacktestResult {
  paths: BacktestPaths;
  metrics: BacktestMetrics;
  pnlOverTime: PnlOverTime;
  config: ResolvedBacktestConfig;
  /** With record: true. */
  records?: BacktestRecords;
}

export interface BacktestAsyncOptions {
  signal?: AbortSignal;
  onProgress?: (progress: SimulationProgress) => void;
}

// ---- Native surface -----------------------------------------------------------------------------

interface NativeBacktestOptions {
  horizon: number; dt: number; tick: number; paths: number; firstPath: number; seed: number; threads: number;
  inventoryLimit: number; z1: number; z2: number; z3: number; phi: number; feeMaker: number; feeTaker: number;
  noiseVariance: number; timeGrid: number; record: boolean; backend: 'cpu' | 'cuda';
  lob: { location: Float64Array; scale: Float64Array; initialBid: number; initialAsk: number };
  strategy: { kind: 'sym' } | { kind: 'lin'; lin: Float64Array } | { kind: 'policy'; bytes: Uint8Array } | { kind: 'callback' };
}

interface NativeBacktestResult {
  pnl: Float64Array; grossPnl: Float64Array; makerNotional: Float64Array; takerNotional: Float64Array; cash: Float64Array;
  mid: Float64Array; map: Float64Array; reward: Float64Array; inventory: Float64Array; trades: Float64Array; events: Float64Array;
  gridGross: Float64Array; gridMaker: Float64Array; gridTaker: Float64Array;
  steps?: BacktestRecords['steps'];
  fills?: BacktestRecords['fills'];
}

interface NativeBacktest {
  backtestRun(mu: Float64Array, alpha: Float64Array, beta: Float64Array, o: NativeBacktestOptions): NativeBacktestResult;
  backtestRunAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, o: NativeBacktestOptions, onProgress?: (p: SimulationProgress) => void,
  ): { promise: Promise<NativeBacktestResult>; cancel(): void };
  backtestRunCallback(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, o: NativeBacktestOptions, decide: (state: Float64Array) => Float64Array,
  ): NativeBacktestResult;
  /** Several runs on one Hawkes model; on CUDA they share the device. */
  backtestRunMany(mu: Float64Array, alpha: Float64Array, beta: Float64Array, runs: NativeBacktestOptions[]): NativeBacktestResult[];
  backtestRunManyAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, runs: NativeBacktestOptions[], onProgress?: (p: SimulationProgress) => void,
  ): { promise: Promise<NativeBacktestResult[]>; cancel(): void };
}

function addon(): NativeBacktest {
  return native().addon as unknown as NativeBacktest;
}

// ---- Config -------------------------------------------------------------------------------------

function fail(message: string): never {
  throw new HawkgraphError('ERR_INVALID_OPTION', message);
}

function num(v: unknown, field: string, fallback: number, ok: (x: number) => boolean, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(`${field} must be ${what}, got ${describe(v)}`);
  return v;
}

function int(v: unknown, field: string, fallback: number, lo: number, hi: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`${field} must be an integer in [${lo}, ${hi}], got ${describe(v)}`);
  return v;
}

function jumpVector(v: unknown, field: string, fallback: number[]): Float64Array {
  if (v === undefined) return Float64Array.from(fallback);
  if (typeof v === 'number') v = new Array(8).fill(v);
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || (v as ArrayLike<unknown>).length !== 8) {
    fail(`${field} must be a number or an array of 8 numbers (one per LOB event type), got ${describe(v)}`);
  }
  const a = v as ArrayLike<unknown>;
  const out = new Float64Array(8);
  for (let k = 0; k < 8; k++) {
    const x = a[k];
    out[k] = checkJump(x, `${field}[${k}]`);
  }
  return out;
}

function toTicks(price: unknown, tick: number, field: string): number {
  if (typeof price !== 'number' || !Number.isFinite(price)) fail(`${field} must be a finite number, got ${describe(price)}`);
  const t = Math.round(price / tick);
  if (Math.abs(t * tick - price) > 1e-9 * Math.max(1, Math.abs(price))) fail(`${field} ${price} is not a multiple of the tick ${tick}`);
  // Prices are kept in 64-bit ticks natively; the 2^52 bound leaves room for every jump.
  if (!(Math.abs(t) <= 2 ** 52)) fail(`${field} ${price} is too many ticks (${t}) from 0, at most 2^52`);
  return t + 0; // -0 ticks: 0
}

const CONFIG_KEYS = new Set([
  'strategy', 'hawkes', 'jumps', 'tick', 'initialBid', 'initialAsk', 'horizon', 'dt', 'paths', 'seed', 'threads', 'inventoryLimit',
  'fees', 'phi', 'Z1', 'Z2', 'Z3', 'noiseVariance', 'timeGrid', 'backend', 'record',
]);

interface Prepared {
  resolved: ResolvedBacktestConfig;
  process: HawkesProcess;
  native: NativeBacktestOptions;
  callback?: StrategyCallback;
}

function strategyName(s: Strategy): string {
  if (s === 'sym') return 'sym';
  if (typeof s === 'function') return 'callback';
  if ('lin' in s) return 'lin';
  return 'policy';
}

// Largest policy file read from a path: 8 layers of at most 256 x 256 float64 weights are about
// 4 MiB, so anything far bigger is not a policy (and /dev/zero never ends).
const MAX_POLICY_BYTES = 64 * 1024 * 1024;

function readPolicyFile(path: string): Uint8Array {
  const refuse = (why: string): never => {
    throw new HawkgraphError('ERR_POLICY', `strategy.policy: cannot read ${JSON.stringify(path)} (${why})`);
  };
  let fd: number;
  try {
    // Non-blocking, so opening a FIFO returns at once (and is then refused as not a file).
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return refuse((err as Error).message);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) refuse('not a regular file');
    if (st.size > MAX_POLICY_BYTES) refuse(`${st.size} bytes, more than a policy file can hold (${MAX_POLICY_BYTES})`);
    const bytes = new Uint8Array(st.size);
    let at = 0;
    while (at < bytes.length) {
      const n = fs.readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  } catch (err) {
    if (err instanceof HawkgraphError) throw err;
    return refuse((err as Error).message);
  } finally {
    fs.closeSync(fd);
  }
}

const STRATEGY_HELP = "'sym', { lin: { bid: [c0, c1], ask: [c0, c1] } }, { policy: <safetensors bytes or path> } or a function";

function nativeStrategy(s: unknown): NativeBacktestOptions['strategy'] {
  if (s === undefined) fail(`strategy is required: ${STRATEGY_HELP}`);
  if (s === 'sym') return { kind: 'sym' };
  if (typeof s === 'function') return { kind: 'callback' };
  if (s !== null && typeof s === 'object' && !Array.isArray(s)) {
    const keys = Object.keys(s);
    if (keys.length !== 1 || (keys[0] !== 'lin' && keys[0] !== 'policy')) {
      fail(`strategy must be ${STRATEGY_HELP}; an object strategy has one key, lin or policy, got ${keys.length === 0 ? 'none' : keys.map((k) => JSON.stringify(k)).join(', ')}`);
    }
  }
  if (s !== null && typeof s === 'object' && 'lin' in s) {
    const lin = (s as { lin: unknown }).lin as Record<string, unknown> | null;
    if (lin === null || typeof lin !== 'object') fail(`strategy.lin must be { bid: [c0, c1], ask: [c0, c1] }, got ${describe(lin)}`);
    for (const key of Object.keys(lin)) if (key !== 'bid' && key !== 'ask') fail(`unknown field strategy.lin.${key} (expected bid, ask)`);
    const out = new Float64Array(4);
    (['bid', 'ask'] as const).forEach((side, i) => {
      const v = lin[side];
      if (!Array.isArray(v) || v.length !== 2) fail(`strategy.lin.${side} must be [c0, c1] (ticks from the mid, and per unit of inventory), got ${describe(v)}`);
      for (let j = 0; j < 2; j++) {
        if (typeof v[j] !== 'number' || !Number.isFinite(v[j])) fail(`strategy.lin.${side}[${j}] must be a finite number, got ${describe(v[j])}`);
        out[2 * i + j] = v[j];
      }
    });
    return { kind: 'lin', lin: out };
  }
  if (s !== null && typeof s === 'object' && 'policy' in s) {
    const p = (s as { policy: unknown }).policy;
    if (typeof p === 'string') return { kind: 'policy', bytes: readPolicyFile(p) };
    if (p instanceof Uint8Array) return { kind: 'policy', bytes: p };
    fail(`strategy.policy must be a safetensors file path or its bytes (Uint8Array), got ${describe(p)}`);
  }
  return fail(`strategy must be ${STRATEGY_HELP}, got ${describe(s)}`);
}

function prepare(config: unknown): Prepared {
  if (config === null || typeof config !== 'object') fail(`backtest config must be an object, got ${describe(config)}`);
  return readInput('ERR_INVALID_OPTION', 'backtest config', () => readConfig(config as Record<string, unknown>));
}

function readConfig(c: Record<string, unknown>): Prepared {
  for (const key of Object.keys(c)) {
    if (!CONFIG_KEYS.has(key)) fail(`unknown config field ${JSON.stringify(key)} (expected one of ${[...CONFIG_KEYS].join(', ')})`);
  }
  // Read once: a getter may answer differently each time, and the run must be the one named.
  const userStrategy = c.strategy;
  const strategy = nativeStrategy(userStrategy);
  const process = c.hawkes === undefined ? new HawkesProcess(DEFAULT_LOB_HAWKES) : hawkesOption(c.hawkes);
  // A HawkesProcess made with allowExplosive: a backtest runs to the horizon, with no event cap.
  if (!(process.branchingRatio() < 1)) {
    throw new HawkgraphError('ERR_HAWKES_UNSTABLE', `hawkes: the spectral radius of alpha / beta is ${process.branchingRatio()}, not below 1: a backtest needs a stable process (it has no event cap)`);
  }
  const jumps = c.jumps === undefined ? {} : c.jumps;
  if (jumps === null || typeof jumps !== 'object') fail(`jumps must be an object { location, scale }, got ${describe(jumps)}`);
  const j = jumps as Record<string, unknown>;
  for (const key of Object.keys(j)) if (key !== 'location' && key !== 'scale') fail(`unknown field jumps.${key} (expected location, scale)`);
  const location = jumpVector(j.location, 'jumps.location', DEFAULT_LOB_JUMPS.location);
  const scale = jumpVector(j.scale, 'jumps.scale', DEFAULT_LOB_JUMPS.scale);
  const tick = num(c.tick, 'tick', 0.01, (x) => x > 0, 'a finite number > 0');
  const initialBid = num(c.initialBid, 'initialBid', 100, () => true, 'a finite price');
  const initialAsk = num(c.initialAsk, 'initialAsk', 100.01, () => true, 'a finite price');
  const bidTicks = toTicks(initialBid, tick, 'initialBid');
  const askTicks = toTicks(initialAsk, tick, 'initialAsk');
  if (askTicks - bidTicks < 1) fail(`initialAsk (${initialAsk}) must be at least one tick above initialBid (${initialBid})`);
  const horizon = num(c.horizon, 'horizon', 600, (x) => x > 0, 'a finite number of seconds > 0');
  const dt = num(c.dt, 'dt', 0.1, (x) => x > 0, 'a finite number of seconds > 0');
  const steps = Math.max(1, Math.ceil(horizon / dt - 1e-9));
  if (steps > 1e9) fail(`horizon / dt must be at most 1e9 steps, got ${steps}`);
  const paths = int(c.paths, 'paths', 1000, 1, 2 ** 40);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const fees = c.fees === undefined ? {} : c.fees;
  if (fees === null || typeof fees !== 'object') fail(`fees must be an object { maker, taker }, got ${describe(fees)}`);
  const f = fees as Record<string, unknown>;
  for (const key of Object.keys(f)) if (key !== 'maker' && key !== 'taker') fail(`unknown field fees.${key} (expected maker, taker)`);
  const rate = (x: number) => x > -1 && x < 1;
  const backend = c.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'cuda') fail(`backend must be 'cpu' or 'cuda', got ${describe(backend)}`);
  if (c.record !== undefined && typeof c.record !== 'boolean') fail(`record must be a boolean, got ${describe(c.record)}`);
  const prob = (x: number) => x >= 0 && x <= 1;
  const resolved: ResolvedBacktestConfig = {
    strategy: strategyName(userStrategy as Strategy),
    hawkes: process.params(),
    jumps: { location: Array.from(location), scale: Array.from(scale) },
    tick,
    initialBid: bidTicks * tick,
    initialAsk: askTicks * tick,
    horizon,
    dt,
    steps,
    paths,
    seed: int(c.seed, 'seed', 0, 0, Number.MAX_SAFE_INTEGER),
    threads: int(c.threads, 'threads', Math.max(1, Math.min(cores, paths)), 1, 1024),
    inventoryLimit: int(c.inventoryLimit, 'inventoryLimit', 10, 1, 1e15),
    fees: {
      maker: num(f.maker, 'fees.maker', 0, rate, 'a rate in (-1, 1) (0.002 = 0.2 %)'),
      taker: num(f.taker, 'fees.taker', 0, rate, 'a rate in (-1, 1) (0.002 = 0.2 %)'),
    },
    phi: num(c.phi, 'phi', 0, (x) => x >= 0, 'a finite number >= 0'),
    Z1: num(c.Z1, 'Z1', 1, prob, 'a probability in [0, 1]'),
    Z2: num(c.Z2, 'Z2', 0, prob, 'a probability in [0, 1]'),
    Z3: num(c.Z3, 'Z3', 0.5, prob, 'a probability in [0, 1]'),
    noiseVariance: num(c.noiseVariance, 'noiseVariance', 0, (x) => x >= 0, 'a finite number >= 0'),
    timeGrid: int(c.timeGrid, 'timeGrid', Math.min(100, steps), 0, 100000),
    backend,
    record: c.record === true,
  };
  resolved.timeGrid = Math.min(resolved.timeGrid, steps);
  return {
    resolved,
    process,
    callback: typeof userStrategy === 'function' ? (userStrategy as StrategyCallback) : undefined,
    native: {
      horizon, dt, tick, paths, firstPath: 0, seed: resolved.seed, threads: resolved.threads,
      inventoryLimit: resolved.inventoryLimit, z1: resolved.Z1, z2: resolved.Z2, z3: resolved.Z3, phi: resolved.phi,
      feeMaker: resolved.fees.maker, feeTaker: resolved.fees.taker, noiseVariance: resolved.noiseVariance,
      timeGrid: resolved.timeGrid, record: resolved.record, backend,
      lob: { location, scale, initialBid: bidTicks, initialAsk: askTicks },
      strategy,
    },
  };
}

/** The config with every default filled in (throws the error runBacktest would). */
export function resolveBacktestConfig(config: BacktestConfig): ResolvedBacktestConfig {
  return prepare(config).resolved;
}

// ---- Strategies ---------------------------------------------------------------------------------

export interface GlftParams {
  /** Fill intensity at zero distance, per second: Lambda(delta) = A exp(-k delta). */
  A: number;
  /** Decay of the fill intensity per tick of distance from the mid. */
  k: number;
  /** Volatility of the mid, ticks per sqrt(second). */
  sigma: number;
  /** Risk aversion (per tick). */
  gamma: number;
  /** Order size. Default 1. */
  size?: number;
}

/**
 * The GLFT closed-form approximation of optimal quotes (Gueant, Lehalle and Fernandez-Tapia;
 * Gueant 2017): delta_b(q) = c1 + (2q + size) / 2 * sigma * c2, delta_a(q) = c1 + (size - 2q) / 2
 * * sigma * c2 with c1 = ln(1 + gamma size / k) / (gamma size) and c2 = sqrt(gamma / (2 A size k)
 * * (1 + gamma size / k)^(k / (gamma size) + 1)), as LIN parameters (ticks from the mid).
 */
export function glftOffsets(params: GlftParams): LinParams {
  if (params === null || typeof params !== 'object') fail(`glftOffsets expects { A, k, sigma, gamma }, got ${describe(params)}`);
  const p = readInput('ERR_INVALID_OPTION', 'glftOffsets parameters', () => {
    for (const key of Object.keys(params)) {
      if (!['A', 'k', 'sigma', 'gamma', 'size'].includes(key)) fail(`unknown GLFT parameter ${JSON.stringify(key)} (expected A, k, sigma, gamma, size)`);
    }
    const read = { A: NaN, k: NaN, sigma: NaN, gamma: NaN, size: num(params.size, 'size', 1, (x) => x > 0, 'a finite number > 0') };
    for (const key of ['A', 'k', 'sigma', 'gamma'] as const) {
      const v = params[key];
      if (v === undefined) fail(`${key} must be a finite number > 0, got undefined`);
      read[key] = num(v, key, NaN, (x) => x > 0, 'a finite number > 0');
    }
    return read;
  });
  const size = p.size;
  const xi = p.gamma * size;
  const c1 = Math.log1p(xi / p.k) / xi;
  const c2 = Math.sqrt((p.gamma / (2 * p.A * size * p.k)) * Math.pow(1 + xi / p.k, p.k / xi + 1));
  const half = c1 + 0.5 * size * p.sigma * c2;
  const skew = p.sigma * c2;
  if (!Number.isFinite(half) || !Number.isFinite(skew)) {
    fail(`the GLFT offsets of A = ${p.A}, k = ${p.k}, sigma = ${p.sigma}, gamma = ${p.gamma}, size = ${size} are not finite numbers (half spread ${half}, skew ${skew}): the parameters are out of the formula's range`);
  }
  return { bid: [half, skew], ask: [half, -skew] };
}

// ---- Metrics ------------------------------------------------------------------------------------

/** The q-quantile of sorted values with linear interpolation (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (!(Array.isArray(sorted) || (ArrayBuffer.isView(sorted) && !(sorted instanceof DataView)))) {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', `sorted must be an array of numbers, got ${describe(sorted)}`);
  }
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `q must be a number in [0, 1], got ${describe(q)}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Metrics over paths (docs/backtest.md): std is the population std (ddof 0); skew and excess
 * kurtosis are the biased moment estimators (scipy.stats.skew / kurtosis defaults); Jarque-Bera
 * = n / 6 (S^2 + K^2 / 4) with its chi-square(2) p-value exp(-JB / 2).
 */
export function computeMetrics(
  pnl: ArrayLike<number>, map?: ArrayLike<number>, trades?: ArrayLike<number>, inventory?: ArrayLike<number>,
): BacktestMetrics {
  const values = readInput('ERR_INVALID_ARGUMENT', 'computeMetrics arguments', () => {
    const x = metricColumn(pnl, 'pnl', undefined);
    if (x === undefined || x.length === 0) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `pnl must hold at least one value, got ${describe(pnl)}`);
    return [x, metricColumn(map, 'map', x.length), metricColumn(trades, 'trades', x.length), metricColumn(inventory, 'inventory', x.length)] as const;
  });
  return metricsOf(values[0], values[1], values[2], values[3]);
}

/** A per-path column of computeMetrics as a Float64Array of finite numbers (ERR_INVALID_ARGUMENT naming the entry). */
function metricColumn(v: unknown, field: string, length: number | undefined): Float64Array | undefined {
  if (v === undefined && length !== undefined) return undefined;
  const arrayLike = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  if (!arrayLike) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `${field} must be an array of numbers, one per path, got ${describe(v)}`);
  const a = v as ArrayLike<unknown>;
  if (length !== undefined && a.length !== length) {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', `${field} must have one value per path (${length}, as pnl), got ${a.length}`);
  }
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `${field}[${i}] must be a finite number, got ${describe(x)}`);
    out[i] = x;
  }
  return out;
}

function metricsOf(pnl: Float64Array, map?: Float64Array, trades?: Float64Array, inventory?: Float64Array): BacktestMetrics {
  const n = pnl.length;
  // Moments of values near the float64 limit would overflow (1e308 squared); they are taken in
  // units of the largest |value| then, which leaves the ordinary case bit for bit as it was.
  let big = 0;
  for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(pnl[i]));
  const unit = big > 1e150 ? big : 1;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += pnl[i] / unit;
  const mean = (sum / n) * unit;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = unit === 1 ? pnl[i] - mean : pnl[i] / unit - mean / unit;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const std = Math.sqrt(m2) * unit;
  const skew = m2 > 0 ? m3 / Math.pow(m2, 1.5) : NaN;
  const kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3 : NaN;
  const jb = (n / 6) * (skew * skew + (kurtosis * kurtosis) / 4);
  const sorted = Float64Array.from(pnl).sort();
  const avg = (a?: ArrayLike<number>) => {
    if (!a || a.length === 0) return NaN;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    return s / a.length;
  };
  const mapMean = avg(map);
  const counts = new Map<number, number>();
  if (inventory) for (let i = 0; i < inventory.length; i++) counts.set(inventory[i], (counts.get(inventory[i]) ?? 0) + 1);
  const values = [...counts.keys()].sort((a, b) => a - b);
  return {
    paths: n,
    mean,
    std,
    percentiles: {
      p1: quantileSorted(sorted, 0.01),
      p5: quantileSorted(sorted, 0.05),
      p50: quantileSorted(sorted, 0.5),
      p95: quantileSorted(sorted, 0.95),
      p99: quantileSorted(sorted, 0.99),
    },
    sharpe: std > 0 ? mean / std : NaN,
    skew,
    kurtosis,
    jarqueBera: { statistic: jb, pValue: Math.exp(-jb / 2) },
    map: mapMean,
    meanPnlOverMap: mean / mapMean,
    meanTrades: avg(trades),
    inventoryDistribution: { values, counts: values.map((v) => counts.get(v)!) },
  };
}

// ---- Results ------------------------------------------------------------------------------------

// Hoare's selection: leaves the k-th smallest of a[lo..hi] at a[k] with smaller values before it
// and larger after, in O(n) on average (a sort per time point would cost O(n log n) each).
function select(a: Float64Array, k: number): void {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The q-quantile (linear interpolation, as quantileSorted) of values, reordering them. */
function quantileInPlace(a: Float64Array, q: number): number {
  const h = (a.length - 1) * q;
  const k = Math.floor(h);
  select(a, k);
  const lo = a[k];
  if (k + 1 >= a.length) return lo;
  let next = Infinity;
  for (let i = k + 1; i < a.length; i++) if (a[i] < next) next = a[i];
  return lo + (h - k) * (next - lo);
}

function feePnl(raw: NativeBacktestResult, maker: number, taker: number): Float64Array {
  const out = new Float64Array(raw.grossPnl.length);
  for (let i = 0; i < out.length; i++) out[i] = raw.grossPnl[i] - maker * raw.makerNotional[i] - taker * raw.takerNotional[i];
  return out;
}

function pnlOverTime(raw: NativeBacktestResult, r: ResolvedBacktestConfig, maker: number, taker: number): PnlOverTime {
  const G = r.timeGrid, P = r.paths;
  const time = new Float64Array(G + 1), mean = new Float64Array(G + 1), lower = new Float64Array(G + 1), upper = new Float64Array(G + 1);
  const column = new Float64Array(P);
  for (let g = 0; g < G; g++) {
    const step = Math.floor(((g + 1) * r.steps) / G);
    time[g + 1] = Math.min(step * r.dt, r.horizon);
    let s = 0;
    for (let p = 0; p < P; p++) {
      const i = p * G + g;
      const v = raw.gridGross[i] - maker * raw.gridMaker[i] - taker * raw.gridTaker[i];
      column[p] = v;
      s += v;
    }
    mean[g + 1] = s / P;
    lower[g + 1] = quantileInPlace(column, 0.025);
    upper[g + 1] = quantileInPlace(column, 0.975);
  }
  return { time, mean, lower, upper };
}

function toResult(raw: NativeBacktestResult, r: ResolvedBacktestConfig, fees = r.fees): BacktestResult {
  const sameFees = fees.maker === r.fees.maker && fees.taker === r.fees.taker;
  const pnl = sameFees ? raw.pnl : feePnl(raw, fees.maker, fees.taker);
  const cash = sameFees ? raw.cash : raw.cash.map((c, i) => c + (r.fees.maker - fees.maker) * raw.makerNotional[i] + (r.fees.taker - fees.taker) * raw.takerNotional[i]);
  const paths: BacktestPaths = {
    pnl, inventory: raw.inventory, map: raw.map, trades: raw.trades,
    reward: sameFees ? raw.reward : raw.reward.map((x, i) => x + pnl[i] - raw.pnl[i]),
    cash, mid: raw.mid, grossPnl: raw.grossPnl, makerNotional: raw.makerNotional, takerNotional: raw.takerNotional, events: raw.events,
  };
  const out: BacktestResult = {
    paths,
    metrics: computeMetrics(pnl, raw.map, raw.trades, raw.inventory),
    pnlOverTime: pnlOverTime(raw, r, fees.maker, fees.taker),
    config: sameFees ? r : { ...r, fees: { ...fees } },
  };
  if (raw.steps && raw.fills) out.records = { steps: raw.steps, fills: raw.fills };
  return out;
}

// The callback path: the native loop calls back into JS once per step on this thread.
function callbackDecider(cb: StrategyCallback, tick: number): (state: Float64Array) => Float64Array {
  const action = new Float64Array(3);
  return (s: Float64Array) => {
    const bid = s[4] * tick, ask = s[5] * tick;
    const a = cb({
      path: s[0], step: s[1], time: s[2], inventory: s[3], bid, ask, mid: 0.5 * (bid + ask), spread: s[5] - s[4], trend: s[6], cash: s[7],
    });
    action[0] = NaN;
    action[1] = NaN;
    action[2] = 0;
    if (a !== null && a !== undefined) readInput('ERR_INVALID_ARGUMENT', "the strategy callback's action", () => readAction(a, action));
    return action;
  };
}

const ACTION_KEYS = new Set(['bidOffset', 'askOffset', 'market']);

function actionError(message: string): never {
  throw new HawkgraphError('ERR_INVALID_ARGUMENT', message);
}

// A mistyped key or a promise (an async callback) would otherwise quote nothing, silently.
function readAction(a: unknown, action: Float64Array): void {
  if (typeof a !== 'object' || Array.isArray(a)) actionError(`the strategy callback must return { bidOffset, askOffset, market? } or null, got ${describe(a)}`);
  const o = a as Record<string, unknown>;
  if (typeof o.then === 'function') actionError('the strategy callback returned a promise: it must decide synchronously (it runs once per step, on the JS thread)');
  for (const key in o) {
    if (!ACTION_KEYS.has(key)) actionError(`the strategy callback returned an unknown field ${JSON.stringify(key)} (expected bidOffset, askOffset, market)`);
  }
  for (const [i, key] of [[0, 'bidOffset'], [1, 'askOffset']] as const) {
    const v = o[key];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) actionError(`the strategy callback's ${key} must be a finite number of ticks or null, got ${describe(v)}`);
    action[i] = v;
  }
  const market = o.market;
  if (market === 'buy') action[2] = 1;
  else if (market === 'sell') action[2] = -1;
  else if (market !== undefined && market !== null) actionError(`the strategy callback's market must be 'buy', 'sell' or null, got ${describe(market)}`);
}

function concatRaw(parts: NativeBacktestResult[]): NativeBacktestResult {
  if (parts.length === 1) return parts[0];
  const cat = (get: (r: NativeBacktestResult) => Float64Array) => {
    const total = parts.reduce((n, r) => n + get(r).length, 0);
    const out = new Float64Array(total);
    let at = 0;
    for (const r of parts) {
      out.set(get(r), at);
      at += get(r).length;
    }
    return out;
  };
  const keys = ['pnl', 'grossPnl', 'makerNotional', 'takerNotional', 'cash', 'mid', 'map', 'reward', 'inventory', 'trades', 'events', 'gridGross', 'gridMaker', 'gridTaker'] as const;
  const out = {} as NativeBacktestResult;
  for (const k of keys) out[k] = cat((r) => r[k]);
  if (parts[0].steps && parts[0].fills) {
    const steps = {} as BacktestRecords['steps'];
    for (const k of Object.keys(parts[0].steps) as (keyof BacktestRecords['steps'])[]) steps[k] = cat((r) => r.steps![k]);
    const fills = {} as BacktestRecords['fills'];
    for (const k of Object.keys(parts[0].fills) as (keyof BacktestRecords['fills'])[]) fills[k] = cat((r) => r.fills![k]);
    out.steps = steps;
    out.fills = fills;
  }
  return out;
}

function runRaw(p: Prepared): NativeBacktestResult {
  const h = p.process;
  if (p.callback) return addon().backtestRunCallback(h.mu, h.alpha, h.beta, p.native, callbackDecider(p.callback, p.resolved.tick));
  return addon().backtestRun(h.mu, h.alpha, h.beta, p.native);
}

/**
 * Runs a backtest and blocks the calling thread until every path is done (native threads do the
 * work; a JS callback strategy runs on this thread, step by step: the slow path).
 */
export function runBacktest(config: BacktestConfig): BacktestResult {
  const p = prepare(config);
  return toResult(runRaw(p), p.resolved);
}

async function runRawAsync(p: Prepared, userOptions: BacktestAsyncOptions): Promise<NativeBacktestResult> {
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
      const part = addon().backtestRunCallback(h.mu, h.alpha, h.beta, { ...p.native, paths: Math.min(slice, P - first), firstPath: first }, decide);
      parts.push(part);
      for (let i = 0; i < part.events.length; i++) events += part.events[i];
      options.onProgress?.({ pathsDone: Math.min(P, first + slice), paths: P, events });
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (options.signal?.aborted) throw options.signal.reason;
    return concatRaw(parts);
  }
  return runAsync<NativeBacktestResult>(
    (onProgress) => addon().backtestRunAsync(h.mu, h.alpha, h.beta, p.native, onProgress) as unknown as { promise: Promise<NativeSimulation>; cancel(): void },
    // runAsync reads only the signal and the progress listener of its options.
    { signal: options.signal, onProgress: options.onProgress } as SimulateAsyncOptions,
    (raw) => raw as unknown as NativeBacktestResult,
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

// ---- Studies -----------------------------------------------------------------------------------

export interface StudyConfig extends Omit<BacktestConfig, 'strategy'> {
  /** Strategies by display name. */
  strategies: Record<string, Strategy>;
  /** Baseline-noise variances to test (besides 0). Default [0.1, 0.2, 0.3]; [] to skip. */
  noise?: number[];
  /** Fee rates (maker and taker alike) to sweep. Default [0, 0.002, 0.004, 0.006]; [] to skip. */
  feeSweep?: number[];
}

export interface StudyRow {
  strategy: string;
  study: 'base' | 'noise' | 'fee';
  noiseVariance: number;
  fee: { maker: number; taker: number };
  metrics: BacktestMetrics;
}

export interface StudyResult {
  rows: StudyRow[];
  /** The base run (config fees, no noise) of each strategy. */
  base: Record<string, BacktestResult>;
  /** Each strategy's results per fee of the sweep, in feeSweep order. */
  fees: Record<string, BacktestResult[]>;
  feeSweep: number[];
  noise: number[];
  seconds: number;
}

function studyPlan(config: StudyConfig) {
  if (config === null || typeof config !== 'object') fail(`study config must be an object, got ${describe(config)}`);
  const read = readInput('ERR_INVALID_OPTION', 'study config', () => {
    const { strategies, noise, feeSweep, ...rest } = config;
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
    return { rest, named, noiseLevels: list(noise, 'noise', [0.1, 0.2, 0.3]), fees: list(feeSweep, 'feeSweep', [0, 0.002, 0.004, 0.006]) };
  });
  const { rest, named, noiseLevels, fees } = read;
  const base = new Map<string, Prepared>();
  const strategies = new Map<string, Strategy>(named);
  for (const [name, s] of named) base.set(name, prepare({ ...rest, strategy: s }));
  return { rest, noiseLevels, fees, base, strategies };
}

/** Sets an own property whatever the name (base['__proto__'] = x would set the prototype instead). */
function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

type StudyPlan = ReturnType<typeof studyPlan>;

// One run of a study: its prepared config, a label for progress, and what its result becomes.
interface StudyRun {
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
function studyRuns(plan: StudyPlan): StudyRun[] {
  const runs: StudyRun[] = [];
  for (const [name, p] of plan.base) {
    runs.push({ p, label: name, strategy: name, kind: 'base', value: 0 });
    const strategy = plan.strategies.get(name)!;
    for (const v of plan.noiseLevels) {
      runs.push({ p: prepare({ ...plan.rest, strategy, noiseVariance: v }), label: `${name} noise ${v}`, strategy: name, kind: 'noise', value: v });
    }
    if (p.callback) {
      for (const f of plan.fees) {
        runs.push({ p: prepare({ ...plan.rest, strategy, fees: { maker: f, taker: f } }), label: `${name} fee ${f}`, strategy: name, kind: 'fee', value: f });
      }
    }
  }
  return runs;
}

// The study's rows and results from its runs' raw results (in studyRuns order): per strategy its
// base row, its noise rows, then its fee rows.
function assembleStudy(plan: StudyPlan, runs: StudyRun[], raws: NativeBacktestResult[]): Omit<StudyResult, 'seconds'> {
  const rows: StudyRow[] = [];
  const base: Record<string, BacktestResult> = {};
  const fees: Record<string, BacktestResult[]> = {};
  runs.forEach((run, i) => {
    const { p, strategy } = run;
    if (run.kind === 'base') {
      const r = toResult(raws[i], p.resolved);
      setOwn(base, strategy, r);
      setOwn(fees, strategy, p.callback ? [] : plan.fees.map((f) => toResult(raws[i], p.resolved, { maker: f, taker: f })));
      rows.push({ strategy, study: 'base', noiseVariance: p.resolved.noiseVariance, fee: { ...p.resolved.fees }, metrics: r.metrics });
    } else if (run.kind === 'noise') {
      const r = toResult(raws[i], p.resolved);
      rows.push({ strategy, study: 'noise', noiseVariance: run.value, fee: { ...p.resolved.fees }, metrics: r.metrics });
    } else {
      fees[strategy].push(toResult(raws[i], p.resolved));
    }
    if (runs[i + 1]?.strategy === strategy) return;
    const noiseVariance = plan.base.get(strategy)!.resolved.noiseVariance;
    fees[strategy].forEach((r, k) => {
      const f = plan.fees[k];
      rows.push({ strategy, study: 'fee', noiseVariance, fee: { maker: f, taker: f }, metrics: r.metrics });
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

// The native arguments of prepared configs run together: the one Hawkes model they share
// (refused otherwise) and each run's options.
function manyArgs(list: Prepared[]): [Float64Array, Float64Array, Float64Array, NativeBacktestOptions[]] {
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
function runManyRaw(list: Prepared[]): NativeBacktestResult[] {
  return addon().backtestRunMany(...manyArgs(list));
}

/**
 * @internal Runs backtests of one Hawkes model in one native call, as a CUDA study does (there
 * they share the device; on the CPU they run in turn). For tests; not part of the package API.
 */
export function _runBacktestsTogether(configs: BacktestConfig[]): BacktestResult[] {
  const list = configs.map((c) => prepare(c));
  return runManyRaw(list).map((raw, i) => toResult(raw, list[i].resolved));
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

export interface StudyAsyncOptions {
  signal?: AbortSignal;
  /** Progress over the whole study: runs done, the current run's label and its progress. */
  onProgress?: (p: { run: number; runs: number; label: string; pathsDone: number; paths: number; events: number }) => void;
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
    raws = await runAsync<NativeBacktestResult[]>(
      (progress) => addon().backtestRunManyAsync(...args, progress) as unknown as { promise: Promise<NativeSimulation>; cancel(): void },
      {
        signal: options.signal,
        onProgress: options.onProgress ? (q: SimulationProgress) => options.onProgress!({ run: 0, runs: total, label, ...q }) : undefined,
      } as SimulateAsyncOptions,
      (raw) => raw as unknown as NativeBacktestResult[],
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

/**
 * The 8-event limit-order-book model (docs/hawkes.md): an 8-dimensional Hawkes process in the
 * type order MAb, MAs, LAb, LAs, CAb, CAs, MNb, MNs whose aggressive events move the best bid
 * or ask by a jump J >= 1 tick drawn from a shifted exponential, rounded to ticks.
 */
import { HawkgraphError, describe, readInput } from './errors';
import {
  HawkesParams,
  HawkesProcess,
  HawkesStats,
  LOB_EVENT_TYPES,
  NativeSimulateOptions,
  NativeSimulation,
  SimulateAsyncOptions,
  SimulateOptions,
  nativeSimulateOptions,
  runAsync,
  statsFromRow,
} from './hawkes';
import { native } from './native';

export interface LobJumps {
  /** Location of the jump law per type (ticks, >= 0), or one value for all. Default 1. */
  location?: number | ArrayLike<number>;
  /** Scale of the exponential part per type (ticks, >= 0), or one value for all. Default 1. */
  scale?: number | ArrayLike<number>;
}

export interface LobModelOptions {
  /** The 8-dimensional process driving the events (or its parameters). */
  hawkes: HawkesProcess | HawkesParams;
  jumps?: LobJumps;
  /** Price of one tick. Default 0.01. */
  tick?: number;
  /** Starting best bid and ask (prices, multiples of tick, ask >= bid + tick). */
  initialBid: number;
  initialAsk: number;
}

export interface LobSimulation {
  times: Float64Array;
  /** Index into LOB_EVENT_TYPES. */
  types: Int32Array;
  pathOffsets: Float64Array;
  truncated: Uint8Array;
  intensity?: Float64Array;
  /** Ticks the event moved a price by (0 for MNb / MNs and a limit order into a one-tick spread). */
  jump: Int32Array;
  /** Best bid, best ask and mid after each event (prices). */
  bid: Float64Array;
  ask: Float64Array;
  mid: Float64Array;
  stats: HawkesStats;
}

/**
 * Largest jump location and scale, in ticks. A jump J = location + scale * Exp(1) is an integer
 * number of ticks added to a price kept in 64-bit ticks and reported in an Int32Array; with
 * these bounds J stays below 2^31 (Exp(1) draws stay below 40) and prices cannot overflow.
 */
export const MAX_JUMP_TICKS = 1e6;

/** @internal ERR_INVALID_OPTION unless x is a finite number of ticks in [0, MAX_JUMP_TICKS]. */
export function checkJump(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new HawkgraphError('ERR_INVALID_OPTION', `${field} must be a finite number >= 0 ticks, got ${describe(x)}`);
  if (x > MAX_JUMP_TICKS) throw new HawkgraphError('ERR_INVALID_OPTION', `${field} must be at most ${MAX_JUMP_TICKS} ticks, got ${x}`);
  return x;
}

function jumpVector(v: unknown, field: string): Float64Array {
  if (v === undefined) return new Float64Array(8).fill(1);
  if (typeof v === 'number') return new Float64Array(8).fill(v);
  if ((Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<unknown>).length === 8) {
    const a = v as ArrayLike<unknown>;
    const out = new Float64Array(8);
    for (let k = 0; k < 8; k++) {
      if (typeof a[k] !== 'number') throw new HawkgraphError('ERR_INVALID_OPTION', `${field}[${k}] must be a number, got ${describe(a[k])}`);
      out[k] = a[k] as number;
    }
    return out;
  }
  throw new HawkgraphError('ERR_INVALID_OPTION', `${field} must be a number or an array of 8 numbers (one per LOB event type), got ${describe(v)}`);
}

function toTicks(price: unknown, tick: number, field: string): number {
  if (typeof price !== 'number' || !Number.isFinite(price)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `${field} must be a finite number, got ${describe(price)}`);
  }
  const ticks = Math.round(price / tick);
  if (Math.abs(ticks * tick - price) > 1e-9 * Math.max(1, Math.abs(price))) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `${field} ${price} is not a multiple of the tick ${tick}`);
  }
  if (!Number.isSafeInteger(ticks) || Math.abs(ticks) > 2 ** 52) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `${field} ${price} is too many ticks (${ticks}) from 0`);
  }
  return ticks + 0; // -0 ticks: 0
}

interface NativeLob {
  hawkesSimulate(mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean, options: NativeSimulateOptions): NativeSimulation;
  hawkesSimulateAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, allowExplosive: boolean, options: NativeSimulateOptions,
    onProgress?: (p: { pathsDone: number; paths: number; events: number }) => void,
  ): { promise: Promise<NativeSimulation>; cancel(): void };
}

const LOB_KEYS = new Set(['hawkes', 'jumps', 'tick', 'initialBid', 'initialAsk']);

/** @internal The 8-dimensional process of a LOB option: errors of its parameters are prefixed `hawkes:`. */
export function hawkesOption(v: unknown): HawkesProcess {
  let process: HawkesProcess;
  if (v instanceof HawkesProcess) {
    process = v;
  } else {
    try {
      process = new HawkesProcess(v as HawkesParams);
    } catch (err) {
      if (err instanceof HawkgraphError) throw new HawkgraphError(err.code, `hawkes: ${err.message}`, { cause: err.cause });
      throw err;
    }
  }
  if (process.dims !== 8) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `hawkes must have 8 dimensions (${LOB_EVENT_TYPES.join(', ')}), got ${process.dims}`);
  }
  return process;
}

function readLobOptions(options: LobModelOptions) {
  for (const key of Object.keys(options)) {
    if (!LOB_KEYS.has(key)) throw new HawkgraphError('ERR_INVALID_OPTION', `unknown LobModel option ${JSON.stringify(key)} (expected one of ${[...LOB_KEYS].join(', ')})`);
  }
  const tick = options.tick ?? 0.01;
  if (typeof tick !== 'number' || !Number.isFinite(tick) || tick <= 0) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `tick must be a finite number > 0, got ${describe(tick)}`);
  }
  const jumps = options.jumps ?? {};
  if (jumps === null || typeof jumps !== 'object') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `jumps must be an object with location and scale, got ${describe(jumps)}`);
  }
  for (const key of Object.keys(jumps)) {
    if (key !== 'location' && key !== 'scale') throw new HawkgraphError('ERR_INVALID_OPTION', `unknown field jumps.${key} (expected location, scale)`);
  }
  const location = jumpVector(jumps.location, 'jumps.location');
  const scale = jumpVector(jumps.scale, 'jumps.scale');
  for (let k = 0; k < 8; k++) {
    checkJump(location[k], `jumps.location[${k}]`);
    checkJump(scale[k], `jumps.scale[${k}]`);
  }
  const bidTicks = toTicks(options.initialBid, tick, 'initialBid');
  const askTicks = toTicks(options.initialAsk, tick, 'initialAsk');
  if (askTicks - bidTicks < 1) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `initialAsk (${options.initialAsk}) must be at least one tick above initialBid (${options.initialBid})`);
  }
  return { tick, location, scale, bidTicks, askTicks };
}

export class LobModel {
  static readonly EVENT_TYPES = LOB_EVENT_TYPES;
  readonly hawkes: HawkesProcess;
  readonly tick: number;
  readonly initialBid: number;
  readonly initialAsk: number;
  readonly #location: Float64Array;
  readonly #scale: Float64Array;
  readonly #bidTicks: number;
  readonly #askTicks: number;

  constructor(options: LobModelOptions) {
    if (options === null || typeof options !== 'object') {
      throw new HawkgraphError('ERR_INVALID_OPTION', `LobModel expects an options object, got ${describe(options)}`);
    }
    this.hawkes = readInput('ERR_INVALID_OPTION', 'LobModel options', () => hawkesOption(options.hawkes));
    const r = readInput('ERR_INVALID_OPTION', 'LobModel options', () => readLobOptions(options));
    this.tick = r.tick;
    this.#location = r.location;
    this.#scale = r.scale;
    this.#bidTicks = r.bidTicks;
    this.#askTicks = r.askTicks;
    this.initialBid = r.bidTicks * r.tick;
    this.initialAsk = r.askTicks * r.tick;
  }

  #options(options: SimulateOptions, async = false): NativeSimulateOptions {
    const o = nativeSimulateOptions(options, this.hawkes.maxEvents, async);
    o.lob = { location: this.#location, scale: this.#scale, initialBid: this.#bidTicks, initialAsk: this.#askTicks, tick: this.tick };
    return o;
  }

  #result(raw: NativeSimulation, paths: number): LobSimulation {
    const empty = new Float64Array(0);
    const sim: LobSimulation = {
      times: raw.times ?? new Float64Array(0),
      types: raw.types ?? new Int32Array(0),
      pathOffsets: raw.pathOffsets ?? new Float64Array(0),
      truncated: raw.truncated ?? new Uint8Array(0),
      jump: raw.jump ?? new Int32Array(0),
      bid: raw.bid ?? empty,
      ask: raw.ask ?? empty,
      mid: raw.mid ?? empty,
      stats: statsFromRow(raw.stats, 8, paths),
    };
    if (raw.intensity) sim.intensity = raw.intensity;
    return sim;
  }

  /** Simulates order flow and prices on [0, endTime]; blocks like HawkesProcess.simulate. */
  simulate(options: SimulateOptions): LobSimulation {
    const o = this.#options(options);
    const h = this.hawkes;
    const raw = (native().addon as unknown as NativeLob).hawkesSimulate(h.mu, h.alpha, h.beta, h.allowExplosive, o);
    return this.#result(raw, o.paths);
  }

  /** Like simulate, off the JS thread; abortable, with progress reports. */
  simulateAsync(options: SimulateAsyncOptions): Promise<LobSimulation> {
    let o: NativeSimulateOptions;
    try {
      o = this.#options(options, true);
    } catch (err) {
      return Promise.reject(err);
    }
    const h = this.hawkes;
    return runAsync(
      (onProgress) => (native().addon as unknown as NativeLob).hawkesSimulateAsync(h.mu, h.alpha, h.beta, h.allowExplosive, o, onProgress),
      options,
      (raw) => this.#result(raw, o.paths),
    );
  }
}

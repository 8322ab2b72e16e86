/**
 * The 8-event limit-order-book model (docs/hawkes.md): an 8-dimensional Hawkes process in the
 * type order MAb, MAs, LAb, LAs, CAb, CAs, MNb, MNs whose aggressive events move the best bid
 * or ask by a jump J >= 1 tick drawn from a shifted exponential, rounded to ticks.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { native } from '../native';
import type { NativeSimulateOptions, NativeSimulation } from '../native';
import { checkKeys } from '../options';
import { fitLobModel } from './lob-fit';
import type { LobEvent, LobEventColumns, LobFit, LobFitOptions } from './lob-fit';
import { quoteTicks, readJumps } from './lob-params';
import { HawkesProcess } from './process';
import { nativeSimulateOptions, runAsync, statsFromRow } from './simulate';
import { HawkesParams, HawkesStats, LOB_EVENT_TYPES, SimulateAsyncOptions, SimulateOptions } from './types';

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

// A LobModel's jump laws when its options give none: J = max(1, round(1 + Exp(1))) for every type.
const LOB_DEFAULT_JUMPS = { location: [1, 1, 1, 1, 1, 1, 1, 1], scale: [1, 1, 1, 1, 1, 1, 1, 1] };

const LOB_KEYS = new Set(['hawkes', 'jumps', 'tick', 'initialBid', 'initialAsk']);

/** The 8-dimensional process of a LOB option: errors of its parameters are prefixed `hawkes:`. */
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
  checkKeys(options, LOB_KEYS, 'LobModel option');
  const tick = options.tick ?? 0.01;
  if (typeof tick !== 'number' || !Number.isFinite(tick) || tick <= 0) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `tick must be a finite number > 0, got ${describe(tick)}`);
  }
  const { location, scale } = readJumps(options.jumps, LOB_DEFAULT_JUMPS);
  const { bidTicks, askTicks } = quoteTicks(options.initialBid, options.initialAsk, tick);
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

  /**
   * Fits the model to a classified feed (docs/hawkes.md, "Fitting the LOB model to your own
   * feed"): the 8-dimensional Hawkes process and the jump laws; `fit.config` is the hawkes and
   * jumps of a runBacktest config. Blocks like HawkesProcess.fit.
   */
  static fit(events: LobEventColumns | ArrayLike<LobEvent>, options?: LobFitOptions): LobFit {
    return fitLobModel(events, options);
  }

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
    const raw = native().addon.hawkesSimulate(h.mu, h.alpha, h.beta, h.allowExplosive, o);
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
      (onProgress) => native().addon.hawkesSimulateAsync(h.mu, h.alpha, h.beta, h.allowExplosive, o, onProgress),
      options,
      (raw) => this.#result(raw, o.paths),
    );
  }
}

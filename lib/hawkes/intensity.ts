/**
 * HawkesIntensity: live intensities from a bot's own event feed, in JS (O(D) per event with one
 * beta per excited dimension, no allocation after construction). Times are in the parameters'
 * unit (seconds, or any unit consistent with beta), or in the unit `timeUnit` names with the
 * parameters per second.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { LIB_LIMITS } from '../native/layouts';
import { checkKeys, optionError } from '../options';
import { fail } from './params';
import { HawkesProcess } from './process';
import type { HawkesParams } from './types';

/** Units a feed's times may come in, as seconds per unit. */
const TIME_UNITS = Object.freeze({ s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 });
export type TimeUnit = keyof typeof TIME_UNITS;

export interface HawkesIntensityOptions {
  /**
   * The unit of the times fed to update() and the queries, the parameters being per second:
   * 's' (the default, and right for any unit when mu, alpha and beta are per that unit), 'ms'
   * (e.g. Date.now()), 'us' or 'ns'.
   */
  timeUnit?: TimeUnit;
  /**
   * The longest gap between two updates accepted, in the fed unit. Default: the gap in which the
   * baseline rates alone expect LIB_LIMITS.intensityMaxQuietEvents (745) events, whose chance of
   * passing without one is below the smallest float64; Infinity turns the check off.
   */
  maxGap?: number;
}

const OPTION_KEYS = new Set(['timeUnit', 'maxGap']);

/**
 * y * exp(-x). An excitation that overflowed to Infinity (alpha near the float64 limit) decays to
 * 0 once exp underflows, instead of Infinity * 0 = NaN poisoning the state for good.
 */
function decayed(y: number, x: number): number {
  const f = Math.exp(-x);
  return f === 0 ? 0 : y * f;
}

/**
 * Live intensities from a real event feed: update(type, time) as events arrive, then read
 * lambda(t) for every type at any later time. O(D) per update and per query with one beta per
 * excited dimension (O(D^2) with a full beta matrix); no allocation after construction.
 * Values are right-continuous: an event at time t is included in the intensity at t.
 *
 * Time units: the times are read in the parameters' unit (beta is "per unit of time"), unless
 * `timeUnit` says the feed is in ms, us or ns with the parameters per second. Epoch timestamps
 * are fine (the first update sets the clock), but a gap between two updates that the model
 * could not produce (see maxGap) is refused: it is almost always a feed in milliseconds read
 * as seconds. Call reset() across a real break (a session close) instead.
 */
export class HawkesIntensity {
  readonly dims: number;
  readonly #mu: Float64Array;
  readonly #alpha: Float64Array;
  readonly #beta: Float64Array;
  readonly #perRow: boolean;
  // Excitation at #time: per excited dimension (per-row beta) or per (k, l) pair.
  readonly #y: Float64Array;
  readonly #out: Float64Array;
  #time = 0;
  #events = 0;
  /** Seconds (the parameters' unit) per unit of the fed times. */
  readonly #scale: number;
  readonly #baseline: number;
  /** The unit of the fed times. */
  readonly timeUnit: TimeUnit;
  /** The longest gap between two updates accepted, in the fed unit. */
  readonly maxGap: number;

  constructor(params: HawkesParams | HawkesProcess, options: HawkesIntensityOptions = {}) {
    if (params === null || typeof params !== 'object') fail('params', `must be a HawkesProcess or an object with mu, alpha and beta, got ${describe(params)}`);
    const hp = readInput('ERR_HAWKES_PARAMETER', 'params', () =>
      params instanceof HawkesProcess ? params : new HawkesProcess({ ...params, allowExplosive: true, maxEvents: 1 }));
    this.dims = hp.dims;
    this.#mu = hp.mu;
    this.#alpha = hp.alpha;
    this.#beta = hp.beta;
    this.#perRow = hp.betaPerRow;
    this.#y = new Float64Array(this.#perRow ? hp.dims : hp.dims * hp.dims);
    this.#out = new Float64Array(hp.dims);
    if (options === null || typeof options !== 'object') optionError(`HawkesIntensity options must be an object, got ${describe(options)}`);
    const { timeUnit, maxGap } = readInput('ERR_INVALID_OPTION', 'HawkesIntensity options', () => {
      checkKeys(options, OPTION_KEYS, 'HawkesIntensity option');
      return { timeUnit: options.timeUnit, maxGap: options.maxGap };
    });
    const unit = timeUnit ?? 's';
    if (typeof unit !== 'string' || !Object.hasOwn(TIME_UNITS, unit)) optionError(`timeUnit must be one of 's', 'ms', 'us', 'ns', got ${describe(unit)}`);
    this.timeUnit = unit;
    this.#scale = TIME_UNITS[unit];
    let baseline = 0;
    for (let k = 0; k < hp.dims; k++) baseline += hp.mu[k];
    this.#baseline = baseline;
    const fallback = baseline > 0 ? LIB_LIMITS.intensityMaxQuietEvents / (baseline * this.#scale) : Infinity;
    if (maxGap !== undefined && (typeof maxGap !== 'number' || !(maxGap > 0))) optionError(`maxGap must be a number > 0 (Infinity: no check), got ${describe(maxGap)}`);
    this.maxGap = maxGap ?? fallback;
  }

  /** Time of the last event fed (0 before any). */
  get time(): number {
    return this.#time;
  }

  /** Number of events fed since construction or reset(). */
  get events(): number {
    return this.#events;
  }

  #checkFinite(time: number): void {
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `time must be a finite number, got ${describe(time)}`);
    }
  }

  #checkUpdateTime(time: number): void {
    this.#checkFinite(time);
    if (time < this.#time) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `time ${time} is before the last event time ${this.#time}; events must arrive in time order`);
    }
    const gap = time - this.#time;
    if (this.#events > 0 && gap > this.maxGap) {
      const expected = this.#baseline * gap * this.#scale;
      throw new HawkgraphError('ERR_HAWKES_EVENTS',
        `time ${time} comes ${gap} after the last event at ${this.#time}: the baseline rates (summing to ${this.#baseline} per ` +
        `${this.timeUnit === 's' ? 'unit of time' : 'second'}) expect ${Number(expected.toPrecision(4))} events in that gap ` +
        `(a chance below e^-${Math.floor(expected)} that none arrives). Times must be in the parameters' unit (seconds, or the unit of beta)` +
        `${this.timeUnit === 's' ? ", or say the feed's unit with { timeUnit: 'ms' | 'us' | 'ns' }" : ''}; ` +
        `across a real break call reset() first, or raise maxGap (now ${this.maxGap})`);
    }
  }

  #checkQueryTime(time: number): void {
    this.#checkFinite(time);
    if (time < this.#time) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `query time ${time} is before the last event at ${this.#time}: intensities are read at or after the last event fed (the past is not kept)`);
    }
  }

  #decayTo(time: number): void {
    const dt = (time - this.#time) * this.#scale;
    if (dt === 0) return;
    const D = this.dims, y = this.#y, beta = this.#beta;
    if (this.#perRow) {
      for (let k = 0; k < D; k++) y[k] = decayed(y[k], beta[k * D] * dt);
    } else {
      for (let i = 0; i < D * D; i++) y[i] = decayed(y[i], beta[i] * dt);
    }
    this.#time = time;
  }

  /**
   * Feeds one event of `type` at `time` (in the fed unit; times must not decrease, and a gap
   * longer than maxGap since the previous update is refused: ERR_HAWKES_EVENTS).
   */
  update(type: number, time: number): void {
    const D = this.dims;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type >= D) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `type must be an integer in [0, ${D - 1}], got ${describe(type)}`);
    }
    this.#checkUpdateTime(time);
    this.#decayTo(time);
    const y = this.#y, alpha = this.#alpha;
    if (this.#perRow) {
      for (let k = 0; k < D; k++) y[k] += alpha[k * D + type];
    } else {
      for (let k = 0; k < D; k++) y[k * D + type] += alpha[k * D + type];
    }
    this.#events++;
  }

  /**
   * lambda_k(time) for every k (time >= the last event, else ERR_INVALID_ARGUMENT; default: the
   * last event time), written into `out` (or an internal buffer reused by every call). The
   * intensities are per unit of the parameters' time (per second with a timeUnit).
   */
  intensities(time: number = this.#time, out: Float64Array = this.#out): Float64Array {
    this.#checkQueryTime(time);
    // isView first: it is false for a Proxy without running a trap.
    if (out !== this.#out && !(ArrayBuffer.isView(out) && out instanceof Float64Array && out.length >= this.dims)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `out must be a Float64Array of at least ${this.dims} values, got ${describe(out)}${ArrayBuffer.isView(out) ? ` of length ${(out as Float64Array).length}` : ''}`);
    }
    const D = this.dims, y = this.#y, beta = this.#beta, mu = this.#mu;
    const dt = (time - this.#time) * this.#scale;
    for (let k = 0; k < D; k++) {
      let lam = mu[k];
      if (this.#perRow) {
        lam += decayed(y[k], beta[k * D] * dt);
      } else {
        for (let l = 0; l < D; l++) lam += decayed(y[k * D + l], beta[k * D + l] * dt);
      }
      out[k] = lam;
    }
    return out;
  }

  /** lambda_type(time). */
  intensity(type: number, time: number = this.#time): number {
    const D = this.dims;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type >= D) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `type must be an integer in [0, ${D - 1}], got ${describe(type)}`);
    }
    return this.intensities(time)[type];
  }

  /**
   * The LOB trend signal lambda_MAb + lambda_MNb - lambda_MAs - lambda_MNs (8-dimensional
   * process in the LOB type order): positive when buy pressure dominates.
   */
  trend(time: number = this.#time): number {
    if (this.dims !== 8) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `trend() needs the 8-dimensional LOB process, this one has ${this.dims} dimensions`);
    }
    const lam = this.intensities(time);
    return lam[0] + lam[6] - lam[1] - lam[7];
  }

  /** Forgets every event (intensities back to mu, time back to 0; the next update sets the clock again). */
  reset(): void {
    this.#y.fill(0);
    this.#time = 0;
    this.#events = 0;
  }
}

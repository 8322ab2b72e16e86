/**
 * HawkesIntensity: live intensities from a bot's own event feed, in JS (O(D) per event with one
 * beta per excited dimension, no allocation after construction).
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { fail } from './params';
import { HawkesProcess } from './process';
import type { HawkesParams } from './types';

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

  constructor(params: HawkesParams | HawkesProcess) {
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
  }

  /** Time of the last event fed (0 before any). */
  get time(): number {
    return this.#time;
  }

  /** Number of events fed since construction or reset(). */
  get events(): number {
    return this.#events;
  }

  #checkTime(time: number, what: string): void {
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `${what} must be a finite number, got ${describe(time)}`);
    }
    if (time < this.#time) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `${what} ${time} is before the last event time ${this.#time}; events must arrive in time order`);
    }
  }

  #decayTo(time: number): void {
    const dt = time - this.#time;
    if (dt === 0) return;
    const D = this.dims, y = this.#y, beta = this.#beta;
    if (this.#perRow) {
      for (let k = 0; k < D; k++) y[k] = decayed(y[k], beta[k * D] * dt);
    } else {
      for (let i = 0; i < D * D; i++) y[i] = decayed(y[i], beta[i] * dt);
    }
    this.#time = time;
  }

  /** Feeds one event of `type` at `time` (times must not decrease). */
  update(type: number, time: number): void {
    const D = this.dims;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type >= D) {
      throw new HawkgraphError('ERR_HAWKES_EVENTS', `type must be an integer in [0, ${D - 1}], got ${describe(type)}`);
    }
    this.#checkTime(time, 'time');
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
   * lambda_k(time) for every k (time >= the last event; default: the last event time), written
   * into `out` (or an internal buffer reused by every call).
   */
  intensities(time: number = this.#time, out: Float64Array = this.#out): Float64Array {
    this.#checkTime(time, 'time');
    // isView first: it is false for a Proxy without running a trap.
    if (out !== this.#out && !(ArrayBuffer.isView(out) && out instanceof Float64Array && out.length >= this.dims)) {
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `out must be a Float64Array of at least ${this.dims} values, got ${describe(out)}${ArrayBuffer.isView(out) ? ` of length ${(out as Float64Array).length}` : ''}`);
    }
    const D = this.dims, y = this.#y, beta = this.#beta, mu = this.#mu;
    const dt = time - this.#time;
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

  /** Forgets every event (intensities back to mu, time back to 0). */
  reset(): void {
    this.#y.fill(0);
    this.#time = 0;
    this.#events = 0;
  }
}

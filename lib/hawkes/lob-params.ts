/**
 * The LOB model's prices and jump laws as native code takes them, checked once for LobModel and
 * the backtests alike: prices as whole ticks (|ticks| <= LIMITS.maxTicks), jump locations
 * and scales per event type within LIMITS.maxJumpTicks. ERR_INVALID_OPTION names the field.
 */
import { describe } from '../errors';
import { LIMITS } from '../native/layouts';
import { isArrayLike, optionError } from '../options';

/**
 * Largest jump location and scale, in ticks. A jump J = location + scale * Exp(1) is an integer
 * number of ticks added to a price kept in 64-bit ticks and reported in an Int32Array; with
 * these bounds J stays below 2^31 (Exp(1) draws stay below 40) and prices cannot overflow.
 */
export const MAX_JUMP_TICKS = LIMITS.maxJumpTicks;

/** ERR_INVALID_OPTION unless x is a finite number of ticks in [0, MAX_JUMP_TICKS]. */
export function checkJump(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) optionError(`${field} must be a finite number >= 0 ticks, got ${describe(x)}`);
  if (x > MAX_JUMP_TICKS) optionError(`${field} must be at most ${MAX_JUMP_TICKS} ticks, got ${x}`);
  return x;
}

/** A jump law's location or scale for the 8 event types: one number for all, or 8 (checked). */
function jumpVector(v: unknown, field: string, fallback: readonly number[]): Float64Array {
  if (v === undefined) return Float64Array.from(fallback);
  if (typeof v === 'number') v = new Array(8).fill(v);
  if (!isArrayLike(v) || v.length !== 8) {
    optionError(`${field} must be a number or an array of 8 numbers (one per LOB event type), got ${describe(v)}`);
  }
  const out = new Float64Array(8);
  for (let k = 0; k < 8; k++) {
    const x = v[k];
    if (typeof x !== 'number') optionError(`${field}[${k}] must be a number, got ${describe(x)}`);
    out[k] = checkJump(x, `${field}[${k}]`);
  }
  return out;
}

/** The jump laws of a `jumps` option ({ location?, scale? }), defaults filled in. */
export function readJumps(jumps: unknown, defaults: { location: readonly number[]; scale: readonly number[] }): { location: Float64Array; scale: Float64Array } {
  const j = jumps === undefined ? {} : jumps;
  if (j === null || typeof j !== 'object') optionError(`jumps must be an object with location and scale, got ${describe(j)}`);
  for (const key of Object.keys(j)) if (key !== 'location' && key !== 'scale') optionError(`unknown field jumps.${key} (expected location, scale)`);
  const { location, scale } = j as { location?: unknown; scale?: unknown };
  return { location: jumpVector(location, 'jumps.location', defaults.location), scale: jumpVector(scale, 'jumps.scale', defaults.scale) };
}

/** A price as whole ticks of `tick` (ERR_INVALID_OPTION off the grid or beyond LIMITS.maxTicks). */
export function toTicks(price: unknown, tick: number, field: string): number {
  if (typeof price !== 'number' || !Number.isFinite(price)) optionError(`${field} must be a finite number, got ${describe(price)}`);
  const ticks = Math.round(price / tick);
  if (Math.abs(ticks * tick - price) > 1e-9 * Math.max(1, Math.abs(price))) optionError(`${field} ${price} is not a multiple of the tick ${tick}`);
  // Prices are kept in 64-bit ticks natively; the bound leaves room for every jump.
  if (!Number.isSafeInteger(ticks) || Math.abs(ticks) > LIMITS.maxTicks) {
    optionError(`${field} ${price} is too many ticks (${ticks}) from 0, at most 2^52`);
  }
  return ticks + 0; // -0 ticks: 0
}

/** The initial best bid and ask in ticks: on the grid, the ask at least a tick above the bid. */
export function quoteTicks(initialBid: unknown, initialAsk: unknown, tick: number): { bidTicks: number; askTicks: number } {
  const bidTicks = toTicks(initialBid, tick, 'initialBid');
  const askTicks = toTicks(initialAsk, tick, 'initialAsk');
  if (askTicks - bidTicks < 1) optionError(`initialAsk (${initialAsk}) must be at least one tick above initialBid (${initialBid})`);
  return { bidTicks, askTicks };
}

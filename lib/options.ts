/**
 * Reading callers' options: the checks every API shares (integers in a range, finite numbers,
 * array-likes, unknown keys) and the default thread count of native runs. Each throws
 * ERR_INVALID_OPTION with a message naming the field and the value. Depends on errors.ts and native/layouts.ts only.
 */
import * as os from 'node:os';

import { HawkgraphError, describe } from './errors';
import { LIMITS } from './native/layouts';

export function optionError(message: string): never {
  throw new HawkgraphError('ERR_INVALID_OPTION', message);
}

/** `v` when it is an integer in [lo, hi]; `fallback` when undefined. */
export function integerOption(v: unknown, field: string, fallback: number, lo: number, hi: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    optionError(`${field} must be an integer in [${lo}, ${hi}], got ${describe(v)}`);
  }
  return v;
}

/** `v` when it is a finite number that passes `ok` (described by `what`); `fallback` when undefined. */
export function numberOption(v: unknown, field: string, fallback: number, ok: (x: number) => boolean, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) optionError(`${field} must be ${what}, got ${describe(v)}`);
  return v;
}

/** Refuses a key of `o` outside `known`: `unknown <what> "key" (expected one of ...)`. */
export function checkKeys(o: object, known: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(o)) {
    if (!known.has(key)) optionError(`unknown ${what} ${JSON.stringify(key)} (expected one of ${[...known].join(', ')})`);
  }
}

/**
 * checkKeys for a call with a blocking and an async form (`name` and `nameAsync`): the async form's
 * own keys are refused by the blocking one, saying where they belong.
 */
export function checkCallKeys(o: object, known: ReadonlySet<string>, asyncKeys: ReadonlySet<string>, async: boolean, name: string): void {
  for (const key of Object.keys(o)) {
    if (asyncKeys.has(key) && !async) optionError(`${key} is an option of ${name}Async; ${name} blocks until it returns`);
    if (!known.has(key) && !asyncKeys.has(key)) {
      optionError(`unknown option ${JSON.stringify(key)} (expected one of ${[...known, ...(async ? asyncKeys : [])].join(', ')})`);
    }
  }
}

/** An array or a typed array (not a DataView). */
export function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** Native threads of a simulation or backtest when the caller names none: one per core, at most one per path. */
export function defaultThreads(paths: number): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, paths, LIMITS.maxSimulationThreads));
}

/** `threads` of a simulation or backtest: an integer from 1 to LIMITS.maxSimulationThreads, default defaultThreads(paths). */
export function simulationThreads(v: unknown, paths: number): number {
  return integerOption(v, 'threads', defaultThreads(paths), 1, LIMITS.maxSimulationThreads);
}

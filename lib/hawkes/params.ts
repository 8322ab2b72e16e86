/**
 * Hawkes arguments as native code takes them: mu, alpha and beta as flat Float64Arrays (structure
 * checked here, values natively, once), event streams as typed arrays, and the nested-array
 * views of flat parameters. ERR_HAWKES_PARAMETER / ERR_HAWKES_EVENTS name the field.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { LIMITS } from '../native/layouts';
import { checkKeys, integerOption, isArrayLike, optionError } from '../options';
import type { HawkesProcessOptions } from './types';

export const MAX_DIMS = LIMITS.maxHawkesDims;

export function fail(field: string, message: string): never {
  throw new HawkgraphError('ERR_HAWKES_PARAMETER', `${field} ${message}`);
}

function numberAt(v: unknown, field: string): number {
  if (typeof v !== 'number') fail(field, `must be a number, got ${describe(v)}`);
  return v;
}

/** mu as a Float64Array of 1 .. 64 numbers. */
function toVector(v: unknown, field: string): Float64Array {
  if (!isArrayLike(v)) fail(field, `must be an array of numbers, got ${describe(v)}`);
  if (v.length < 1 || v.length > MAX_DIMS) fail(field, `must have 1 to ${MAX_DIMS} entries, got ${v.length}`);
  const out = new Float64Array(v.length);
  for (let k = 0; k < v.length; k++) out[k] = numberAt(v[k], `${field}[${k}]`);
  return out;
}

function toMatrix(v: unknown, D: number, field: string): Float64Array {
  if (!isArrayLike(v) || v.length !== D) fail(field, `must be a ${D} x ${D} matrix (an array of ${D} rows), got ${describe(v)}`);
  const out = new Float64Array(D * D);
  for (let k = 0; k < D; k++) {
    const row = v[k];
    if (!isArrayLike(row) || row.length !== D) fail(`${field}[${k}]`, `must be an array of ${D} numbers, got ${describe(row)}`);
    for (let l = 0; l < D; l++) out[k * D + l] = numberAt(row[l], `${field}[${k}][${l}]`);
  }
  return out;
}

/** beta as a D x D matrix from a number, a per-row vector or a matrix. */
export function toBeta(v: unknown, D: number, field = 'beta'): Float64Array {
  if (typeof v === 'number') return new Float64Array(D * D).fill(v);
  if (isArrayLike(v) && v.length === D && (D === 0 || !isArrayLike(v[0]))) {
    const out = new Float64Array(D * D);
    for (let k = 0; k < D; k++) out.fill(numberAt(v[k], `${field}[${k}]`), k * D, (k + 1) * D);
    return out;
  }
  if (isArrayLike(v) && v.length === D) return toMatrix(v, D, field);
  return fail(field, `must be a number, an array of ${D} numbers (one per excited dimension) or a ${D} x ${D} matrix, got ${describe(v)}`);
}

export function toRows(flat: Float64Array, D: number): number[][] {
  const rows: number[][] = [];
  for (let k = 0; k < D; k++) rows.push(Array.from(flat.subarray(k * D, (k + 1) * D)));
  return rows;
}

function eventError(message: string): never {
  throw new HawkgraphError('ERR_HAWKES_EVENTS', message);
}

/**
 * times as a Float64Array and types as an Int32Array (views of the caller's arrays when they are
 * already those). Element types are checked here; a type outside [0, maxType] is refused here
 * too, before an Int32Array could wrap it. Values (finite, ordered, within endTime, types
 * within the dimensions) are checked natively.
 */
export function eventArrays(times: unknown, types: unknown, maxType: number): [Float64Array, Int32Array] {
  return readInput('ERR_HAWKES_EVENTS', 'times and types', () => {
    let t: Float64Array;
    if (times instanceof Float64Array) {
      t = times;
    } else if (isArrayLike(times)) {
      t = new Float64Array(times.length);
      for (let i = 0; i < t.length; i++) {
        const v = times[i];
        if (typeof v !== 'number') eventError(`times[${i}] must be a number, got ${describe(v)}`);
        t[i] = v;
      }
    } else {
      eventError(`times must be an array of numbers, got ${describe(times)}`);
    }
    let k: Int32Array;
    const outOfRange = (i: number, v: unknown) =>
      eventError(`types[${i}] must be an integer${typeof v === 'number' && Number.isInteger(v) ? ` in [0, ${maxType}]` : ''}, got ${describe(v)}`);
    if (types instanceof Int32Array) {
      k = types;
      for (let i = 0; i < k.length; i++) if (k[i] < 0 || k[i] > maxType) outOfRange(i, k[i]);
    } else if (isArrayLike(types)) {
      k = new Int32Array(types.length);
      for (let i = 0; i < k.length; i++) {
        const v = types[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > maxType) outOfRange(i, v);
        k[i] = v as number;
      }
    } else {
      eventError(`types must be an array of integers, got ${describe(types)}`);
    }
    if (t.length !== k.length) eventError(`times and types must have the same length, got ${t.length} and ${k.length}`);
    return [t, k];
  });
}

export function endTimeArg(endTime: unknown): number {
  if (typeof endTime !== 'number') throw new HawkgraphError('ERR_HAWKES_EVENTS', `endTime must be a number, got ${describe(endTime)}`);
  return endTime;
}

const PROCESS_KEYS = new Set(['mu', 'alpha', 'beta', 'allowExplosive', 'maxEvents']);

export function readProcessParams(params: HawkesProcessOptions) {
  checkKeys(params, PROCESS_KEYS, 'HawkesProcess option');
  const mu = toVector(params.mu, 'mu');
  const D = mu.length;
  const alpha = toMatrix(params.alpha, D, 'alpha');
  const beta = toBeta(params.beta, D);
  const explosive = params.allowExplosive;
  if (explosive !== undefined && typeof explosive !== 'boolean') optionError(`allowExplosive must be a boolean, got ${describe(explosive)}`);
  const maxEvents = params.maxEvents;
  if (explosive === true && maxEvents === undefined) {
    optionError('allowExplosive: true requires maxEvents (an explosive process never stops on its own)');
  }
  return {
    mu, alpha, beta,
    allowExplosive: explosive === true,
    maxEvents: integerOption(maxEvents, 'maxEvents', LIMITS.defaultMaxEvents, 1, Number.MAX_SAFE_INTEGER),
  };
}

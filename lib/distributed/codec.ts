/**
 * What travels through Redis: bytes and Float64Array columns as base64 (exact: the very bits),
 * and a shard's raw backtest result as JSON. Depends on native/ (column names) only.
 */
import { HawkgraphError } from '../errors';
import { NATIVE_RESULT_COLUMNS } from '../native';
import type { NativeBacktestResult } from '../native';

export function encodeBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function decodeBytes(s: string): Uint8Array {
  const buf = Buffer.from(s, 'base64');
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function decodeColumn(s: unknown, field: string): Float64Array {
  if (typeof s !== 'string') throw new HawkgraphError('ERR_SHARD_FAILED', `shard result: ${field} must be a base64 string`);
  const bytes = decodeBytes(s);
  if (bytes.byteLength % 8 !== 0) throw new HawkgraphError('ERR_SHARD_FAILED', `shard result: ${field} holds ${bytes.byteLength} bytes, not a whole number of float64`);
  return new Float64Array(bytes.buffer);
}

const RECORD_GROUPS = ['steps', 'fills', 'bookEvents'] as const;

/** A shard's result as job return value. */
export interface ShardResult {
  v: 1;
  worker: string;
  seconds: number;
  columns: Record<string, string>;
  records?: Record<string, Record<string, string>>;
}

export function encodeResult(raw: NativeBacktestResult, worker: string, seconds: number): ShardResult {
  const columns: Record<string, string> = {};
  for (const k of NATIVE_RESULT_COLUMNS) columns[k] = encodeBytes(new Uint8Array(raw[k].buffer, raw[k].byteOffset, raw[k].byteLength));
  const out: ShardResult = { v: 1, worker, seconds, columns };
  if (raw.steps && raw.fills && raw.bookEvents) {
    out.records = {};
    for (const g of RECORD_GROUPS) {
      const group: Record<string, string> = {};
      for (const [k, col] of Object.entries(raw[g] as Record<string, Float64Array>)) group[k] = encodeBytes(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
      out.records[g] = group;
    }
  }
  return out;
}

/**
 * A shard's raw result back from Redis, its lengths checked against the shard's paths and time
 * grid (a result that does not fit is refused, never merged).
 */
export function decodeResult(value: unknown, paths: number, timeGrid: number, jobId: string): { raw: NativeBacktestResult; worker: string; seconds: number } {
  const v = value as Partial<ShardResult> | null;
  if (v === null || typeof v !== 'object' || v.v !== 1 || v.columns === null || typeof v.columns !== 'object') {
    throw new HawkgraphError('ERR_SHARD_FAILED', `shard ${jobId}: its result is not a hawkgraph shard result`);
  }
  const raw = {} as NativeBacktestResult;
  for (const k of NATIVE_RESULT_COLUMNS) {
    const col = decodeColumn(v.columns[k], `${jobId}.${k}`);
    const want = k.startsWith('grid') ? paths * timeGrid : paths;
    if (col.length !== want) throw new HawkgraphError('ERR_SHARD_FAILED', `shard ${jobId}: column ${k} has ${col.length} values, expected ${want}`);
    raw[k] = col;
  }
  if (v.records) {
    for (const g of RECORD_GROUPS) {
      const group: Record<string, Float64Array> = {};
      for (const [k, s] of Object.entries(v.records[g] ?? {})) group[k] = decodeColumn(s, `${jobId}.${g}.${k}`);
      (raw as Record<string, unknown>)[g] = group;
    }
  }
  return { raw, worker: typeof v.worker === 'string' ? v.worker : 'unknown', seconds: typeof v.seconds === 'number' ? v.seconds : NaN };
}

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

const RECORD_GROUPS = ['steps', 'fills', 'bookEvents'] as const;

/**
 * A shard's result: its columns in one binary Redis value (the float64 bits as they are: no
 * base64, no JSON, which cost more than the run itself for short paths), and as the job's return
 * value only where that value lies and who computed it.
 */
export interface ShardResult {
  v: 2;
  worker: string;
  seconds: number;
  /** The Redis key of the columns (set by the worker with the job's result ttl). */
  key: string;
  bytes: number;
}

// Binary layout: u32 header length, the header (JSON: [name, values] per column, in order), zero
// padding to 8 bytes, then every column's float64 values back to back.
export function packColumns(raw: NativeBacktestResult): Buffer {
  const cols: [string, Float64Array][] = NATIVE_RESULT_COLUMNS.map((k) => [k, raw[k]]);
  if (raw.steps && raw.fills && raw.bookEvents) {
    for (const g of RECORD_GROUPS) for (const [k, col] of Object.entries(raw[g] as Record<string, Float64Array>)) cols.push([`${g}.${k}`, col]);
  }
  const header = Buffer.from(JSON.stringify(cols.map(([k, c]) => [k, c.length])));
  const at = Math.ceil((4 + header.length) / 8) * 8;
  const out = Buffer.alloc(at + 8 * cols.reduce((n, [, c]) => n + c.length, 0));
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  let off = at;
  for (const [, c] of cols) {
    Buffer.from(c.buffer, c.byteOffset, c.byteLength).copy(out, off);
    off += c.byteLength;
  }
  return out;
}

function refuse(jobId: string, why: string): never {
  throw new HawkgraphError('ERR_SHARD_FAILED', `shard ${jobId}: ${why}`);
}

/** The return value of a shard job, checked. */
export function readShardResult(value: unknown, jobId: string): ShardResult {
  const v = value as Partial<ShardResult> | null;
  if (v === null || typeof v !== 'object' || v.v !== 2 || typeof v.key !== 'string' || typeof v.worker !== 'string' || typeof v.seconds !== 'number') {
    refuse(jobId, 'its result is not a hawkgraph shard result');
  }
  return v as ShardResult;
}

/**
 * A shard's raw result from its binary value, its lengths checked against the shard's paths
 * and time grid (a result that does not fit is refused, never merged).
 */
export function unpackColumns(buf: Buffer, paths: number, timeGrid: number, jobId: string): NativeBacktestResult {
  if (buf.length < 4) refuse(jobId, 'its columns are truncated');
  const n = buf.readUInt32LE(0);
  let header: [string, number][];
  try {
    header = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
  } catch {
    return refuse(jobId, 'its columns have no readable header');
  }
  let off = Math.ceil((4 + n) / 8) * 8;
  const data = new Map<string, Float64Array>();
  for (const [name, count] of header) {
    if (typeof name !== 'string' || !Number.isInteger(count) || count < 0 || off + 8 * count > buf.length) refuse(jobId, `column ${String(name)} does not fit its value`);
    const col = new Float64Array(count);
    new Uint8Array(col.buffer).set(buf.subarray(off, off + 8 * count));
    data.set(name, col);
    off += 8 * count;
  }
  const raw = {} as NativeBacktestResult;
  for (const k of NATIVE_RESULT_COLUMNS) {
    const col = data.get(k);
    const want = k.startsWith('grid') ? paths * timeGrid : paths;
    if (!col || col.length !== want) refuse(jobId, `column ${k} has ${col?.length ?? 0} values, expected ${want}`);
    raw[k] = col;
  }
  for (const g of RECORD_GROUPS) {
    const group: Record<string, Float64Array> = {};
    for (const [name, col] of data) if (name.startsWith(`${g}.`)) group[name.slice(g.length + 1)] = col;
    if (Object.keys(group).length > 0) (raw as Record<string, unknown>)[g] = group;
  }
  return raw;
}

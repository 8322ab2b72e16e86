/**
 * A Hawkes simulation with statistics only (HawkesProcess.simulate({ statsOnly })) over the same
 * queue as studies: the paths split into shards [firstPath, firstPath + paths), each run natively
 * by a worker as that part of the whole run (path p draws from Philox(seed, p) whatever the shard;
 * the statistics blocks are the whole run's), and the block rows folded back in the local run's
 * order (merge.ts foldSimulationRows), so the statistics equal the local ones bit for bit.
 */
import { createHash } from 'node:crypto';

import { HawkgraphError, describe } from '../errors';
import { HawkesProcess } from '../hawkes/process';
import { nativeSimulateOptions, runAsync, statsFromRow } from '../hawkes/simulate';
import type { HawkesProcessOptions, HawkesStats, SimulateOptions } from '../hawkes/types';
import { native } from '../native';
import { LAYOUTS, LIMITS } from '../native/layouts';
import { integerOption as int, optionError as fail } from '../options';
import { decodeBytes, encodeBytes } from './codec';
import { packageInfo, readBatchOptions } from './coordinator';
import { type PlannedJob, runQueuedJobs } from './jobs';
import { foldSimulationRows } from './merge';
import { checkStudyId } from './shards';
import type { DistributedProgress, DistributedQueueOptions, ShardProvenance } from './types';

export const SIMULATE_JOB = 'hawkes-simulate-shard';

export interface SimulateDistributedOptions extends DistributedQueueOptions {
  /** Paths per shard (the last may be shorter). Any size gives the same statistics. Default 10000. */
  shardPaths?: number;
  /** The simulation's id in Redis (letters, digits, '_', '.', '-'). Default: its content hash, so the same simulation resumes. */
  simulationId?: string;
  /** Aborting removes the shards not yet running; the promise rejects with signal.reason. */
  signal?: AbortSignal;
  onProgress?: (p: DistributedProgress) => void;
  /** Attempts per shard on errors a retry may cure. Default 3. */
  attempts?: number;
  /** Keep the shards' results in Redis after the merge. Default false. */
  keepResults?: boolean;
  /** Results not merged are dropped after this many seconds. Default 7 days. */
  resultTtlSeconds?: number;
}

export interface SimulationProvenance {
  package: { name: string; version: string };
  /** sha256 of the process, the resolved options and the shard size. */
  configHash: string;
  simulationId: string;
  queueName: string;
  seed: number;
  shardPaths: number;
  shards: Omit<ShardProvenance, 'run'>[];
}

export interface DistributedSimulation {
  /** What simulate({ ...options, statsOnly: true }).stats returns locally, bit for bit. */
  stats: HawkesStats;
  provenance: SimulationProvenance;
}

/** A shard's job data. */
export interface SimulateJobData {
  v: 1;
  simulation: string;
  shard: number;
  process: { mu: number[]; alpha: number[][]; beta: number[][]; allowExplosive: boolean };
  options: { endTime: number; seed: number; maxEvents: number; method: 'exact' | 'thinning' };
  firstPath: number;
  paths: number;
  totalPaths: number;
}

/** A shard's return value: its block rows (float64, base64) and the whole run's block size. */
export interface SimulateShardResult {
  v: 1;
  worker: string;
  seconds: number;
  statsBlock: number;
  rows: string;
}

const SIM_KEYS = new Set(['connection', 'queueName', 'prefix', 'signal', 'onProgress', 'attempts', 'keepResults', 'resultTtlSeconds', 'shardPaths', 'simulationId']);
// What a shard may vary; threads are the worker's, events and intensities do not travel.
const OPTION_KEYS = ['endTime', 'seed', 'paths', 'maxEvents', 'method', 'statsOnly'];
const DATA_KEYS = new Set(['v', 'simulation', 'shard', 'process', 'options', 'firstPath', 'paths', 'totalPaths']);
const PROCESS_KEYS = new Set(['mu', 'alpha', 'beta', 'allowExplosive']);
const JOB_OPTION_KEYS = new Set(['endTime', 'seed', 'maxEvents', 'method']);

function readOptions(proc: HawkesProcess, options: SimulateOptions) {
  if (options === null || typeof options !== 'object') fail(`simulate options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) fail(`simulate option ${JSON.stringify(key)} cannot be distributed (expected one of ${OPTION_KEYS.join(', ')}; threads are each worker's, and only statistics travel)`);
  }
  if (options.statsOnly !== undefined && options.statsOnly !== true) fail(`statsOnly must be true (only statistics travel), got ${describe(options.statsOnly)}`);
  return nativeSimulateOptions({ ...options, statsOnly: true }, proc.maxEvents);
}

/**
 * Simulates `options.paths` paths of a Hawkes process on the workers serving the queue
 * (createWorker, `npx hawkgraph worker`) and returns the statistics
 * `new HawkesProcess(params).simulate({ ...options, statsOnly: true }).stats` gives locally, bit
 * for bit, for any shard size and number of workers, with every shard's provenance.
 */
export async function simulateDistributed(params: HawkesProcessOptions | HawkesProcess, options: SimulateOptions, distributed: SimulateDistributedOptions): Promise<DistributedSimulation> {
  const o = readBatchOptions(distributed, SIM_KEYS, 'simulationId');
  const shardPaths = int(distributed.shardPaths, 'shardPaths', 10_000, 1, LIMITS.maxPaths);
  const proc = params instanceof HawkesProcess ? params : new HawkesProcess(params);
  const n = readOptions(proc, options);
  if (o.signal?.aborted) throw o.signal.reason;
  const p = proc.params();
  const process = { mu: p.mu, alpha: p.alpha, beta: p.beta, allowExplosive: proc.allowExplosive };
  const jobOptions = { endTime: n.endTime, seed: n.seed, maxEvents: n.maxEvents, method: n.method };
  const version = packageInfo().version;
  const hash = createHash('sha256').update(JSON.stringify({ version, kind: SIMULATE_JOB, process, options: jobOptions, paths: n.paths, shardPaths })).digest('hex');
  const simulationId = distributed.simulationId === undefined ? `sim-${hash.slice(0, 32)}` : checkStudyId(distributed.simulationId, 'simulationId');
  const jobs: (PlannedJob & { data: SimulateJobData })[] = [];
  for (let shard = 0, first = 0; first < n.paths; shard++, first += shardPaths) {
    const paths = Math.min(shardPaths, n.paths - first);
    jobs.push({
      jobId: `${simulationId}-s${shard}`, name: SIMULATE_JOB, label: `paths ${first} to ${first + paths - 1}`, weight: paths,
      data: { v: 1, simulation: simulationId, shard, process, options: jobOptions, firstPath: first, paths, totalPaths: n.paths },
    });
  }
  const W = LAYOUTS.hawkesStats.head + 3 * proc.dims;
  const onProgress = distributed.onProgress;
  const done = await runQueuedJobs<{ block: number; rows: Float64Array }>(
    jobs,
    { ...o, onProgress: onProgress && ((q) => onProgress({ shardsDone: q.done, shards: q.jobs, pathsDone: q.weightDone, paths: q.weight, resumed: q.resumed, workers: q.workers })) },
    async (value, job) => decodeShard(value, job.jobId, W),
  );
  const pieces = jobs.map((j) => ({ firstPath: j.data.firstPath, paths: j.data.paths, ...done.get(j.jobId)!.value, jobId: j.jobId }));
  const row = foldSimulationRows(pieces, n.paths, W);
  return {
    stats: statsFromRow(row, proc.dims, n.paths),
    provenance: {
      package: packageInfo(), configHash: hash, simulationId, queueName: o.queue.queueName, seed: n.seed, shardPaths,
      shards: jobs.map((j) => {
        const d = done.get(j.jobId)!;
        return {
          jobId: j.jobId, label: j.label, firstPath: j.data.firstPath, paths: j.data.paths,
          worker: d.worker, attempts: d.attempts, stalls: d.stalls, seconds: d.seconds, reused: d.reused,
        };
      }),
    },
  };
}

function decodeShard(value: unknown, jobId: string, W: number) {
  const v = value as Partial<SimulateShardResult> | null;
  if (v === null || typeof v !== 'object' || v.v !== 1 || typeof v.worker !== 'string' || typeof v.seconds !== 'number' || typeof v.rows !== 'string' || !Number.isInteger(v.statsBlock) || v.statsBlock! < 1) {
    throw new HawkgraphError('ERR_SHARD_FAILED', `shard ${jobId}: its result is not a hawkgraph simulation shard result`);
  }
  const bytes = decodeBytes(v.rows);
  if (bytes.byteLength % (8 * W) !== 0) throw new HawkgraphError('ERR_SHARD_FAILED', `shard ${jobId}: its rows are not whole statistics rows of ${W} float64 values`);
  return { value: { block: v.statsBlock!, rows: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8) }, worker: v.worker, seconds: v.seconds };
}

function jobError(message: string): never {
  throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: ${message}`);
}

function plainObject(v: unknown, field: string, keys: ReadonlySet<string>): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) jobError(`${field} must be an object, got ${describe(v)}`);
  for (const key of Object.keys(v)) if (!keys.has(key)) jobError(`unknown field ${field === 'data' ? '' : `${field}.`}${key}`);
  return v as Record<string, unknown>;
}

/** Reads a simulation job's data into the process and native options it asks for (coded errors naming the field). */
export function readSimulateJob(data: unknown, threads: number | undefined) {
  const d = plainObject(data, 'data', DATA_KEYS);
  if (d.v !== 1) jobError(`v must be 1, got ${describe(d.v)}`);
  const pr = plainObject(d.process, 'process', PROCESS_KEYS);
  const op = plainObject(d.options, 'options', JOB_OPTION_KEYS);
  if (typeof pr.allowExplosive !== 'boolean') jobError(`process.allowExplosive must be a boolean, got ${describe(pr.allowExplosive)}`);
  for (const key of ['totalPaths', 'firstPath', 'paths']) if (d[key] === undefined) jobError(`${key} is required`);
  if (op.maxEvents === undefined) jobError('options.maxEvents is required');
  const totalPaths = int(d.totalPaths, 'job totalPaths', 0, 1, LIMITS.maxPaths);
  const firstPath = int(d.firstPath, 'job firstPath', 0, 0, totalPaths - 1);
  const paths = int(d.paths, 'job paths', 0, 1, totalPaths - firstPath);
  const proc = new HawkesProcess({ mu: pr.mu, alpha: pr.alpha, beta: pr.beta, allowExplosive: pr.allowExplosive, maxEvents: op.maxEvents } as HawkesProcessOptions);
  const o = nativeSimulateOptions({ ...op, paths, threads, statsOnly: true }, proc.maxEvents);
  return { proc, native: { ...o, firstPath, totalPaths, blockRows: true } };
}

/** Runs a simulation shard on a worker, off the JS thread; its block rows as the job's return value. */
export async function runSimulateJob(data: unknown, threads: number | undefined, signal: AbortSignal, onProgress: (done: number, total: number) => void, worker: string): Promise<SimulateShardResult> {
  const { proc, native: o } = readSimulateJob(data, threads);
  const t0 = performance.now();
  const raw = await runAsync(
    (progress) => native().addon.hawkesSimulateAsync(proc.mu, proc.alpha, proc.beta, proc.allowExplosive, o, progress),
    { signal, onProgress: (p) => onProgress(p.pathsDone, p.paths) },
    (r) => r,
  );
  const rows = raw.blockRows!;
  return { v: 1, worker, seconds: (performance.now() - t0) / 1000, statsBlock: raw.statsBlock!, rows: encodeBytes(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength)) };
}

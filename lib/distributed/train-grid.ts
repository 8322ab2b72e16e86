/**
 * A grid of policy trainings (trainPolicy) over the same queue as studies: one job per point, run
 * by any worker, each result the very policy bytes and metrics trainPolicy gives locally (training
 * is deterministic in its options and seed, on 1 or 2 threads), stored with its config.
 */
import { createHash } from 'node:crypto';

import { prepare } from '../backtest/config';
import type { BacktestConfig, ResolvedBacktestConfig } from '../backtest/types';
import { HawkgraphError, describe } from '../errors';
import { optionError as fail } from '../options';
import { trainPolicy } from '../train';
import { resolveTrainOptions } from '../train/options';
import type { TrainPolicyOptions, TrainPolicyResult } from '../train';
import { decodeBytes, encodeBytes } from './codec';
import { packageInfo, readBatchOptions } from './coordinator';
import { type PlannedJob, runQueuedJobs } from './jobs';
import { checkStudyId, jobConfig } from './shards';
import type { DistributedQueueOptions, ShardProvenance } from './types';

export const TRAIN_JOB = 'train-policy';

/** Options of a training run in a grid: trainPolicy's, less those that belong to the caller or the worker. */
export type TrainGridPointOptions = Omit<TrainPolicyOptions, 'path' | 'onProgress' | 'signal' | 'threads'>;

export interface TrainGridPoint {
  /** The market (a backtest config without a strategy). */
  config?: Omit<BacktestConfig, 'strategy'>;
  options?: TrainGridPointOptions;
}

export interface TrainGridProgress {
  runsDone: number;
  runs: number;
  stepsDone: number;
  steps: number;
  resumed: number;
  workers: Record<string, number>;
}

export interface TrainGridOptions extends DistributedQueueOptions {
  /** The grid's id in Redis. Default: its content hash. */
  gridId?: string;
  signal?: AbortSignal;
  onProgress?: (p: TrainGridProgress) => void;
  attempts?: number;
  keepResults?: boolean;
  resultTtlSeconds?: number;
}

export interface TrainGridRun extends Omit<TrainPolicyResult, 'path'> {
  /** The market it trained on, every default filled in. */
  config: Omit<ResolvedBacktestConfig, 'strategy' | 'threads'>;
  provenance: Omit<ShardProvenance, 'run' | 'firstPath' | 'paths'> & { index: number };
}

const GRID_KEYS = new Set(['connection', 'queueName', 'prefix', 'signal', 'onProgress', 'attempts', 'keepResults', 'resultTtlSeconds', 'gridId']);
const CALLER_KEYS = ['path', 'onProgress', 'signal', 'threads'];
const METRIC_KEYS = ['episodeReturns', 'episodeEnds', 'logStep', 'criticLoss', 'actorLoss', 'alpha', 'entropy'] as const;

/** A training job's data. */
export interface TrainJobData {
  v: 1;
  grid: string;
  index: number;
  config: Record<string, unknown>;
  options: TrainGridPointOptions;
}

// A point read as trainPolicy reads it, so a bad point is refused here, naming it, before anything is queued.
function readPoint(point: unknown, i: number) {
  const where = `points[${i}]`;
  if (point === null || typeof point !== 'object') fail(`${where} must be { config?, options? }, got ${describe(point)}`);
  const { config = {}, options = {}, ...rest } = point as TrainGridPoint;
  for (const key of Object.keys(rest)) fail(`${where}: unknown field ${JSON.stringify(key)} (expected config, options)`);
  if (options === null || typeof options !== 'object') fail(`${where}.options must be an object, got ${describe(options)}`);
  for (const key of CALLER_KEYS) if (key in options) fail(`${where}.options.${key} cannot travel to a worker (it is the caller's or the worker's)`);
  try {
    if (config === null || typeof config !== 'object' || 'strategy' in config || 'threads' in config) fail(`config must be a market without strategy or threads, got ${describe(config)}`);
    const p = prepare({ ...config, strategy: 'sym' });
    resolveTrainOptions(options, p.resolved.tick);
    const { strategy: _s, ...market } = jobConfig(p, where);
    void _s;
    // As JSON: hidden may be a typed array.
    const plain = { ...options, ...(options.hidden ? { hidden: Array.from(options.hidden) } : {}) } as TrainGridPointOptions;
    return { market, options: plain, resolved: p.resolved, steps: resolveTrainOptions(options, p.resolved.tick).steps };
  } catch (err) {
    if (err instanceof HawkgraphError) throw new HawkgraphError(err.code, `${where}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Trains a policy per grid point on the workers serving the queue; the results, in point order,
 * are what trainPolicy(point.config, point.options) returns locally, policy bytes and metrics bit
 * for bit, each with its market config and provenance.
 */
export async function trainPolicyGridDistributed(points: TrainGridPoint[], options: TrainGridOptions): Promise<{ runs: TrainGridRun[]; provenance: { package: { name: string; version: string }; configHash: string; gridId: string } }> {
  const o = readBatchOptions(options, GRID_KEYS, 'gridId');
  if (!Array.isArray(points) || points.length === 0) fail(`points must be a non-empty array of { config?, options? }, got ${describe(points)}`);
  const read = points.map(readPoint);
  const version = packageInfo().version;
  const hash = createHash('sha256').update(JSON.stringify({ version, kind: TRAIN_JOB, points: read.map((r) => [r.market, r.options]) })).digest('hex');
  const gridId = options.gridId === undefined ? `grid-${hash.slice(0, 32)}` : checkStudyId(options.gridId);
  const jobs: PlannedJob[] = read.map((r, index) => ({
    jobId: `${gridId}-t${index}`, name: TRAIN_JOB, label: `training run ${index}`, weight: r.steps,
    data: { v: 1, grid: gridId, index, config: r.market, options: r.options } satisfies TrainJobData,
  }));
  const onProgress = options.onProgress;
  const done = await runQueuedJobs<Omit<TrainPolicyResult, 'path'>>(
    jobs,
    { ...o, onProgress: onProgress && ((p) => onProgress({ runsDone: p.done, runs: p.jobs, stepsDone: p.weightDone, steps: p.weight, resumed: p.resumed, workers: p.workers })) },
    async (value, job) => decodeTrainResult(value, job.jobId),
  );
  return {
    runs: jobs.map((j, index) => {
      const d = done.get(j.jobId)!;
      const { threads: _t, strategy: _s, ...config } = read[index].resolved;
      void _t;
      void _s;
      return { ...d.value, config, provenance: { jobId: j.jobId, index, label: j.label, worker: d.worker, attempts: d.attempts, stalls: d.stalls, seconds: d.seconds, reused: d.reused } };
    }),
    provenance: { package: packageInfo(), configHash: hash, gridId },
  };
}

/** Runs a training job on a worker (its data checked as trainPolicy checks its arguments). */
export async function runTrainJob(data: unknown, threads: number, signal: AbortSignal, onProgress: (done: number, total: number) => void, worker: string) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: data must be an object, got ${describe(data)}`);
  const d = data as Partial<TrainJobData>;
  for (const key of Object.keys(d)) if (!['v', 'grid', 'index', 'config', 'options'].includes(key)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: unknown field ${JSON.stringify(key)}`);
  if (d.v !== 1) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: v must be 1, got ${describe(d.v)}`);
  const options = d.options ?? {};
  if (options === null || typeof options !== 'object') throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: options must be an object, got ${describe(options)}`);
  for (const key of CALLER_KEYS) if (key in options) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: options.${key} is not a job's to set`);
  const config = d.config ?? {};
  if (config === null || typeof config !== 'object' || 'threads' in config) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: config must be a market without threads, got ${describe(config)}`);
  const t0 = performance.now();
  // Training uses 1 or 2 threads (the twin critics side by side); the policy is the same on either.
  const r = await trainPolicy(config, { ...options, threads: Math.min(2, threads), signal, onProgress: (p) => onProgress(p.steps, p.totalSteps) });
  return {
    v: 1 as const, worker, seconds: (performance.now() - t0) / 1000, policy: encodeBytes(r.policy),
    metrics: Object.fromEntries(METRIC_KEYS.map((k) => [k, encodeBytes(new Uint8Array(r.metrics[k].buffer, r.metrics[k].byteOffset, r.metrics[k].byteLength))])),
    inputMean: r.inputMean, inputStd: r.inputStd, steps: r.steps, trainSeconds: r.seconds, options: r.options,
  };
}

function decodeTrainResult(value: unknown, jobId: string): { value: Omit<TrainPolicyResult, 'path'>; worker: string; seconds: number } {
  const v = value as Awaited<ReturnType<typeof runTrainJob>> | null;
  if (v === null || typeof v !== 'object' || v.v !== 1 || typeof v.policy !== 'string' || v.metrics === null || typeof v.metrics !== 'object') {
    throw new HawkgraphError('ERR_SHARD_FAILED', `job ${jobId}: its result is not a hawkgraph training result`);
  }
  const metrics = {} as TrainPolicyResult['metrics'];
  for (const k of METRIC_KEYS) {
    const bytes = typeof v.metrics[k] === 'string' ? decodeBytes(v.metrics[k]) : undefined;
    if (!bytes || bytes.byteLength % 8 !== 0) throw new HawkgraphError('ERR_SHARD_FAILED', `job ${jobId}: metric ${k} is not float64 data`);
    metrics[k] = new Float64Array(bytes.buffer);
  }
  return {
    value: { policy: decodeBytes(v.policy), metrics, inputMean: v.inputMean, inputStd: v.inputStd, steps: v.steps, seconds: v.trainSeconds, options: Object.freeze(v.options) },
    worker: v.worker,
    seconds: v.seconds,
  };
}

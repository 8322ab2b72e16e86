/**
 * A study worker: takes shards from the BullMQ queue and runs each natively off the JS thread (so
 * BullMQ keeps renewing the shard's lock while it runs), reporting progress. Every job payload is
 * checked first: a malformed or hostile job fails with a coded error, is not retried, and never
 * crashes the worker; a policy file is opened only inside the policyDir the worker was given.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { EventEmitter } from 'eventemitter3';
import type { ConnectionOptions, Job } from 'bullmq';

import { prepare } from '../backtest/config';
import { readPolicyFile } from '../backtest/policy-file';
import { runRawAsync } from '../backtest/run';
import type { Strategy } from '../backtest/types';
import { HawkgraphError, describe } from '../errors';
import { LIMITS } from '../native/layouts';
import { checkKeys, integerOption as int, optionError as fail } from '../options';
import { bullmq } from './bullmq';
import { type ShardResult, decodeBytes, packColumns } from './codec';
import { redisOf, resultKey } from './jobs';
import { readQueueOptions } from './queue';
import { SHARD_JOB, type ShardJobData } from './shards';
import { SIMULATE_JOB, runSimulateJob } from './simulate';
import { TRAIN_JOB, runTrainJob } from './train-grid';
import type { StudyWorker, WorkerOptions } from './types';

const DEFAULT_RESULT_TTL = 7 * 86400;
const WORKER_KEYS = new Set(['connection', 'queueName', 'prefix', 'concurrency', 'threads', 'policyDir', 'name', 'lockDuration', 'stalledInterval', 'maxStalledCount']);
const DATA_KEYS = new Set(['v', 'study', 'run', 'shard', 'firstPath', 'config']);

function jobError(message: string): never {
  throw new HawkgraphError('ERR_INVALID_ARGUMENT', `job: ${message}`);
}

// A policy path from a job, only when it lies in policyDir once symlinks are followed.
function policyFromPath(p: string, policyDir: string | undefined): Uint8Array {
  if (policyDir === undefined) throw new HawkgraphError('ERR_POLICY', `job: strategy.policy names a file (${describe(p)}) but this worker was started without a policy directory`);
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(policyDir, p));
  } catch (err) {
    throw new HawkgraphError('ERR_POLICY', `job: strategy.policy ${describe(p)}: ${(err as Error).message}`);
  }
  if (!real.startsWith(policyDir + path.sep)) throw new HawkgraphError('ERR_POLICY', `job: strategy.policy ${describe(p)} is outside the worker's policy directory`);
  return readPolicyFile(real);
}

function jobStrategy(s: unknown, policyDir: string | undefined): Strategy {
  if (s !== null && typeof s === 'object' && !Array.isArray(s) && 'policy' in s) {
    const p = (s as { policy: unknown }).policy;
    if (Object.keys(s).length !== 1) jobError('strategy must have one key');
    if (typeof p === 'string') return { policy: policyFromPath(p, policyDir) };
    if (p !== null && typeof p === 'object' && Object.keys(p).length === 1 && typeof (p as { bytes: unknown }).bytes === 'string') {
      return { policy: decodeBytes((p as { bytes: string }).bytes) };
    }
    jobError(`strategy.policy must be a file name in the policy directory or { bytes: base64 }, got ${describe(p)}`);
  }
  // 'sym', { lin }, { glft }: plain data, read by the backtest's own strategy reader.
  return s as Strategy;
}

/** Reads a job's data into the shard it asks for (ERR_INVALID_ARGUMENT / ERR_INVALID_OPTION / ERR_POLICY naming the field). */
export function readShardJob(name: string, data: unknown, threads: number | undefined, policyDir: string | undefined) {
  if (name !== SHARD_JOB) jobError(`unknown job name ${describe(name)} (expected ${SHARD_JOB}, ${SIMULATE_JOB} or ${TRAIN_JOB})`);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) jobError(`data must be an object, got ${describe(data)}`);
  const d = data as Partial<ShardJobData>;
  for (const key of Object.keys(d)) if (!DATA_KEYS.has(key)) jobError(`unknown field ${JSON.stringify(key)}`);
  if (d.v !== 1) jobError(`v must be 1, got ${describe(d.v)}`);
  const c = d.config;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) jobError(`config must be an object, got ${describe(c)}`);
  if ('threads' in c) jobError('config.threads is the worker\'s to choose');
  const p = prepare({ ...c, strategy: jobStrategy(c.strategy, policyDir), threads });
  const firstPath = int(d.firstPath, 'job firstPath', NaN, 0, LIMITS.maxPaths - p.resolved.paths);
  if (Number.isNaN(firstPath)) jobError('firstPath is required');
  return { ...p, native: { ...p.native, firstPath } };
}

class Worker extends EventEmitter implements StudyWorker {
  readonly name: string;
  private readonly worker: import('bullmq').Worker;
  private readonly running = new Set<AbortController>();

  constructor(options: WorkerOptions) {
    super();
    if (options === null || typeof options !== 'object') fail(`worker options must be an object, got ${describe(options)}`);
    checkKeys(options, WORKER_KEYS, 'worker option');
    const { connection, queueName, prefix } = readQueueOptions(options);
    const concurrency = int(options.concurrency, 'concurrency', 1, 1, 1024);
    const threads = options.threads === undefined ? undefined : int(options.threads, 'threads', 1, 1, LIMITS.maxSimulationThreads);
    let policyDir: string | undefined;
    if (options.policyDir !== undefined) {
      if (typeof options.policyDir !== 'string') fail(`policyDir must be a directory path, got ${describe(options.policyDir)}`);
      try {
        policyDir = fs.realpathSync(options.policyDir);
        if (!fs.statSync(policyDir).isDirectory()) throw new Error('not a directory');
      } catch (err) {
        fail(`policyDir ${describe(options.policyDir)}: ${(err as Error).message}`);
      }
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) fail(`name must be a non-empty string, got ${describe(options.name)}`);
    this.name = options.name ?? `${os.hostname()}:${process.pid}`;
    const lockDuration = int(options.lockDuration, 'lockDuration', 10_000, 100, 3_600_000);
    const stalledInterval = int(options.stalledInterval, 'stalledInterval', 5_000, 100, 3_600_000);
    const maxStalledCount = int(options.maxStalledCount, 'maxStalledCount', 3, 0, 1000);
    const { Worker: BullWorker, UnrecoverableError } = bullmq();
    // BullMQ's name for this process (its Redis connection is named after it), told in every
    // progress with the job's lock token, so that a coordinator sees at once when this process is
    // gone and can give its job back to the queue (orphans.ts).
    // (Redis refuses connection names with spaces or control characters.)
    const owner = `${this.name.replace(/[^\x21-\x7e]/g, '_')}#${randomBytes(8).toString('hex')}`;
    const processor = async (job: Job, token?: string): Promise<ShardResult | Awaited<ReturnType<typeof runTrainJob>> | Awaited<ReturnType<typeof runSimulateJob>>> => {
      const progress = (done: number, total: number) => void job.updateProgress({ done, total, worker: this.name, owner, token }).catch(() => {});
      if (job.name === TRAIN_JOB) return this.runJob(progress, UnrecoverableError, (signal) => runTrainJob(job.data, threads ?? 1, signal, progress, this.name));
      if (job.name === SIMULATE_JOB) return this.runJob(progress, UnrecoverableError, (signal) => runSimulateJob(job.data, threads, signal, progress, this.name));
      let p;
      try {
        p = readShardJob(job.name, job.data, threads, policyDir);
      } catch (err) {
        // Bad input stays bad: fail the shard now, with its code, instead of retrying it.
        if (err instanceof HawkgraphError) throw new UnrecoverableError(`${err.code}: ${err.message}`);
        throw err;
      }
      const ac = new AbortController();
      this.running.add(ac);
      const t0 = performance.now();
      try {
        const paths = p.resolved.paths;
        // Who runs the shard is known from its start (the native progress comes every 100 ms).
        progress(0, paths);
        const raw = await runRawAsync(p, { signal: ac.signal, onProgress: (q) => progress(q.pathsDone, paths) });
        const seconds = (performance.now() - t0) / 1000;
        // The columns wait in Redis as long as the job's result would (removeOnComplete.age).
        const keep = job.opts.removeOnComplete as { age?: unknown } | undefined;
        const ttl = typeof keep === 'object' && keep !== null && typeof keep.age === 'number' && keep.age > 0 ? Math.ceil(keep.age) : DEFAULT_RESULT_TTL;
        const key = resultKey(this.worker, job.id!);
        const columns = packColumns(raw);
        await (await redisOf(this.worker)).set(key, columns, 'EX', ttl);
        return { v: 2, worker: this.name, seconds, key, bytes: columns.length };
      } finally {
        this.running.delete(ac);
      }
    };
    this.worker = new BullWorker(queueName, processor, {
      connection: connection as ConnectionOptions, ...(prefix === undefined ? {} : { prefix }), concurrency, name: owner, lockDuration, stalledInterval, maxStalledCount, autorun: true,
    });
    this.worker.on('completed', (job) => this.emit('completed', job.id));
    this.worker.on('failed', (job, err) => this.emit('failed', job?.id, err));
    // Connection trouble is reported, never thrown: BullMQ reconnects.
    this.worker.on('error', (err) => this.emit('error', err));
  }

  // A training job of a grid (train-grid.ts) or a simulation shard (simulate.ts): bad data fails it at once, as for shards.
  private async runJob<T>(progress: (done: number, total: number) => void, Unrecoverable: new (message: string) => Error, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    this.running.add(ac);
    progress(0, 0);
    try {
      return await run(ac.signal);
    } catch (err) {
      if (err instanceof HawkgraphError && err.code !== 'ERR_ABORTED') throw new Unrecoverable(`${err.code}: ${err.message}`);
      throw err;
    } finally {
      this.running.delete(ac);
    }
  }

  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  async close(force = false): Promise<void> {
    if (force) for (const ac of this.running) ac.abort(new HawkgraphError('ERR_ABORTED', 'the worker was closed'));
    await this.worker.close(force);
  }
}

/**
 * Starts a worker taking study shards from the queue (`npx hawkgraph worker --redis URL` runs
 * one). Many workers on many machines may serve one queue.
 */
export function createWorker(options: WorkerOptions): StudyWorker {
  return new Worker(options);
}

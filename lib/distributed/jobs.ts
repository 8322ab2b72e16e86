/**
 * Following a batch of jobs through BullMQ, for every kind of distributed work (study shards,
 * training runs): queues those Redis does not already hold (a job id is queued once: a restarted
 * coordinator reuses finished jobs and retries failed ones), follows them through QueueEvents
 * with a periodic sweep for events missed while disconnected, takes each finished job once, puts
 * the jobs of dead workers back in the queue (orphans.ts), and on abort removes the jobs not yet
 * running.
 */
import type { ConnectionOptions, Job, Queue } from 'bullmq';

import { HawkgraphError } from '../errors';
import { bullmq } from './bullmq';
import { ORPHAN_CHECK_MS, type RunningJob, orphanWatch } from './orphans';
import type { readQueueOptions } from './queue';

const SWEEP_MS = 2000;

/** A job to run: its id, BullMQ name and data, a label for errors, and its weight in progress (paths, steps). */
export interface PlannedJob {
  jobId: string;
  name: string;
  label: string;
  weight: number;
  data: object;
}

export interface FinishedJob<T> {
  value: T;
  worker: string;
  seconds: number;
  /** Attempts BullMQ started (a stalled attempt recovered after a killed worker counts). */
  attempts: number;
  /** Times the job was found stalled (its worker died or blocked) and handed to another (BullMQ's stalled check, or orphans.ts). */
  stalls: number;
  /** Already finished in Redis when this coordinator started. */
  reused: boolean;
}

export interface JobsProgress {
  done: number;
  jobs: number;
  weightDone: number;
  weight: number;
  resumed: number;
  workers: Record<string, number>;
}

export interface JobRunOptions {
  queue: ReturnType<typeof readQueueOptions>;
  attempts: number;
  ttl: number;
  keepResults: boolean;
  signal?: AbortSignal;
  onProgress?: (p: JobsProgress) => void;
  /** What the batch is called in errors ('studyId', 'gridId'). */
  idField: string;
}

/** A finished job's return value decoded (throws ERR_SHARD_FAILED when it does not fit the job; undefined when its result is gone from Redis). */
export type Decode<T> = (
  value: unknown, job: PlannedJob, redis: RedisClient, resultKey: string,
) => Promise<{ value: T; worker: string; seconds: number } | undefined>;

/** What hawkgraph does with BullMQ's ioredis connection besides the queue: one binary value per job. */
export interface RedisClient {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, mode: 'EX', seconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
}

/** BullMQ's connection of a queue or worker (ioredis, whose binary calls its own types leave out). */
export async function redisOf(q: { client: Promise<unknown> }): Promise<RedisClient> {
  return (await q.client) as RedisClient;
}

/** Where a job's binary result lies (beside the queue's own keys, under its prefix). */
export function resultKey(queue: { toKey: (type: string) => string }, jobId: string): string {
  return queue.toKey(`hawkgraph-result:${jobId}`);
}

export async function runQueuedJobs<T>(jobs: PlannedJob[], o: JobRunOptions, decode: Decode<T>): Promise<Map<string, FinishedJob<T>>> {
  const { Queue, QueueEvents } = bullmq();
  const base = { connection: o.queue.connection as ConnectionOptions, ...(o.queue.prefix === undefined ? {} : { prefix: o.queue.prefix }) };
  const queue = new Queue(o.queue.queueName, base);
  const events = new QueueEvents(o.queue.queueName, base);
  const byId = new Map(jobs.map((j) => [j.jobId, j]));
  const done = new Map<string, FinishedJob<T>>();
  const running = new Map<string, RunningJob>();
  const orphans = orphanWatch(queue, running);
  let resumed = 0;
  const weight = jobs.reduce((n, j) => n + j.weight, 0);
  const { signal, onProgress } = o;

  const report = () => {
    if (!onProgress) return;
    const workers: Record<string, number> = {};
    let weightDone = 0;
    const add = (worker: string, w: number) => {
      workers[worker] = (workers[worker] ?? 0) + w;
      weightDone += w;
    };
    for (const [id, d] of done) add(d.worker, byId.get(id)!.weight);
    for (const r of running.values()) add(r.worker, r.done);
    onProgress({ done: done.size, jobs: jobs.length, weightDone, weight, resumed, workers });
  };

  let settle!: (err?: unknown) => void;
  let over = false;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (err) => {
      over = true;
      if (err === undefined) resolve();
      else reject(err);
    };
  });
  // Settled while queueing (an abort, a failed job) is awaited below; never an unhandled rejection meanwhile.
  finished.catch(() => {});
  const fetch = (j: PlannedJob) => queue.getJob(j.jobId) as Promise<Job | undefined>;

  // A job as Redis holds it: taken once (a second completion of the same id is ignored). Its
  // state first (cheap), the job with its result only once it has finished.
  const inspect = async (j: PlannedJob, reused: boolean) => {
    if (over || done.has(j.jobId)) return;
    const state = await queue.getJobState(j.jobId);
    // Gone before this coordinator took it (another coordinator of the batch took and removed
    // it, or it expired): queued again under the same id.
    if (state === 'unknown') return void (await addJobs(queue, [j], o));
    if (state !== 'completed' && state !== 'failed') return;
    const job = await fetch(j);
    if (!job || over || done.has(j.jobId)) return;
    if (state === 'completed') {
      const r = await decode(job.returnvalue, j, await redisOf(queue), resultKey(queue, j.jobId));
      if (over || done.has(j.jobId)) return;
      // Its result went (taken and removed by another coordinator of the batch, or expired): run it again.
      if (r === undefined) {
        await queue.remove(j.jobId);
        return void (await addJobs(queue, [j], o));
      }
      done.set(j.jobId, {
        ...r, attempts: job.attemptsStarted ?? job.attemptsMade, stalls: (job.stalledCounter ?? 0) + (orphans.released.get(j.jobId) ?? 0), reused,
      });
      if (reused) resumed++;
      running.delete(j.jobId);
      report();
      if (done.size === jobs.length) settle();
    } else {
      settle(new HawkgraphError('ERR_SHARD_FAILED', `job ${j.jobId} (${j.label}) failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`));
    }
  };
  const onEvent = (jobId: string) => {
    const j = byId.get(jobId);
    if (j && !done.has(jobId)) inspect(j, false).catch(settle);
  };
  events.on('completed', ({ jobId }) => onEvent(jobId));
  events.on('failed', ({ jobId }) => onEvent(jobId));
  events.on('progress', ({ jobId, data }) => {
    if (!byId.has(jobId) || done.has(jobId) || data === null || typeof data !== 'object') return;
    const d = data as { done?: unknown; worker?: unknown; owner?: unknown; token?: unknown };
    if (typeof d.done !== 'number' || typeof d.worker !== 'string') return;
    const owner = typeof d.owner === 'string' && typeof d.token === 'string' ? { owner: d.owner, token: d.token } : {};
    const was = running.get(jobId);
    running.set(jobId, { worker: d.worker, done: d.done, ...owner, missing: was?.owner === d.owner ? was?.missing : 0 });
    report();
  });
  const onAbort = () => settle(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let sweeper: NodeJS.Timeout | undefined;
  let watcher: NodeJS.Timeout | undefined;
  try {
    await Promise.all([events.waitUntilReady(), queue.waitUntilReady()]);
    await enqueue(queue, jobs, o, inspect);
    report();
    if (done.size === jobs.length) settle();
    // Events missed while a connection dropped are caught by a sweep of the jobs still pending.
    const sweep = () => {
      const pending = jobs.filter((j) => !done.has(j.jobId));
      Promise.all(pending.map((j) => inspect(j, false)))
        .catch(settle)
        .finally(() => {
          if (!over) sweeper = setTimeout(sweep, SWEEP_MS);
        });
    };
    sweeper = setTimeout(sweep, SWEEP_MS);
    const watch = () => {
      orphans.check()
        .catch(() => {})
        .finally(() => {
          if (!over) watcher = setTimeout(watch, ORPHAN_CHECK_MS);
        });
    };
    watcher = setTimeout(watch, ORPHAN_CHECK_MS);
    await finished;
    if (!o.keepResults) {
      const redis = await redisOf(queue);
      await Promise.all(jobs.map((j) => Promise.all([queue.remove(j.jobId), redis.del(resultKey(queue, j.jobId))])));
    }
    return done;
  } catch (err) {
    // After an abort: the jobs not yet done leave the queue (one running keeps its lock and
    // finishes; its result expires after the ttl).
    if (signal?.aborted) await Promise.allSettled(jobs.filter((j) => !done.has(j.jobId)).map((j) => queue.remove(j.jobId)));
    throw err;
  } finally {
    clearTimeout(sweeper);
    clearTimeout(watcher);
    signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled([events.close(), queue.close()]);
  }
}

// Queues the jobs Redis does not hold; reuses finished ones; retries failed ones (a restart
// after a fault). A job id holding other work (a reused batch id) is refused.
async function enqueue(queue: Queue, jobs: PlannedJob[], o: JobRunOptions, inspect: (j: PlannedJob, reused: boolean) => Promise<void>): Promise<void> {
  const fresh: PlannedJob[] = [];
  const states: string[] = [];
  for (let i = 0; i < jobs.length; i += 100) states.push(...(await Promise.all(jobs.slice(i, i + 100).map((j) => queue.getJobState(j.jobId)))));
  for (const [i, j] of jobs.entries()) {
    if (states[i] === 'unknown') {
      fresh.push(j);
      continue;
    }
    const job = (await queue.getJob(j.jobId)) as Job | undefined;
    if (!job) {
      fresh.push(j);
      continue;
    }
    if (job.name !== j.name || JSON.stringify(job.data) !== JSON.stringify(j.data)) {
      throw new HawkgraphError('ERR_INVALID_OPTION', `${o.idField}: Redis already holds other work under this id (job ${j.jobId} differs); pick another ${o.idField}`);
    }
    if ((await job.getState()) === 'failed') await job.retry('failed');
    else await inspect(j, true);
  }
  await addJobs(queue, fresh, o);
}

// Adding a job id Redis already holds is a no-op (BullMQ keeps the first), so no job is queued twice.
async function addJobs(queue: Queue, jobs: PlannedJob[], o: JobRunOptions): Promise<void> {
  const opts = {
    attempts: o.attempts, backoff: { type: 'fixed', delay: 1000 },
    removeOnComplete: { age: o.ttl }, removeOnFail: { age: o.ttl },
  };
  for (let i = 0; i < jobs.length; i += 100) {
    await queue.addBulk(jobs.slice(i, i + 100).map((j) => ({ name: j.name, data: j.data, opts: { ...opts, jobId: j.jobId } })));
  }
}

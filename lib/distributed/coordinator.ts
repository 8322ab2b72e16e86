/**
 * The coordinator of a distributed study: plans the shards, enqueues those Redis does not
 * already hold (job id = study id + run + shard, so a shard is never queued twice and a restarted
 * coordinator reuses finished ones), follows them through QueueEvents (with a periodic sweep for
 * events missed while disconnected), then merges. Abort removes the shards not yet running.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Job, Queue } from 'bullmq';

import { studyPlan, studyRuns } from '../backtest/study';
import type { StudyConfig } from '../backtest/types';
import { HawkgraphError, describe } from '../errors';
import type { NativeBacktestResult } from '../native';
import { LIMITS } from '../native/layouts';
import { integerOption as int, optionError as fail } from '../options';
import { bullmq } from './bullmq';
import { decodeResult } from './codec';
import { mergeStudy } from './merge';
import { readQueueOptions } from './queue';
import { SHARD_JOB, planShards, type PlannedShard } from './shards';
import type { DistributedProgress, DistributedStudyResult, ShardProvenance, StudyDistributedOptions } from './types';

const OPTION_KEYS = new Set(['connection', 'queueName', 'prefix', 'shardPaths', 'studyId', 'signal', 'onProgress', 'attempts', 'keepResults', 'resultTtlSeconds']);
const SWEEP_MS = 2000;

let pkg: { name: string; version: string } | undefined;
function packageInfo(): { name: string; version: string } {
  pkg ??= (({ name, version }) => ({ name, version }))(JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')));
  return pkg!;
}

function readOptions(o: StudyDistributedOptions) {
  if (o === null || typeof o !== 'object') fail(`options must be an object { connection, queueName?, shardPaths?, ... }, got ${describe(o)}`);
  for (const key of Object.keys(o)) if (!OPTION_KEYS.has(key)) fail(`unknown option ${JSON.stringify(key)} (expected one of ${[...OPTION_KEYS].join(', ')})`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail(`signal must be an AbortSignal, got ${describe(o.signal)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') fail(`onProgress must be a function, got ${describe(o.onProgress)}`);
  if (o.keepResults !== undefined && typeof o.keepResults !== 'boolean') fail(`keepResults must be a boolean, got ${describe(o.keepResults)}`);
  return {
    ...readQueueOptions(o),
    shardPaths: int(o.shardPaths, 'shardPaths', 250, 1, LIMITS.maxPaths),
    attempts: int(o.attempts, 'attempts', 3, 1, 100),
    ttl: int(o.resultTtlSeconds, 'resultTtlSeconds', 7 * 86400, 1, 365 * 86400),
  };
}

interface ShardDone {
  raw: NativeBacktestResult;
  provenance: ShardProvenance;
}

/**
 * Runs a study on the workers serving `queueName` (createWorker, `npx hawkgraph worker`), each
 * run split into shards of `shardPaths` paths, and returns what runStudy(config) returns, bit
 * for bit, with the provenance of every shard. Callback strategies cannot be distributed.
 */
export async function runStudyDistributed(config: StudyConfig, options: StudyDistributedOptions): Promise<DistributedStudyResult> {
  const t0 = performance.now();
  const o = readOptions(options);
  const { signal, onProgress } = options;
  if (signal?.aborted) throw signal.reason;
  const plan = studyPlan(config);
  const runs = studyRuns(plan);
  const version = packageInfo().version;
  const { hash, studyId, shards } = planShards(runs, o.shardPaths, version, options.studyId);
  const { Queue, QueueEvents } = bullmq();
  const base = { connection: o.connection, ...(o.prefix === undefined ? {} : { prefix: o.prefix }) };
  const queue = new Queue(o.queueName, base);
  const events = new QueueEvents(o.queueName, base);
  const byId = new Map(shards.map((s) => [s.jobId, s]));
  const done = new Map<string, ShardDone>();
  const running = new Map<string, { worker: string; pathsDone: number }>();
  let resumed = 0;
  const totalPaths = shards.reduce((n, s) => n + s.data.config.paths, 0);

  const report = () => {
    if (!onProgress) return;
    const workers: Record<string, number> = {};
    let pathsDone = 0;
    for (const d of done.values()) {
      workers[d.provenance.worker] = (workers[d.provenance.worker] ?? 0) + d.provenance.paths;
      pathsDone += d.provenance.paths;
    }
    for (const r of running.values()) {
      workers[r.worker] = (workers[r.worker] ?? 0) + r.pathsDone;
      pathsDone += r.pathsDone;
    }
    const p: DistributedProgress = { shardsDone: done.size, shards: shards.length, pathsDone, paths: totalPaths, resumed, workers };
    onProgress(p);
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
  const check = () => {
    if (done.size === shards.length) settle();
  };

  // A shard's job as Redis holds it: merged once (a second completion of the same id is ignored).
  const inspect = async (s: PlannedShard, job: Job | undefined, reused: boolean) => {
    if (over || done.has(s.jobId)) return;
    // Gone before this coordinator merged it (another coordinator of the same study merged and
    // removed it, or it expired): queued again under the same id.
    if (!job) return void (await addShards(queue, [s], o));
    const state = await job.getState();
    // The job was read before its state: read again when it finished in between.
    if (state === 'completed' || state === 'failed') job = (await fetchShard(s)) ?? job;
    if (state === 'completed') {
      if (done.has(s.jobId)) return;
      const r = decodeResult(job.returnvalue, s.data.config.paths, runs[s.run].p.resolved.timeGrid, s.jobId);
      done.set(s.jobId, {
        raw: r.raw,
        provenance: {
          jobId: s.jobId, run: s.run, label: s.label, firstPath: s.data.firstPath, paths: s.data.config.paths, worker: r.worker,
          attempts: job.attemptsStarted ?? job.attemptsMade, stalls: job.stalledCounter ?? 0, seconds: r.seconds, reused,
        },
      });
      if (reused) resumed++;
      running.delete(s.jobId);
      report();
      check();
    } else if (state === 'failed') {
      settle(new HawkgraphError('ERR_SHARD_FAILED', `shard ${s.jobId} (run ${JSON.stringify(s.label)}, paths ${s.data.firstPath} to ${s.data.firstPath + s.data.config.paths - 1}) failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`));
    }
  };
  const fetchShard = (s: PlannedShard) => queue.getJob(s.jobId) as Promise<Job | undefined>;
  const onEvent = (jobId: string) => {
    const s = byId.get(jobId);
    if (s && !done.has(jobId)) fetchShard(s).then((job) => inspect(s, job, false)).catch(settle);
  };
  events.on('completed', ({ jobId }) => onEvent(jobId));
  events.on('failed', ({ jobId }) => onEvent(jobId));
  events.on('progress', ({ jobId, data }) => {
    if (!byId.has(jobId) || done.has(jobId) || data === null || typeof data !== 'object') return;
    const d = data as { pathsDone?: unknown; worker?: unknown };
    if (typeof d.pathsDone === 'number' && typeof d.worker === 'string') running.set(jobId, { worker: d.worker, pathsDone: d.pathsDone });
    report();
  });
  const onAbort = () => settle(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let sweeper: NodeJS.Timeout | undefined;
  try {
    await Promise.all([events.waitUntilReady(), queue.waitUntilReady()]);
    await enqueue(queue, shards, o, inspect, fetchShard);
    report();
    check();
    // Events missed while a connection dropped are caught by a sweep of the shards still pending.
    const sweep = () => {
      const pending = shards.filter((s) => !done.has(s.jobId));
      Promise.all(pending.map((s) => fetchShard(s).then((job) => inspect(s, job, false))))
        .catch(settle)
        .finally(() => {
          if (done.size < shards.length) sweeper = setTimeout(sweep, SWEEP_MS);
        });
    };
    sweeper = setTimeout(sweep, SWEEP_MS);
    await finished;
    const raws = new Map([...done].map(([id, d]) => [id, d.raw]));
    const study = mergeStudy(plan, runs, shards, raws);
    if (!options.keepResults) await Promise.all(shards.map((s) => queue.remove(s.jobId)));
    return {
      ...study,
      seconds: (performance.now() - t0) / 1000,
      provenance: {
        package: packageInfo(), configHash: hash, studyId, queueName: o.queueName, seed: runs[0].p.resolved.seed, shardPaths: o.shardPaths,
        shards: shards.map((s) => done.get(s.jobId)!.provenance),
      },
    };
  } catch (err) {
    if (signal?.aborted) await removePending(queue, shards, done);
    throw err;
  } finally {
    clearTimeout(sweeper);
    signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled([events.close(), queue.close()]);
  }
}

// Queues the shards Redis does not hold; reuses finished ones; retries failed ones (a restart
// after a fault). A job id holding another study's shard (a reused studyId) is refused.
async function enqueue(
  queue: Queue, shards: PlannedShard[], o: ReturnType<typeof readOptions>,
  inspect: (s: PlannedShard, job: Job | undefined, reused: boolean) => Promise<void>, fetchShard: (s: PlannedShard) => Promise<Job | undefined>,
): Promise<void> {
  const fresh: PlannedShard[] = [];
  const found: (Job | undefined)[] = [];
  for (let i = 0; i < shards.length; i += 100) found.push(...(await Promise.all(shards.slice(i, i + 100).map(fetchShard))));
  for (const [i, s] of shards.entries()) {
    const job = found[i];
    if (!job) {
      fresh.push(s);
      continue;
    }
    if (JSON.stringify(job.data) !== JSON.stringify(s.data)) {
      throw new HawkgraphError('ERR_INVALID_OPTION', `studyId ${JSON.stringify(s.data.study)}: Redis already holds a different study under this id (shard ${s.jobId} differs); pick another studyId`);
    }
    if ((await job.getState()) === 'failed') await job.retry('failed');
    else await inspect(s, job, true);
  }
  await addShards(queue, fresh, o);
}

// Adding a job id Redis already holds is a no-op (BullMQ keeps the first), so no shard is queued twice.
async function addShards(queue: Queue, shards: PlannedShard[], o: ReturnType<typeof readOptions>): Promise<void> {
  const opts = {
    attempts: o.attempts, backoff: { type: 'fixed', delay: 1000 },
    removeOnComplete: { age: o.ttl }, removeOnFail: { age: o.ttl },
  };
  for (let i = 0; i < shards.length; i += 100) {
    await queue.addBulk(shards.slice(i, i + 100).map((s) => ({ name: SHARD_JOB, data: s.data, opts: { ...opts, jobId: s.jobId } })));
  }
}

// After an abort: the study's shards not yet done leave the queue (one running keeps its lock
// and finishes; its result expires with resultTtlSeconds).
async function removePending(queue: Queue, shards: PlannedShard[], done: Map<string, unknown>): Promise<void> {
  await Promise.allSettled(shards.filter((s) => !done.has(s.jobId)).map((s) => queue.remove(s.jobId)));
}

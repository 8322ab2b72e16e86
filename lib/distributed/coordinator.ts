/**
 * The coordinator of a distributed study: plans the shards (shards.ts), runs them on the queue's
 * workers (jobs.ts), merges them into runStudy's result (merge.ts), with every shard's provenance.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { studyPlan, studyRuns } from '../backtest/study';
import type { StudyConfig } from '../backtest/types';
import { HawkgraphError, describe } from '../errors';
import type { NativeBacktestResult } from '../native';
import { LIMITS } from '../native/layouts';
import { integerOption as int, optionError as fail } from '../options';
import { readShardResult, unpackColumns } from './codec';
import { type JobRunOptions, type PlannedJob, runQueuedJobs } from './jobs';
import { mergeStudy } from './merge';
import { readQueueOptions } from './queue';
import { SHARD_JOB, planShards } from './shards';
import type { DistributedStudyResult, StudyDistributedOptions } from './types';

const BATCH_KEYS = ['connection', 'queueName', 'prefix', 'signal', 'onProgress', 'attempts', 'keepResults', 'resultTtlSeconds'];
const STUDY_KEYS = new Set([...BATCH_KEYS, 'shardPaths', 'studyId']);

let pkg: { name: string; version: string } | undefined;
export function packageInfo(): { name: string; version: string } {
  pkg ??= (({ name, version }) => ({ name, version }))(JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')));
  return pkg!;
}

type BatchOptions = Pick<StudyDistributedOptions, 'connection' | 'queueName' | 'prefix' | 'signal' | 'attempts' | 'keepResults' | 'resultTtlSeconds'> & { onProgress?: unknown };

/** The options every distributed batch shares (ERR_INVALID_OPTION naming the field). */
export function readBatchOptions(o: BatchOptions, keys: ReadonlySet<string>, idField: string): Omit<JobRunOptions, 'onProgress'> {
  if (o === null || typeof o !== 'object') fail(`options must be an object { connection, queueName?, ... }, got ${describe(o)}`);
  for (const key of Object.keys(o)) if (!keys.has(key)) fail(`unknown option ${JSON.stringify(key)} (expected one of ${[...keys].join(', ')})`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail(`signal must be an AbortSignal, got ${describe(o.signal)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') fail(`onProgress must be a function, got ${describe(o.onProgress)}`);
  if (o.keepResults !== undefined && typeof o.keepResults !== 'boolean') fail(`keepResults must be a boolean, got ${describe(o.keepResults)}`);
  return {
    queue: readQueueOptions(o),
    attempts: int(o.attempts, 'attempts', 3, 1, 100),
    ttl: int(o.resultTtlSeconds, 'resultTtlSeconds', 7 * 86400, 1, 365 * 86400),
    keepResults: o.keepResults === true,
    signal: o.signal,
    idField,
  };
}

/**
 * Runs a study on the workers serving `queueName` (createWorker, `npx hawkgraph worker`), each
 * run split into shards of `shardPaths` paths, and returns what runStudy(config) returns, bit
 * for bit, with the provenance of every shard. Callback strategies cannot be distributed.
 */
export async function runStudyDistributed(config: StudyConfig, options: StudyDistributedOptions): Promise<DistributedStudyResult> {
  const t0 = performance.now();
  const o = readBatchOptions(options, STUDY_KEYS, 'studyId');
  const shardPaths = int(options.shardPaths, 'shardPaths', 250, 1, LIMITS.maxPaths);
  if (o.signal?.aborted) throw o.signal.reason;
  const plan = studyPlan(config);
  const runs = studyRuns(plan);
  const { hash, studyId, shards } = planShards(runs, shardPaths, packageInfo().version, options.studyId);
  const jobs: PlannedJob[] = shards.map((s) => ({
    jobId: s.jobId, name: SHARD_JOB, data: s.data, weight: s.data.config.paths,
    label: `run ${JSON.stringify(s.label)}, paths ${s.data.firstPath} to ${s.data.firstPath + s.data.config.paths - 1}`,
  }));
  const byJob = new Map(jobs.map((j, i) => [j, shards[i]]));
  const onProgress = options.onProgress;
  const done = await runQueuedJobs<NativeBacktestResult>(
    jobs,
    {
      ...o,
      onProgress: onProgress && ((p) => onProgress({ shardsDone: p.done, shards: p.jobs, pathsDone: p.weightDone, paths: p.weight, resumed: p.resumed, workers: p.workers })),
    },
    async (value, job, redis, key) => {
      const s = byJob.get(job)!;
      const r = readShardResult(value, s.jobId);
      if (r.key !== key) throw new HawkgraphError('ERR_SHARD_FAILED', `shard ${s.jobId}: its result names the key ${JSON.stringify(r.key)}, not ${JSON.stringify(key)}`);
      const columns = await redis.getBuffer(key);
      if (columns === null) return undefined;
      const raw = unpackColumns(columns, s.data.config.paths, runs[s.run].p.resolved.timeGrid, s.jobId);
      return { value: raw, worker: r.worker, seconds: r.seconds };
    },
  );
  const study = mergeStudy(plan, runs, shards, new Map([...done].map(([id, d]) => [id, d.value])));
  return {
    ...study,
    seconds: (performance.now() - t0) / 1000,
    provenance: {
      package: packageInfo(), configHash: hash, studyId, queueName: o.queue.queueName, seed: runs[0].p.resolved.seed, shardPaths,
      shards: shards.map((s) => {
        const d = done.get(s.jobId)!;
        return {
          jobId: s.jobId, run: s.run, label: s.label, firstPath: s.data.firstPath, paths: s.data.config.paths,
          worker: d.worker, attempts: d.attempts, stalls: d.stalls, seconds: d.seconds, reused: d.reused,
        };
      }),
    },
  };
}

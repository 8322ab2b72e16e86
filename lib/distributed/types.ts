/**
 * The distributed study's public shapes: the coordinator's and the worker's options, progress,
 * provenance. Types only; the BullMQ connection options are BullMQ's own, passed through unchanged.
 */
import type { StudyResult } from '../backtest/types';

/**
 * ioredis options ({ host, port, username, password, db, tls, ... }) or an ioredis instance,
 * handed to BullMQ unchanged (typed loosely so that hawkgraph's types do not need bullmq installed).
 */
export type RedisConnection = object;

export interface DistributedQueueOptions {
  /** Redis connection as BullMQ takes it (ioredis options: host, port, password, tls, db..., or an ioredis instance), passed through unchanged. */
  connection: RedisConnection;
  /** BullMQ queue name. Default 'hawkgraph-study'. */
  queueName?: string;
  /** BullMQ key prefix (one per deployment sharing a Redis). Default BullMQ's ('bull'). */
  prefix?: string;
}

export interface DistributedProgress {
  shardsDone: number;
  shards: number;
  pathsDone: number;
  paths: number;
  /** Shards found already done in Redis when the study started (a resumed study). */
  resumed: number;
  /** Paths done per worker name (finished shards, and the reported progress of running ones). */
  workers: Record<string, number>;
}

export interface StudyDistributedOptions extends DistributedQueueOptions {
  /** Paths per shard (the last shard of a run may be shorter). Default 250. */
  shardPaths?: number;
  /** The study's id in Redis (letters, digits, '_', '.', '-'). Default: the study's content hash, so the same study resumes. */
  studyId?: string;
  /** Aborting removes the study's shards not yet running; the promise rejects with signal.reason. */
  signal?: AbortSignal;
  onProgress?: (p: DistributedProgress) => void;
  /** Attempts per shard on errors a retry may cure (a stalled worker is recovered apart from these). Default 3. */
  attempts?: number;
  /** Keep the shards' results in Redis after the merge. Default false (they are removed). */
  keepResults?: boolean;
  /** Results not merged (an abandoned study) are dropped after this many seconds. Default 7 days. */
  resultTtlSeconds?: number;
}

/** One shard of a distributed study: which paths of which run, where it ran, how many tries. */
export interface ShardProvenance {
  jobId: string;
  run: number;
  label: string;
  firstPath: number;
  paths: number;
  /** The worker that completed it (its name). */
  worker: string;
  /** Attempts BullMQ made (a stalled attempt recovered after a killed worker counts). */
  attempts: number;
  /** Times the shard was found stalled (its worker died or blocked) and handed to another, by BullMQ's stalled check or by the coordinator when the worker's connection was gone. */
  stalls: number;
  /** Seconds its worker spent on it. */
  seconds: number;
  /** Whether the result was already in Redis when this coordinator started (resumed). */
  reused: boolean;
}

export interface StudyProvenance {
  package: { name: string; version: string };
  /** sha256 of the study's runs (every config as the workers run it) and its shard size. */
  configHash: string;
  studyId: string;
  queueName: string;
  seed: number;
  shardPaths: number;
  shards: ShardProvenance[];
}

export interface DistributedStudyResult extends StudyResult {
  provenance: StudyProvenance;
}

export interface WorkerOptions extends DistributedQueueOptions {
  /** Shards run at once. Default 1 (each shard already uses `threads` native threads). */
  concurrency?: number;
  /** Native threads per shard. Default: one per core. */
  threads?: number;
  /** The only directory a job may name a policy file in (resolved, symlinks followed). Default: none (policies only as bytes in the job). */
  policyDir?: string;
  /** Worker name in provenance. Default host:pid. */
  name?: string;
  /** ms a shard's lock lasts unless renewed (renewed every lockDuration / 2 while it runs). A killed worker process's shard goes back to the queue within about 50 ms (its Redis connection closes; orphans.ts); a lost machine's after about lockDuration + stalledInterval. Default 10000. */
  lockDuration?: number;
  /** ms between this worker's checks for stalled shards of dead workers. Default 5000. */
  stalledInterval?: number;
  /** Times a shard may stall (its worker killed) and still be retried. Default 3. */
  maxStalledCount?: number;
}

export interface StudyWorker {
  readonly name: string;
  /** Resolves once connected and taking shards. */
  ready(): Promise<void>;
  /** Stops taking shards, lets running ones finish (or aborts them with force) and disconnects. */
  close(force?: boolean): Promise<void>;
  on(event: 'completed', fn: (jobId: string) => void): this;
  on(event: 'failed', fn: (jobId: string, err: Error) => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
}

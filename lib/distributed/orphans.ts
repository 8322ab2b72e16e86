/**
 * Shards of dead workers back in the queue within about 50 ms instead of BullMQ's lockDuration +
 * stalledInterval. A worker process that dies (SIGKILL, a crash, the OOM killer) loses its Redis
 * connections at once, long before its shard's lock expires: the coordinator lists the queue's
 * worker connections (CLIENT LIST, through BullMQ) and moves a running job whose worker has been
 * gone for ORPHAN_CHECKS checks back to the queue with that worker's own lock token, which Redis
 * refuses when anyone else holds the job by then. A worker that is only slow, however long its
 * shard, keeps its connection and is never touched; a lost machine (no connection closed) still
 * waits for its lock to expire. Each job is released so at most once: a job that kills its workers
 * again is left to BullMQ's stalled check, which fails it after maxStalledCount stalls.
 */
import type { Queue } from 'bullmq';

/**
 * A killed worker costs its lost work plus this detection delay whenever nothing else is left to
 * run (the end of a study), so the delay must stay well under a shard's time (shards of a few
 * tenths of a second amortise the queue): one CLIENT LIST every 25 ms while shards run.
 */
export const ORPHAN_CHECK_MS = 25;
/**
 * Consecutive checks a worker must be missing from: two, so a connection listed a moment after it
 * opened is not taken for a missing one. A worker that reconnects (BullMQ waits at least 1 s) is
 * usually released too: its shard then runs twice, and the first completion is merged.
 */
export const ORPHAN_CHECKS = 2;

/** A running job as its worker's progress names it. */
export interface RunningJob {
  worker: string;
  done: number;
  /** The worker process's BullMQ name (its Redis connection is named after it) and the job's lock token. */
  owner?: string;
  token?: string;
  missing?: number;
}

export interface Orphans {
  /** One check: the running jobs whose worker is gone are released (and forgotten in `running`). */
  check(): Promise<void>;
  /** Times each job was released after its worker died. */
  released: Map<string, number>;
}

export function orphanWatch(queue: Queue, running: Map<string, RunningJob>): Orphans {
  const released = new Map<string, number>();
  // Without CLIENT LIST (a managed Redis that refuses it, an ACL): only the locks' expiry.
  let listable = true;
  const check = async () => {
    const owned = [...running].filter(([id, r]) => r.owner !== undefined && r.token !== undefined && !released.has(id));
    if (!listable || owned.length === 0) return;
    let names: string[];
    try {
      const clients = (await queue.getWorkers()) as { rawname?: unknown }[];
      if (clients.some((c) => typeof c.rawname !== 'string')) return void (listable = false);
      names = clients.map((c) => c.rawname as string);
    } catch {
      return void (listable = false);
    }
    for (const [id, r] of owned) {
      if (names.some((n) => n.endsWith(`:w:${r.owner}`))) {
        r.missing = 0;
        continue;
      }
      r.missing = (r.missing ?? 0) + 1;
      if (r.missing < ORPHAN_CHECKS) continue;
      released.set(id, 1);
      running.delete(id);
      const job = await queue.getJob(id);
      // Refused (the job finished, failed or was recovered by another worker meanwhile): nothing to do.
      await job?.moveToWait(r.token).catch(() => released.delete(id));
    }
  };
  return { check, released };
}

/**
 * `hawkgraph worker --redis URL`: a study worker (createWorker) until SIGINT or SIGTERM, when it
 * stops taking shards and finishes the ones it runs (a second signal aborts them).
 */
import { readArgs } from './cli-args';
import { createWorker } from './distributed';
import { connectionFromUrl } from './distributed/queue';
import type { WorkerOptions } from './distributed';

export const WORKER_USAGE = `usage: hawkgraph worker --redis redis://host:port [--queue NAME] [--prefix P] [--concurrency N] [--threads T] [--policy-dir DIR] [--name NAME]
                        [--lock-duration MS] [--stalled-interval MS] [--quiet]
  Runs study shards from the queue on this machine's threads. Policy files named by jobs are opened only inside --policy-dir.
  A killed worker process's shard goes to another within about 50 ms (the coordinator sees its Redis connection close);
  a lost machine's after about lock-duration + stalled-interval (default 10000 + 5000 ms).`;

export async function workerMain(argv: string[], usage: (message?: string) => never): Promise<number> {
  let redis: string | undefined;
  let quiet = false;
  const o: Partial<WorkerOptions> = {};
  const positive = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) usage(`${flag} must be a positive integer`);
    return n;
  };
  for (const { arg: a, value } of readArgs(argv, usage)) {
    if (a === '--redis') redis = value();
    else if (a === '--queue') o.queueName = value();
    else if (a === '--prefix') o.prefix = value();
    else if (a === '--concurrency') o.concurrency = positive(a, value());
    else if (a === '--threads') o.threads = positive(a, value());
    else if (a === '--policy-dir') o.policyDir = value();
    else if (a === '--name') o.name = value();
    else if (a === '--lock-duration') o.lockDuration = positive(a, value());
    else if (a === '--stalled-interval') o.stalledInterval = positive(a, value());
    else if (a === '--quiet') quiet = true;
    else usage(`unknown option ${a}`);
  }
  if (redis === undefined) usage('worker needs --redis URL');
  const worker = createWorker({ ...o, connection: connectionFromUrl(redis) });
  const log = (line: string) => quiet || process.stderr.write(`hawkgraph worker ${worker.name}: ${line}\n`);
  worker.on('completed', (id) => log(`done ${id}`));
  worker.on('failed', (id, err) => log(`failed ${id}: ${err.message}`));
  worker.on('error', (err) => log(`error: ${err.message}`));
  await worker.ready();
  log('ready');
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = () => {
      signals++;
      if (signals === 1) log('closing (finishing running shards; signal again to abort them)');
      worker.close(signals > 1).then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

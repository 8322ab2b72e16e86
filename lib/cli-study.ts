/**
 * `hawkgraph study config.json --redis URL`: the study of `hawkgraph backtest`, its runs split
 * into shards for the workers serving the queue (`hawkgraph worker`), merged into the same
 * numbers and report. The options it adds to the backtest command, and the run with its progress.
 */
import type { StudyConfig, StudyResult } from './backtest';
import { connectionFromUrl } from './distributed/queue';
import { runStudyDistributed } from './distributed';

export const STUDY_USAGE = `usage: hawkgraph study <config.json> --redis redis://host:port [--queue NAME] [--prefix P] [--shard-paths N] [--study-id ID] [backtest options]
  Runs the study on the workers serving the queue (hawkgraph worker); the same numbers and report as a local run.
  The same study id (default: the study's content hash) resumes a study whose coordinator stopped.`;

export interface StudyCliOptions {
  redis: string;
  queue?: string;
  prefix?: string;
  shardPaths?: number;
  studyId?: string;
}

export const STUDY_FLAGS: Record<keyof StudyCliOptions, string> = {
  redis: '--redis', queue: '--queue', prefix: '--prefix', shardPaths: '--shard-paths', studyId: '--study-id',
};

/** Reads one of the study's options into `out`; false when `arg` is not one. */
export function readStudyOption(arg: string, value: () => string, out: Partial<StudyCliOptions>, usage: (m?: string) => never): boolean {
  if (arg === '--redis') out.redis = value();
  else if (arg === '--queue') out.queue = value();
  else if (arg === '--prefix') out.prefix = value();
  else if (arg === '--study-id') out.studyId = value();
  else if (arg === '--shard-paths') {
    const n = Number(value());
    if (!Number.isInteger(n) || n < 1) usage('--shard-paths must be a positive integer');
    out.shardPaths = n;
  } else return false;
  return true;
}

export async function runStudyOnQueue(
  config: StudyConfig, o: StudyCliOptions, signal: AbortSignal, progress: (fraction: number, label: string) => void,
): Promise<StudyResult> {
  return runStudyDistributed(config, {
    connection: connectionFromUrl(o.redis), queueName: o.queue, prefix: o.prefix, shardPaths: o.shardPaths, studyId: o.studyId, signal,
    onProgress: (p) => {
      const workers = Object.keys(p.workers).length;
      progress(p.paths > 0 ? p.pathsDone / p.paths : 0, `shards ${p.shardsDone}/${p.shards}, ${workers} worker${workers === 1 ? '' : 's'}${p.resumed ? `, ${p.resumed} resumed` : ''}`);
    },
  });
}

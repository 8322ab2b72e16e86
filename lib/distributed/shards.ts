/**
 * Shard planning: a study's runs as the JSON configs workers run them, each run split into path
 * ranges [firstPath, firstPath + paths), the study's content hash and the job id of every shard.
 * Counter-based seeds (path p draws only from (seed, p)) make any split exactly mergeable.
 */
import { createHash } from 'node:crypto';

import type { Prepared } from '../backtest/config';
import type { StudyRun } from '../backtest/study';
import { HawkgraphError, describe } from '../errors';
import type { NativeStrategy } from '../native';
import { encodeBytes } from './codec';

/** A strategy as a job carries it: no code, no path of the coordinator's machine. */
export type JobStrategy = 'sym' | { lin: { bid: [number, number]; ask: [number, number] } } | { policy: { bytes: string } | string };

/** A run's backtest config as JSON (every field resolved; paths are the shard's). */
export type JobConfig = Record<string, unknown> & { strategy: JobStrategy; paths: number };

/** A shard's job data. */
export interface ShardJobData {
  v: 1;
  study: string;
  run: number;
  shard: number;
  firstPath: number;
  config: JobConfig;
}

export interface PlannedShard {
  jobId: string;
  run: number;
  label: string;
  data: ShardJobData;
}

export const SHARD_JOB = 'backtest-shard';

function jobStrategy(s: NativeStrategy, label: string): JobStrategy {
  if (s.kind === 'sym') return 'sym';
  if (s.kind === 'lin') return { lin: { bid: [s.lin[0], s.lin[1]], ask: [s.lin[2], s.lin[3]] } };
  if (s.kind === 'policy') return { policy: { bytes: encodeBytes(s.bytes) } };
  throw new HawkgraphError('ERR_INVALID_OPTION', `strategies (run ${JSON.stringify(label)}): a callback strategy cannot run on a worker (it is code of this process); run the study locally with runStudy`);
}

// Every field the run resolved to, as prepare() reads it back on a worker (threads are the worker's).
export function jobConfig(p: Prepared, label: string): JobConfig {
  const r = p.resolved;
  return {
    strategy: jobStrategy(p.native.strategy, label),
    hawkes: r.hawkes, jumps: r.jumps, tick: r.tick, initialBid: r.initialBid, initialAsk: r.initialAsk,
    horizon: r.horizon, dt: r.dt, paths: r.paths, seed: r.seed, inventoryLimit: r.inventoryLimit, fees: r.fees,
    phi: r.phi, Z1: r.Z1, Z2: r.Z2, Z3: r.Z3, fillAtSweepStop: r.fillAtSweepStop, eventLoop: r.eventLoop,
    noiseVariance: r.noiseVariance, timeGrid: r.timeGrid, backend: r.backend, record: r.record,
  };
}

const STUDY_ID = /^[A-Za-z0-9_.-]{1,128}$/;

export function checkStudyId(id: unknown, field = 'studyId'): string {
  if (typeof id !== 'string' || !STUDY_ID.test(id)) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `${field} must be 1 to 128 letters, digits, '_', '.' or '-', got ${describe(id)}`);
  }
  return id;
}

/** The shards of a study's runs, its content hash and id. */
export function planShards(runs: StudyRun[], shardPaths: number, version: string, studyId?: string): { hash: string; studyId: string; shards: PlannedShard[] } {
  const configs = runs.map((run) => jobConfig(run.p, run.label));
  const hash = createHash('sha256').update(JSON.stringify({ version, shardPaths, configs })).digest('hex');
  const id = studyId === undefined ? `study-${hash.slice(0, 32)}` : checkStudyId(studyId);
  const shards: PlannedShard[] = [];
  configs.forEach((config, run) => {
    const total = config.paths;
    for (let shard = 0, first = 0; first < total; shard++, first += shardPaths) {
      const paths = Math.min(shardPaths, total - first);
      shards.push({
        jobId: `${id}-r${run}-s${shard}`,
        run,
        label: runs[run].label,
        data: { v: 1, study: id, run, shard, firstPath: first, config: { ...config, paths } },
      });
    }
  });
  return { hash, studyId: id, shards };
}

/**
 * Merging a distributed study: each run's shard results joined in path order (checked to cover
 * [0, paths) exactly once), then the very code runStudy uses for metrics, rows and fee repricing,
 * so the result is bit-identical to a local run for any split.
 */
import { assembleStudy, type StudyPlan, type StudyRun } from '../backtest/study';
import type { StudyResult } from '../backtest/types';
import { concatRaw } from '../backtest/result';
import { HawkgraphError } from '../errors';
import type { NativeBacktestResult } from '../native';
import type { PlannedShard } from './shards';

export function mergeStudy(plan: StudyPlan, runs: StudyRun[], shards: PlannedShard[], raws: Map<string, NativeBacktestResult>): Omit<StudyResult, 'seconds'> {
  const perRun: PlannedShard[][] = runs.map(() => []);
  for (const s of shards) perRun[s.run].push(s);
  const joined = perRun.map((list, run) => {
    list.sort((a, b) => a.data.firstPath - b.data.firstPath);
    let next = 0;
    for (const s of list) {
      if (s.data.firstPath !== next) throw new HawkgraphError('ERR_INTERNAL', `run ${run}: shards leave a gap or overlap at path ${next}`);
      next += s.data.config.paths;
    }
    if (next !== runs[run].p.resolved.paths) throw new HawkgraphError('ERR_INTERNAL', `run ${run}: shards cover ${next} of ${runs[run].p.resolved.paths} paths`);
    return concatRaw(list.map((s) => raws.get(s.jobId)!));
  });
  return assembleStudy(plan, runs, joined);
}

/** A simulation shard's statistics rows (hawkes_simulate.cpp BlockPlan): one per block it covers, one per path of a block it covers in part. */
export interface SimulationPiece {
  jobId: string;
  firstPath: number;
  paths: number;
  /** The whole run's statistics block size, as the worker's native run reported it. */
  block: number;
  rows: Float64Array;
}

/**
 * The statistics row of a whole run of `total` paths from its shards (checked to cover [0, total)
 * once, in one block size): every block's row summed from zero in path order, then the block rows
 * summed from zero in block order, as the local run sums them, so the floats are the same.
 */
export function foldSimulationRows(pieces: SimulationPiece[], total: number, W: number): Float64Array {
  const sorted = [...pieces].sort((a, b) => a.firstPath - b.firstPath);
  const B = sorted[0].block;
  const totals = new Float64Array(W);
  const partial = new Float64Array(W);  // the block shards cover in part, path by path
  let next = 0;
  for (const s of sorted) {
    const refuse = (why: string): never => {
      throw new HawkgraphError('ERR_SHARD_FAILED', `shard ${s.jobId}: ${why}`);
    };
    if (s.firstPath !== next) throw new HawkgraphError('ERR_INTERNAL', `simulation shards leave a gap or overlap at path ${next}`);
    if (s.block !== B) refuse(`its statistics blocks have ${s.block} paths, another shard's ${B}`);
    const end = s.firstPath + s.paths;
    let row = 0;
    const take = (): number => {
      if ((row + 1) * W > s.rows.length) refuse(`it has ${s.rows.length / W} statistics rows, fewer than its paths need`);
      return W * row++;
    };
    for (let k = Math.floor(s.firstPath / B) * B; k < end; k += B) {
      const first = Math.max(s.firstPath, k), last = Math.min(end, k + B), blockEnd = Math.min(k + B, total);
      if (first === k && last === blockEnd) {
        const at = take();
        for (let j = 0; j < W; j++) totals[j] += s.rows[at + j];
        continue;
      }
      for (let p = first; p < last; p++) {
        if (p === k) partial.fill(0);
        const at = take();
        for (let j = 0; j < W; j++) partial[j] += s.rows[at + j];
        if (p === blockEnd - 1) for (let j = 0; j < W; j++) totals[j] += partial[j];
      }
    }
    if (row * W !== s.rows.length) refuse(`it has ${s.rows.length / W} statistics rows, its paths need ${row}`);
    next = end;
  }
  if (next !== total) throw new HawkgraphError('ERR_INTERNAL', `simulation shards cover ${next} of ${total} paths`);
  return totals;
}

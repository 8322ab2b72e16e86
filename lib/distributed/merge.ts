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

/**
 * The scorer createScorer attached to each engine, read by engine.modelReport(): the engine knows
 * nothing of scoring, only where to ask. Depends on errors.ts only (lib/gnn imports it).
 */
import { HawkgraphError } from '../errors';
import type { ModelReport } from './scorer';

interface Reporter {
  modelReport(): ModelReport;
}

const attached = new WeakMap<object, Reporter>();

/** The engine's reporter from now on (the latest createScorer wins; a closed scorer still reads). */
export function attachScorer(engine: object, scorer: Reporter): void {
  attached.set(engine, scorer);
}

/** The report of the engine's scorer; ERR_INVALID_ARGUMENT when none is attached. */
export function attachedReport(engine: object): ModelReport {
  const scorer = attached.get(engine);
  if (scorer === undefined) {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', 'engine.modelReport() needs a scorer on this engine: createScorer(engine, { tick, horizon }) first (docs/model-ops.md)');
  }
  return scorer.modelReport();
}

/** The engine argument of lib/ops' functions, checked. */
import { HawkgraphError, describe } from '../errors';
import { Engine } from '../gnn/engine';

/** Throws ERR_INVALID_ARGUMENT unless `engine` is an open Engine (ERR_ENGINE_CLOSED once closed). */
export function checkEngine(engine: unknown, caller: string): asserts engine is Engine {
  if (!(engine instanceof Engine)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `${caller}'s engine must be an engine from createEngine(), got ${describe(engine)}`);
  if (engine.closed) throw new HawkgraphError('ERR_ENGINE_CLOSED', `${caller}: the engine is closed`);
}

/**
 * Model files: the example model shipped with the package, and reading a model (a path or its
 * bytes) within the size a model may have. Parsing the safetensors is native code's job.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { HawkgraphError, describe } from '../errors';
import { LIMITS } from '../native/layouts';

/** The example model shipped with the package (pooled attention, 20 levels, hidden 128, 4 heads). */
export const exampleModelPath: string = path.resolve(__dirname, '..', '..', 'models', 'orderbook-gnn-pooled.safetensors');

/** A model's bytes: the Uint8Array given, or the file at the path given (ERR_MODEL_READ). */
export function readModel(model: unknown): Uint8Array {
  if (model instanceof Uint8Array) return model;
  if (typeof model !== 'string' || model.length === 0) {
    throw new HawkgraphError('ERR_INVALID_OPTION', `model must be a file path or a Uint8Array, got ${describe(model)}`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(model);
  } catch (err) {
    throw new HawkgraphError('ERR_MODEL_READ', `model file ${JSON.stringify(model)} cannot be read: ${(err as Error).message}`);
  }
  if (!stat.isFile()) throw new HawkgraphError('ERR_MODEL_READ', `model ${JSON.stringify(model)} is not a file`);
  if (stat.size > LIMITS.maxModelBytes) {
    throw new HawkgraphError('ERR_MODEL_READ', `model file ${JSON.stringify(model)} is ${stat.size} bytes, more than the 2 GiB a model may be`);
  }
  try {
    return fs.readFileSync(model);
  } catch (err) {
    throw new HawkgraphError('ERR_MODEL_READ', `model file ${JSON.stringify(model)} cannot be read: ${(err as Error).message}`);
  }
}

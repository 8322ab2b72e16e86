/**
 * BullMQ, loaded on first use: an optional peer dependency, so a user who never runs a study
 * over Redis neither installs it nor pays for loading it. Depends on errors.ts only.
 */
import { HawkgraphError } from '../errors';

export type BullMQ = typeof import('bullmq');

let loaded: BullMQ | undefined;

export function bullmq(): BullMQ {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('bullmq') as BullMQ;
  } catch (err) {
    throw new HawkgraphError(
      'ERR_MISSING_DEPENDENCY',
      `distributed studies need the package bullmq, which could not be loaded (${(err as Error).message.split('\n')[0]}). Possible solutions:\n` +
        '- install it beside hawkgraph: npm install bullmq@5\n' +
        '- if it is installed, check that it resolves from the directory hawkgraph runs in (node -e "require(\'bullmq\')")\n' +
        '- run the study locally instead: runStudy(config) gives the same numbers on one machine',
      { cause: err },
    );
  }
  return loaded;
}

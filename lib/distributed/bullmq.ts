/** BullMQ, an optional peer dependency loaded on first use (lib/optional-dependency.ts). */
import { optionalDependency } from '../optional-dependency';

export type BullMQ = typeof import('bullmq');

export function bullmq(): BullMQ {
  return optionalDependency<BullMQ>('bullmq', '5', 'distributed studies', [
    'if it is installed, check that it resolves from the directory hawkgraph runs in (node -e "require(\'bullmq\')")',
    'run the study locally instead: runStudy(config) gives the same numbers on one machine',
  ]);
}

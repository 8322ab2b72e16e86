/** Studies over BullMQ on Redis (docs/distributed.md): the public API. */
export { runStudyDistributed } from './coordinator';
export { createWorker } from './worker';
export type * from './types';

/** Studies over BullMQ on Redis (docs/distributed.md): the public API. */
export { runStudyDistributed } from './coordinator';
export { createWorker } from './worker';
export { trainPolicyGridDistributed } from './train-grid';
export { simulateDistributed } from './simulate';
export type { DistributedSimulation, SimulateDistributedOptions, SimulationProvenance } from './simulate';
export type { TrainGridOptions, TrainGridPoint, TrainGridPointOptions, TrainGridProgress, TrainGridRun } from './train-grid';
export type * from './types';

export { DepthModel } from './model';
export { DEPTH_CLASSES } from './types';
export type { DepthClass, DepthHorizon, DepthParams, DepthSimulateAsyncOptions, DepthSimulateOptions, DepthSimulateSyncOptions, DepthSnapshots } from './types';

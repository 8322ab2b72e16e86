/** Training: native SAC for the market-making policy (trainPolicy). */
export { trainPolicy } from './policy';
export type { TrainPolicyMetrics, TrainPolicyResult } from './policy';
export type { TrainPolicyOptions, TrainProgress } from './options';

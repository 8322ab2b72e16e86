/** Market-making backtests on the 8-event Hawkes LOB model (docs/backtest.md): the public API. */
export { DEFAULT_LOB_HAWKES, DEFAULT_LOB_JUMPS, PAPER_SETTING } from './defaults';
export { resolveBacktestConfig } from './config';
export { glftOffsets } from './glft';
export { computeMetrics } from './metrics';
export { quantileSorted } from './quantiles';
export { runBacktest, runBacktestAsync } from './run';
export { runStudy, runStudyAsync } from './study';
export type * from './types';

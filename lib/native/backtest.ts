/**
 * The addon's backtest surface (native/addon/backtest_wrap.cpp): the run functions, the options
 * record and the raw per-path result (types, and the names of its columns); reached through native().
 * Depends on lib/native/hawkes.ts only.
 */
import type { NativeJob, NativeProgress } from './hawkes';

export type NativeStrategy =
  | { kind: 'sym' }
  | { kind: 'lin'; lin: Float64Array } // bid0, bid1, ask0, ask1, then 1 for offsets from the best prices (0: the mid)
  | { kind: 'policy'; bytes: Uint8Array }
  | { kind: 'callback' };

export interface NativeBacktestOptions {
  horizon: number; dt: number; tick: number; paths: number; firstPath: number; seed: number; threads: number;
  inventoryLimit: number; z1: number; z2: number; z3: number; fillAtSweepStop: number; eventLoop: 'exact' | 'published' | 'published-fixed';
  phi: number; feeMaker: number; feeTaker: number;
  noiseVariance: number; timeGrid: number; record: boolean; backend: 'cpu' | 'cuda';
  lob: { location: Float64Array; scale: Float64Array; initialBid: number; initialAsk: number };
  strategy: NativeStrategy;
}

/** Columns of a recorded run (record: true): one value per step, one per fill, one per event (intensity: 8 per event). */
export type NativeStepColumn = 'path' | 'time' | 'bid' | 'ask' | 'quoteBid' | 'quoteAsk' | 'inventory' | 'cash' | 'wealth';
export type NativeFillColumn = 'path' | 'step' | 'time' | 'side' | 'price' | 'fee' | 'maker' | 'inventory' | 'cash' | 'bid' | 'ask';
export type NativeEventColumn = 'path' | 'step' | 'time' | 'type' | 'agent' | 'bid' | 'ask' | 'intensity';

/** The per-path columns of a result, and the time grid's (paths x timeGrid, path-major). */
export const NATIVE_RESULT_COLUMNS = [
  'pnl', 'grossPnl', 'makerNotional', 'takerNotional', 'cash', 'mid', 'map', 'reward', 'inventory', 'trades', 'events',
  'gridGross', 'gridMaker', 'gridTaker',
] as const;

export type NativeBacktestResult = Record<(typeof NATIVE_RESULT_COLUMNS)[number], Float64Array> & {
  steps?: Record<NativeStepColumn, Float64Array>;
  fills?: Record<NativeFillColumn, Float64Array>;
  bookEvents?: Record<NativeEventColumn, Float64Array>;
};

export interface NativeBacktest {
  backtestRun(mu: Float64Array, alpha: Float64Array, beta: Float64Array, o: NativeBacktestOptions): NativeBacktestResult;
  backtestRunAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, o: NativeBacktestOptions, onProgress?: (p: NativeProgress) => void,
  ): NativeJob<NativeBacktestResult>;
  /** decide(state: LAYOUTS.backtestCallbackState) returns the action (LAYOUTS.backtestCallbackAction), on the JS thread. */
  backtestRunCallback(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, o: NativeBacktestOptions, decide: (state: Float64Array) => Float64Array,
  ): NativeBacktestResult;
  /** Several runs on one Hawkes model; on CUDA they share the device. */
  /** One path through the native step interface (MarketMakingEnv), decisions [steps x 2] in ticks; for tests. */
  backtestEnvRollout(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, o: NativeBacktestOptions, decisions: Float64Array, fromBest: boolean,
  ): { observations: Float64Array; rewards: Float64Array; pnl: number; reward: number; trades: number; inventory: number };
  backtestRunMany(mu: Float64Array, alpha: Float64Array, beta: Float64Array, runs: NativeBacktestOptions[]): NativeBacktestResult[];
  backtestRunManyAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, runs: NativeBacktestOptions[], onProgress?: (p: NativeProgress) => void,
  ): NativeJob<NativeBacktestResult[]>;
}

/**
 * The backtest API's public shapes: strategies, the config and its resolved form, metrics,
 * per-path results, studies. Types only.
 */
import type { NativeEventColumn, NativeFillColumn, NativeStepColumn } from '../native';
import type { HawkesParams, SimulationProgress } from '../hawkes/types';
import type { HawkesProcess } from '../hawkes/process';

/** What a JS callback strategy sees at the start of each step, before its cancellations (prices in price units). */
export interface StrategyState {
  path: number;
  step: number;
  time: number;
  inventory: number;
  bid: number;
  ask: number;
  mid: number;
  /** Spread in ticks. */
  spread: number;
  /** lambda_MAb + lambda_MNb - lambda_MAs - lambda_MNs at the step start. */
  trend: number;
  /** Cash net of fees. */
  cash: number;
}

/**
 * A callback's decision: offsets in ticks from the mid after this step's cancellations (null /
 * undefined: no quote on that side; a quote across the spread is a market order), or a market
 * order of one unit (it replaces both quotes: aggressive with probability Z1).
 */
export interface StrategyAction {
  bidOffset?: number | null;
  askOffset?: number | null;
  market?: 'buy' | 'sell' | null;
}

export type StrategyCallback = (state: StrategyState) => StrategyAction | null | undefined;

/**
 * Offsets linear in inventory: delta = c0 + c1 * inventory ticks per side, from the mid (the bid
 * rounds down, the ask up) or, with from: 'best', from the best bid and ask (rounded to the
 * nearest tick), as the seed paper's LIN and its agent's action are.
 */
export interface LinParams {
  bid: [number, number];
  ask: [number, number];
  /** Where the offsets are measured from. Default 'mid'. */
  from?: 'mid' | 'best';
}

export type Strategy =
  | 'sym'
  | { lin: LinParams }
  | { glft: GlftParams }
  | { policy: Uint8Array | string }
  | StrategyCallback;

export interface BacktestConfig {
  /** The quoting strategy (required). */
  strategy: Strategy;
  /** The 8-dimensional Hawkes process of the order flow. Every default below is PAPER_SETTING's (the seed paper's setting). Default DEFAULT_LOB_HAWKES. */
  hawkes?: HawkesParams | HawkesProcess;
  /** Jump laws per type (ticks). Default DEFAULT_LOB_JUMPS. */
  jumps?: { location?: number | ArrayLike<number>; scale?: number | ArrayLike<number> };
  /** Price of a tick. Default 0.01. */
  tick?: number;
  /** Initial best bid / ask (prices on the tick grid). Default 99.95 / 100.05. */
  initialBid?: number;
  initialAsk?: number;
  /** Simulated seconds per path. Default 100. */
  horizon?: number;
  /** Seconds between quote updates. Default 1. */
  dt?: number;
  /** Default 1000. */
  paths?: number;
  /** Default 0. Path p draws only from (seed, p). */
  seed?: number;
  /** Native threads. Default: available parallelism. */
  threads?: number;
  /** c: |inventory| <= c (orders that would break it are not placed). Default 3. */
  inventoryLimit?: number;
  /** Fee rates on traded value (0.002 = 0.2 %): maker on the agent's limit fills, taker on its market orders. Default 0 and 0.002. */
  fees?: { maker?: number; taker?: number };
  /** Running inventory penalty per unit of |I| per second, for `reward`. Default 0.01. */
  phi?: number;
  /** Probability that the agent's market order (a quote across the spread) is aggressive (MA: it moves the price) rather than non-aggressive (MN). Default 8/30. */
  Z1?: number;
  /** Probability that cancelling the agent's quote standing at the best price is an aggressive cancellation (CA: the price moves). Default 0.25. */
  Z2?: number;
  /** Probability that a non-aggressive market order (MN) fills the agent's quote standing at the best price. Default 0.25. */
  Z3?: number;
  /** Probability that an aggressive market order that stops exactly at the agent's quote fills it (one that passes it always does). Default 0.25. */
  fillAtSweepStop?: number;
  /** 'exact' (default): the order flow simulated exactly; 'published': the seed paper's published event loop, its thinning bug included (rejected candidates are kept), to reproduce its tables; 'published-fixed': that loop with the authors' later fix (candidates rejected, but a type still drawn from the intensities before the decay). */
  eventLoop?: 'exact' | 'published' | 'published-fixed';
  /** Variance of Gaussian noise added to each baseline intensity, fresh per path, clipped at 0. Default 0. */
  noiseVariance?: number;
  /** Points of pnlOverTime. Default 100 (0: none). */
  timeGrid?: number;
  /** 'cpu' (default) or 'cuda'. */
  backend?: 'cpu' | 'cuda';
  /** Keep every step and fill (small runs: paths x steps <= 2^22). Default false. */
  record?: boolean;
}

export interface ResolvedBacktestConfig {
  strategy: string;
  hawkes: { mu: number[]; alpha: number[][]; beta: number[][] };
  jumps: { location: number[]; scale: number[] };
  tick: number;
  initialBid: number;
  initialAsk: number;
  horizon: number;
  dt: number;
  steps: number;
  paths: number;
  seed: number;
  threads: number;
  inventoryLimit: number;
  fees: { maker: number; taker: number };
  phi: number;
  Z1: number;
  Z2: number;
  Z3: number;
  fillAtSweepStop: number;
  eventLoop: 'exact' | 'published' | 'published-fixed';
  noiseVariance: number;
  timeGrid: number;
  backend: 'cpu' | 'cuda';
  record: boolean;
}

export interface BacktestMetrics {
  paths: number;
  mean: number;
  std: number;
  percentiles: { p1: number; p5: number; p50: number; p95: number; p99: number };
  sharpe: number;
  skew: number;
  kurtosis: number;
  jarqueBera: { statistic: number; pValue: number };
  map: number;
  meanPnlOverMap: number;
  meanTrades: number;
  /** Terminal inventory values and how many paths ended at each. */
  inventoryDistribution: { values: number[]; counts: number[] };
}

export interface BacktestPaths {
  /** Terminal PnL (wealth at the horizon; wealth starts at 0), net of fees. */
  pnl: Float64Array;
  /** Terminal inventory. */
  inventory: Float64Array;
  /** Time-average of |inventory|. */
  map: Float64Array;
  trades: Float64Array;
  /** pnl - phi * integral of |inventory| dt. */
  reward: Float64Array;
  /** Terminal cash (net of fees) and mid: pnl = cash + inventory * mid. */
  cash: Float64Array;
  mid: Float64Array;
  /** PnL at zero fees and the traded value maker / taker fees apply to. */
  grossPnl: Float64Array;
  makerNotional: Float64Array;
  takerNotional: Float64Array;
  /** Market events simulated. */
  events: Float64Array;
}

export interface PnlOverTime {
  time: Float64Array;
  mean: Float64Array;
  /** 2.5 % and 97.5 % quantiles across paths (the 95 % band of outcomes). */
  lower: Float64Array;
  upper: Float64Array;
}

export interface BacktestRecords {
  /** Columns: path, time, bid, ask, quoteBid, quoteAsk, inventory, cash, wealth: the book and the agent once it has placed its quotes (NaN: none placed or resting). */
  steps: Record<NativeStepColumn, Float64Array>;
  /** Columns: path, step, time, side, price, fee, maker, inventory, cash, bid, ask. */
  fills: Record<NativeFillColumn, Float64Array>;
  /**
   * Every book event, the agent's own (agent 1) and the market's: path, step, time, type (0..7 in
   * the order MAb, MAs, LAb, LAs, CAb, CAs, MNb, MNs), agent, bid and ask after it, and intensity
   * (8 per event: the intensities just after it).
   */
  events: Record<NativeEventColumn, Float64Array>;
}

export interface BacktestResult {
  paths: BacktestPaths;
  metrics: BacktestMetrics;
  pnlOverTime: PnlOverTime;
  config: ResolvedBacktestConfig;
  /** With record: true. */
  records?: BacktestRecords;
}

export interface BacktestAsyncOptions {
  signal?: AbortSignal;
  onProgress?: (progress: SimulationProgress) => void;
}

export interface GlftParams {
  /** Fill intensity at zero distance, per second: Lambda(delta) = A exp(-k delta). */
  A: number;
  /** Decay of the fill intensity per tick of distance from the mid. */
  k: number;
  /** Volatility of the mid, ticks per sqrt(second). */
  sigma: number;
  /** Risk aversion (per tick). */
  gamma: number;
  /** Order size. Default 1. */
  size?: number;
}

export interface StudyConfig extends Omit<BacktestConfig, 'strategy'> {
  /** Strategies by display name. */
  strategies: Record<string, Strategy>;
  /** Baseline-noise variances to test (besides 0). Default [0.1, 0.2, 0.3]; [] to skip. */
  noise?: number[];
  /**
   * Maker fee rates to sweep, the taker fee held at the config's (0.2 % by default), as the seed
   * paper's fee figure. Default [0, 0.002, 0.004, 0.006]; [] to skip.
   */
  feeSweep?: number[];
  /** Sweep the taker fee with the maker fee (both at each rate of feeSweep). Default false. */
  sweepTakerFee?: boolean;
}

export interface StudyRow {
  strategy: string;
  study: 'base' | 'noise' | 'fee';
  noiseVariance: number;
  fee: { maker: number; taker: number };
  metrics: BacktestMetrics;
}

export interface StudyResult {
  rows: StudyRow[];
  /** The base run (config fees, no noise) of each strategy. */
  base: Record<string, BacktestResult>;
  /** Each strategy's results per fee of the sweep, in feeSweep order. */
  fees: Record<string, BacktestResult[]>;
  feeSweep: number[];
  noise: number[];
  seconds: number;
}

export interface StudyAsyncOptions {
  signal?: AbortSignal;
  /** Progress over the whole study: runs done, the current run's label and its progress. */
  onProgress?: (p: { run: number; runs: number; label: string; pathsDone: number; paths: number; events: number }) => void;
}

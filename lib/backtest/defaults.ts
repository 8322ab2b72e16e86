/**
 * The default backtest: the seed paper's setting (Gasperov and Kostanjcar 2022, read from its
 * authors' code, BGasperov/drlformm, with beta = 100 as the paper's tables were made), so
 * runBacktest({ strategy: 'sym' }) runs the paper's SYM experiment (docs/backtest.md).
 */
import type { HawkesParams } from '../hawkes/types';

// The authors' excitation matrix E: an event of type k adds row k to the intensities.
const PAPER_EXCITATION = [
  [1.5, 0.4, 3, 0.5, 0, 2, 1, 0],
  [0.4, 1.5, 0.5, 3, 2, 0, 0, 1],
  [0.4, 1.2, 0.2, 0, 1.5, 0.5, 0.4, 0.4],
  [1.2, 0.4, 0, 0.2, 0.5, 1.5, 0.4, 0.4],
  [0, 0, 2, 0, 0, 0, 0, 0],
  [0, 0, 0, 2, 0, 0, 0, 0],
  [1, 0, 2, 0, 0, 1, 3, 0],
  [0, 1, 0, 2, 1, 0, 0, 3],
];

/**
 * The paper's 8-event process (type order MAb, MAs, LAb, LAs, CAb, CAs, MNb, MNs): baselines per
 * second, alpha[target][source] = E[source][target] (hawkgraph's row = the excited type), one
 * decay rate of 100 per second.
 */
export const DEFAULT_LOB_HAWKES: HawkesParams = {
  mu: [0.55, 0.55, 2.6, 2.6, 1.5, 1.5, 1, 1],
  alpha: PAPER_EXCITATION.map((_, target) => PAPER_EXCITATION.map((row) => row[target])),
  beta: 100,
};

/**
 * The paper's jumps, ticks: J = max(1, round(location + scale * Exp(1))), the code's
 * round(Exp(mean 0.08) + 0.01, 2) in price with a 0.01 tick; the same for every type (MNb/MNs
 * never move a price).
 */
export const DEFAULT_LOB_JUMPS = {
  location: [1, 1, 1, 1, 1, 1, 1, 1],
  scale: [8, 8, 8, 8, 8, 8, 8, 8],
};

/**
 * The seed paper's setting as a named preset (every config field but the strategy); it is also
 * what an unset field defaults to. Spread it to start from it: runBacktest({ ...PAPER_SETTING, strategy }).
 */
export const PAPER_SETTING = Object.freeze({
  hawkes: DEFAULT_LOB_HAWKES,
  jumps: DEFAULT_LOB_JUMPS,
  tick: 0.01,
  initialBid: 99.95,
  initialAsk: 100.05,
  horizon: 100,
  dt: 1,
  paths: 1000,
  inventoryLimit: 3,
  fees: Object.freeze({ maker: 0, taker: 0.002 }),
  phi: 0.01,
  Z1: 8 / 30,
  Z2: 0.25,
  Z3: 0.25,
  fillAtSweepStop: 0.25,
  eventLoop: 'exact' as 'exact' | 'published' | 'published-fixed',
});

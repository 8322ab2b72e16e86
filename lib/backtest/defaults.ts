/**
 * The default order flow of a backtest: the 8-event process and its jump laws (docs/backtest.md).
 */
import type { HawkesParams } from '../hawkes/types';

/**
 * The default 8-event process (type order MAb, MAs, LAb, LAs, CAb, CAs, MNb, MNs): 100 events/s
 * in all once stationary, each type exciting itself with branching ratio 0.6 (decay 20/s, so a
 * burst lives about 50 ms). Aggressive limit orders (which narrow the spread) outweigh market
 * orders and cancellations (which widen it), so the spread is one tick 57 % of the time and 3.3
 * ticks on average.
 */
export const DEFAULT_LOB_HAWKES: HawkesParams = (() => {
  const mu = [1.5, 1.5, 7, 7, 1.5, 1.5, 10, 10];
  const beta = 20;
  const alpha = mu.map((_, k) => mu.map((__, l) => (k === l ? 0.6 * beta : 0)));
  return { mu, alpha, beta };
})();

/** Jump laws of the default model, ticks: J = max(1, round(location + scale * Exp(1))). */
export const DEFAULT_LOB_JUMPS = {
  location: [1, 1, 1, 1, 1, 1, 1, 1],
  scale: [0.5, 0.5, 1, 1, 0, 0, 0, 0],
};

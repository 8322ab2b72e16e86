/**
 * The seed paper's published numbers (Gašperov and Kostanjčar, "Deep Reinforcement Learning for
 * Market Making Under a Hawkes Process-Based Limit Order Book Model", IEEE Control Systems
 * Letters, 2022), for the paper command's side-by-side report, and the measured runs of the
 * authors' own environment (BGasperov/drlformm) that issue 15 recorded.
 */
export const PAPER_FEES = [0, 0.002, 0.004, 0.006] as const;

export const PAPER_REFERENCE = {
  /** Terminal PnL statistics at the paper's setting (fees: taker 0.2 %, maker 0). */
  metrics: {
    SYM: { mean: 9.87, std: 8.24, sharpe: 1.2, map: 1.47 },
    DRL: { mean: 13.76, std: 8.5, sharpe: undefined as number | undefined, map: 0.42 },
  },
  /** Sharpe ratio against the maker fee (PAPER_FEES), taker fixed at 0.2 %. */
  sharpeByFee: {
    SYM: [1.2, -1.24, -4.23, -5.79],
    LIN: [1.42, 0.6, -0.31, -1.28],
    DRL: [1.62, 1.34, 0.68, -0.23],
  },
  /** Mean trades of the DRL agent retrained per maker fee (PAPER_FEES). */
  drlTradesByFee: [24.54, 15.0, 11.28, 7.85],
  /** SYM in the authors' environment, 1000 episodes, beta = 100 (issue 15's measurements). */
  authorsCode: {
    published: { mean: 9.57, std: 8.26, sharpe: 1.16, map: 1.49, trades: 92, sharpeByFee: [1.16, -1.14, -3.65] },
    fixed: { mean: 4.2, std: 4.59, sharpe: 0.91, map: 1.52, trades: 81, sharpeByFee: [0.91, -2.98, -7.09, -9.98] },
  },
} as const;

/** Types of the full-depth book simulator (lib/depth/model.ts; docs/depth.md). */
import type { SimulationProgress } from '../hawkes/types';

/** The six event classes, in the order of alpha's rows (targets) and columns (sources). */
export const DEPTH_CLASSES = ['marketBuy', 'marketSell', 'limitBuy', 'limitSell', 'cancelBid', 'cancelAsk'] as const;
export type DepthClass = (typeof DEPTH_CLASSES)[number];

/**
 * The order flow of a full-depth book (every field optional; defaults in docs/depth.md): Cont,
 * Stoikov and Talreja (2010) with Hawkes excitation between the event classes.
 */
export interface DepthParams {
  /** Levels tracked a side (K); limit orders arrive at distances 1 .. K ticks from the opposite best. */
  window?: number;
  /** [K] limit-order rate at distance i + 1 from the opposite best, per second and side. */
  limitRate?: ArrayLike<number>;
  /** [K] cancellation rate of each resting unit at distance i + 1 from the opposite best, per second. */
  cancelRate?: ArrayLike<number>;
  /** Market orders per second and side. */
  marketRate?: number;
  /** Mean limit and market order sizes in units (>= 1; sizes are 1 + geometric). 1: unit orders, as CST. */
  limitSizeMean?: number;
  marketSizeMean?: number;
  /** Mean units of a level entering the window from beyond it (Poisson). */
  farDepth?: number;
  /** [6][6] alpha[target][source]: an event of class source adds alpha to class target's intensity. */
  alpha?: ArrayLike<ArrayLike<number>>;
  /** Decay rate of every excitation, per second. */
  beta?: number;
  /** Price of one tick. */
  tick?: number;
  /** Initial best bid and ask, in ticks. */
  initialBid?: number;
  initialAsk?: number;
}

/** The label horizon: in seconds, or in events (the next N events of the path). */
export type DepthHorizon = { seconds: number } | { events: number };

export interface DepthSimulateOptions {
  paths?: number;
  seed?: number;
  threads?: number;
  /** Levels a side in each snapshot (best first, non-empty levels only); default 20, at most `window`. */
  levels?: number;
  /** Seconds between snapshots; 0: a snapshot after every event. Default 0.1. */
  interval?: number;
  /** Seconds simulated before the first snapshot (from the initial book); default 10. */
  warmup?: number;
  /** Seconds of snapshots per path, after the warm-up; default 60. */
  duration?: number;
  /** Default { seconds: 0.1 }. */
  horizon?: DepthHorizon;
  /** |move| <= flatBand ticks is flat; default 0 (any move counts). */
  flatBand?: number;
  /** magnitude = 1 - exp(-|move| / magnitudeScale), ticks; default 1. */
  magnitudeScale?: number;
}

export interface DepthSimulateSyncOptions extends DepthSimulateOptions {
  /**
   * A previous result of the same shape (paths, levels and snapshots a path) whose arrays this call
   * overwrites instead of allocating fresh ones: the same books bit for bit, without the page faults
   * of new memory. Fixed intervals only; the returned result shares into's arrays.
   */
  into?: DepthSnapshots;
}

export interface DepthSimulateAsyncOptions extends DepthSimulateOptions {
  signal?: AbortSignal;
  onProgress?: (p: SimulationProgress) => void;
}

/** Labelled snapshots, path after path, each path's in time order. */
export interface DepthSnapshots {
  /** Snapshots returned. */
  length: number;
  /** Levels a side per snapshot. */
  levels: number;
  /**
   * [length * 4 * levels]: bid prices, bid sizes, ask prices, ask sizes per snapshot, `levels` each:
   * the packed layout of BookBatch.columns (copy a range into a batch from engine.createBatch).
   */
  columns: Float64Array;
  /** [length * 2] bid and ask levels written per snapshot (BookBatch.counts). */
  counts: Int32Array;
  /** [length] seconds since the path started. */
  time: Float64Array;
  /** [length] mid price. */
  mid: Float64Array;
  /** [length] the path of each snapshot. */
  path: Int32Array;
  /** The labels, defined to match the GNN's heads (docs/depth.md). */
  labels: {
    /** [length] 0 down, 1 flat, 2 up: the order of a prediction's probs. */
    direction: Int32Array;
    /** [length] mid at the horizon minus mid now, in ticks. */
    move: Float64Array;
    /** [length] 1 - exp(-|move| / magnitudeScale), in [0, 1) (the sigmoid magnitude head). */
    magnitude: Float64Array;
    /** [length] sqrt of the summed squared mid changes over the horizon, in ticks (the relu volatility head). */
    volatility: Float64Array;
  };
  /** [paths * 6] events simulated per path and class (DEPTH_CLASSES order), the warm-up and the last horizon included. */
  classEvents: Float64Array;
}

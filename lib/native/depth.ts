/**
 * The addon's full-depth book simulator (native/addon/depth_wrap.cpp). Types only; reached through
 * native() (lib/native/index.ts).
 */
import type { NativeJob, NativeProgress } from './hawkes';

export interface NativeDepthModel {
  window: number;
  limitRate: Float64Array;
  cancelRate: Float64Array;
  marketRate: number;
  limitSizeMean: number;
  marketSizeMean: number;
  farDepth: number;
  /** [36] alpha[target * 6 + source], classes MB, MS, LB, LS, CB, CS. */
  alpha: Float64Array;
  beta: number;
  tick: number;
  initialBid: number;
  initialAsk: number;
}

export interface NativeDepthSnapshots {
  levels: number;
  interval: number;
  warmup: number;
  duration: number;
  horizonSeconds: number;
  horizonEvents: number;
  flatBand: number;
  magnitudeScale: number;
}

export interface NativeDepthRun {
  paths: number;
  seed: number;
  threads: number;
}

export interface NativeDepthResult {
  columns: Float64Array;
  counts: Int32Array;
  time: Float64Array;
  mid: Float64Array;
  move: Float64Array;
  magnitude: Float64Array;
  volatility: Float64Array;
  direction: Int32Array;
  path: Int32Array;
  /** [paths * 6] events of each class per path. */
  classEvents: Float64Array;
}

/** The arrays depthSimulate writes instead of fresh ones (a previous result's, flattened). */
export type NativeDepthTarget = Record<keyof NativeDepthResult, unknown>;

export interface NativeDepth {
  /** The model's checks alone (ERR_INVALID_OPTION, ERR_HAWKES_UNSTABLE). */
  depthCheck(model: NativeDepthModel): { spectralRadius: number };
  /** into (fixed intervals only): every array checked for type, length and overlap before anything is written. */
  depthSimulate(model: NativeDepthModel, snapshots: NativeDepthSnapshots, run: NativeDepthRun, into?: NativeDepthTarget): NativeDepthResult;
  depthSimulateAsync(
    model: NativeDepthModel, snapshots: NativeDepthSnapshots, run: NativeDepthRun, onProgress?: (p: NativeProgress) => void,
  ): NativeJob<NativeDepthResult>;
}

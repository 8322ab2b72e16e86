/**
 * The addon's SAC surface (native/addon/sac_wrap.cpp): trainPolicy's job and the test hooks
 * lib/internal.ts exposes; reached through native(). Depends on lib/native/hawkes.ts and
 * lib/native/backtest.ts only.
 */
import type { NativeBacktestOptions } from './backtest';
import type { NativeJob, NativeProgress } from './hawkes';

/** The training options, every one resolved by lib/train/options.ts. */
export interface NativeSacOptions {
  steps: number; batchSize: number; bufferSize: number; learningStarts: number; trainFreq: number; gradientSteps: number;
  logInterval: number; seed: number; threads: number; gamma: number; tau: number; learningRate: number; initialAlpha: number;
  targetEntropy: number; hidden: Float64Array; actionScale: number; actionOffset: number; calibrationSteps: number;
}

/** Per finished episode, and per logInterval steps of updates. */
export interface NativeSacMetrics {
  episodeReturns: Float64Array; episodeEnds: Float64Array;
  logStep: Float64Array; criticLoss: Float64Array; actorLoss: Float64Array; alpha: Float64Array; entropy: Float64Array;
  stepsDone: number;
}

export interface NativeSacTrainResult extends NativeSacMetrics {
  policy: Uint8Array;
  inputMean: Float32Array;
  inputStd: Float32Array;
}

export interface NativeSacLossArgs {
  obsSize: number; actionSize: number; hidden: Float64Array; gamma: number; logAlpha: number;
  actor: Float32Array; critic0: Float32Array; critic1: Float32Array; target0: Float32Array; target1: Float32Array;
  obs: Float32Array; action: Float32Array; reward: Float32Array; nextObs: Float32Array; done: Float32Array;
  eps: Float32Array; epsNext: Float32Array;
}

export interface NativeSacLosses {
  criticLoss: number; actorLoss: number; criticGrad0: Float32Array; criticGrad1: Float32Array; actorGrad: Float32Array;
}

export interface NativeSac {
  /** Progress: pathsDone = steps taken, paths = steps, events = episodes finished. */
  sacTrainAsync(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, market: NativeBacktestOptions, o: NativeSacOptions,
    onProgress?: (p: NativeProgress) => void,
  ): NativeJob<NativeSacTrainResult>;
  /** SAC on the one-step problem reward -|a - diag(gains) s|^2; the trained actor's tanh(mean) at `states`. Blocks. */
  sacTrainControl(o: NativeSacOptions, gains: Float64Array, states: Float32Array): NativeSacMetrics & { actions: Float32Array; actor: Float32Array };
  sacMlpForward(widths: Float64Array, params: Float32Array, input: Float32Array): Float32Array;
  sacMlpBackward(widths: Float64Array, params: Float32Array, input: Float32Array, dOutput: Float32Array): { grad: Float32Array; dInput: Float32Array };
  sacAdamSteps(params: Float32Array, grads: Float32Array, lr: number, beta1: number, beta2: number, eps: number): Float32Array;
  sacLossGradients(args: NativeSacLossArgs): NativeSacLosses;
  /** The LOB env's episode returns under a constant action (episodes 0 .. n-1 = backtest paths). Blocks. */
  sacLobRollout(
    mu: Float64Array, alpha: Float64Array, beta: Float64Array, market: NativeBacktestOptions, action: Float32Array, count: { episodes: number },
    actionScale: number, actionOffset: number,
  ): Float64Array;
}

/**
 * trainPolicy's options: the defaults (the seed paper's SAC, stable-baselines3's for the rest)
 * and their checks, each refused with ERR_INVALID_OPTION naming the field and the value.
 * Depends on errors.ts, options.ts and native/ only.
 */
import { describe } from '../errors';
import { checkKeys, integerOption, isArrayLike, numberOption, optionError } from '../options';
import { LIMITS } from '../native/layouts';
import type { NativeSacOptions } from '../native';

/** Training progress, about every 100 ms. */
export interface TrainProgress {
  steps: number;
  totalSteps: number;
  episodes: number;
}

export interface TrainPolicyOptions {
  /** Environment steps (one backtest step of dt each, one update each after learningStarts). Default 1e6 (the paper). */
  steps?: number;
  /** Seed of the networks' initialisation, the exploration noise and the minibatches. Default 0. */
  seed?: number;
  /** Threads of an update, 1 or 2 (the twin critics side by side); the result is the same on either. Default 1. */
  threads?: number;
  /** Discount. Default 1 (the paper: episodes are T / dt steps and end). */
  gamma?: number;
  batchSize?: number;         // default 512 (the paper)
  learningRate?: number;      // default 3e-4 (the paper)
  hidden?: readonly number[]; // default [64, 64] ReLU (the paper)
  tau?: number;               // default 0.005
  bufferSize?: number;        // default 1e6
  learningStarts?: number;    // default 100: uniform random actions before the first update
  trainFreq?: number;         // default 1
  gradientSteps?: number;     // default 1
  initialAlpha?: number;      // default 1 (entropy coefficient, then tuned)
  targetEntropy?: number;     // default -2 (-action dimensions)
  /** Ticks of offset per unit of action: offsets = action * actionScale + actionOffset (ticks from the best bid and ask, the paper's action). Default 1 / tick (the paper's actions are +-1 in price). */
  actionScale?: number;
  actionOffset?: number;      // default 0
  /** Steps of uniform random actions whose spread and trend statistics set the z-scores (the paper's normalisation run). Default 10000. */
  calibrationSteps?: number;
  /** Steps per row of the loss log. Default max(1, round(steps / 1000)). */
  logInterval?: number;
  /** Also writes the policy file here. */
  path?: string;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export const TRAIN_OPTION_KEYS: ReadonlySet<string> = new Set([
  'steps', 'seed', 'threads', 'gamma', 'batchSize', 'learningRate', 'hidden', 'tau', 'bufferSize', 'learningStarts', 'trainFreq',
  'gradientSteps', 'initialAlpha', 'targetEntropy', 'actionScale', 'actionOffset', 'calibrationSteps', 'logInterval', 'path',
  'onProgress', 'signal',
]);

function hiddenOption(v: unknown): Float64Array {
  if (v === undefined) return Float64Array.of(64, 64);
  if (!isArrayLike(v) || v.length < 1 || v.length > LIMITS.maxSacHiddenLayers) {
    optionError(`hidden must be an array of 1 to ${LIMITS.maxSacHiddenLayers} layer widths, got ${describe(v)}`);
  }
  return Float64Array.from(Array.from(v as ArrayLike<unknown>, (w, i) => integerOption(w, `hidden[${i}]`, 0, 1, LIMITS.maxSacHiddenWidth)));
}

/** The native options of a run on a market with this tick. */
export function resolveTrainOptions(o: TrainPolicyOptions, tick: number): NativeSacOptions {
  checkKeys(o, TRAIN_OPTION_KEYS, 'trainPolicy option');
  const L = LIMITS;
  const steps = integerOption(o.steps, 'steps', 1_000_000, 1, L.maxSacSteps);
  const positive = (x: number) => x > 0;
  const probability = (x: number) => x >= 0 && x <= 1;
  return {
    steps,
    seed: integerOption(o.seed, 'seed', 0, 0, L.maxSafeInteger),
    threads: integerOption(o.threads, 'threads', 1, 1, L.maxSacThreads),
    gamma: numberOption(o.gamma, 'gamma', 1, probability, 'a number in [0, 1]'),
    batchSize: integerOption(o.batchSize, 'batchSize', 512, 1, L.maxSacBatch),
    learningRate: numberOption(o.learningRate, 'learningRate', 3e-4, (x) => x > 0 && x <= L.maxSacLearningRate, `a number in (0, ${L.maxSacLearningRate}]`),
    hidden: hiddenOption(o.hidden),
    tau: numberOption(o.tau, 'tau', 0.005, probability, 'a number in [0, 1]'),
    bufferSize: integerOption(o.bufferSize, 'bufferSize', 1_000_000, 1, L.maxSacBuffer),
    learningStarts: integerOption(o.learningStarts, 'learningStarts', 100, 0, L.maxSacSteps),
    trainFreq: integerOption(o.trainFreq, 'trainFreq', 1, 1, L.maxSacSteps),
    gradientSteps: integerOption(o.gradientSteps, 'gradientSteps', 1, 0, L.maxSacGradientSteps),
    initialAlpha: numberOption(o.initialAlpha, 'initialAlpha', 1, (x) => x > 0 && x <= L.maxSacInitialAlpha, `a number in (0, ${L.maxSacInitialAlpha}]`),
    targetEntropy: numberOption(o.targetEntropy, 'targetEntropy', -2, (x) => Math.abs(x) <= L.maxSacTargetEntropy, `a number in [-${L.maxSacTargetEntropy}, ${L.maxSacTargetEntropy}]`),
    actionScale: numberOption(o.actionScale, 'actionScale', Math.round(1 / tick), positive, 'a number of ticks > 0'),
    actionOffset: numberOption(o.actionOffset, 'actionOffset', 0, () => true, 'a finite number of ticks'),
    calibrationSteps: integerOption(o.calibrationSteps, 'calibrationSteps', 10_000, 1, L.maxSacCalibrationSteps),
    logInterval: integerOption(o.logInterval, 'logInterval', Math.max(1, Math.round(steps / 1000)), 1, L.maxSacSteps),
  };
}

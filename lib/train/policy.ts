/**
 * trainPolicy: native Soft Actor-Critic on the backtester's market, off the JS thread, writing
 * the policy file runBacktest({ strategy: { policy } }) runs. Depends on backtest/config.ts (the
 * market, read as runBacktest reads it), hawkes/simulate.ts (the async job pattern) and native/.
 */
import * as fs from 'node:fs';

import { describe } from '../errors';
import { optionError } from '../options';
import { prepare } from '../backtest/config';
import { runAsync } from '../hawkes/simulate';
import { native } from '../native';
import type { NativeSacOptions, NativeSacTrainResult } from '../native';
import type { BacktestConfig } from '../backtest/types';
import { resolveTrainOptions } from './options';
import type { TrainPolicyOptions } from './options';

export interface TrainPolicyMetrics {
  /** Per finished training episode: its return (sum of rewards dW - phi |q| dt) and the step it ended on. */
  episodeReturns: Float64Array;
  episodeEnds: Float64Array;
  /** Per logInterval steps with updates: the last step, mean critic loss, actor loss, alpha and policy entropy. */
  logStep: Float64Array;
  criticLoss: Float64Array;
  actorLoss: Float64Array;
  alpha: Float64Array;
  entropy: Float64Array;
}

export interface TrainPolicyResult {
  /** The policy file (safetensors): pass as runBacktest({ strategy: { policy } }). */
  policy: Uint8Array;
  /** Where it was written, when options.path was given. */
  path?: string;
  metrics: TrainPolicyMetrics;
  /** The z-scores the policy's inputs (inventory, spread in ticks, trend) were trained with (the file's input_mean / input_std). */
  inputMean: number[];
  inputStd: number[];
  steps: number;
  seconds: number;
  options: Readonly<Omit<NativeSacOptions, 'hidden'> & { hidden: number[] }>;
}

/**
 * Trains a market-making policy with SAC on the market `config` describes (a backtest config
 * without a strategy; its seed keys the training episodes: episode e is backtest path e, so test
 * a policy with another seed). Runs on native threads; the promise rejects with signal.reason
 * when aborted. Same options and seed give the same policy bytes, on 1 or 2 threads.
 */
export async function trainPolicy(config: BacktestConfig | Omit<BacktestConfig, 'strategy'> = {}, options: TrainPolicyOptions = {}): Promise<TrainPolicyResult> {
  if (config === null || typeof config !== 'object') optionError(`trainPolicy config must be a backtest config object, got ${describe(config)}`);
  if (options === null || typeof options !== 'object') optionError(`trainPolicy options must be an object, got ${describe(options)}`);
  if ('strategy' in config && (config as BacktestConfig).strategy !== undefined) {
    optionError('trainPolicy config must not name a strategy: the policy is what it trains');
  }
  const p = prepare({ ...config, strategy: 'sym' });
  const o = resolveTrainOptions(options, p.resolved.tick);
  const path = options.path;
  if (path !== undefined && (typeof path !== 'string' || path.length === 0)) optionError(`path must be a non-empty string, got ${describe(path)}`);
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') optionError(`onProgress must be a function, got ${describe(onProgress)}`);
  const h = p.process;
  const started = process.hrtime.bigint();
  const raw: NativeSacTrainResult = await runAsync(
    (progress) => native().addon.sacTrainAsync(h.mu, h.alpha, h.beta, p.native, o, progress),
    {
      signal: options.signal,
      onProgress: onProgress && ((q) => onProgress({ steps: q.pathsDone, totalSteps: q.paths, episodes: q.events })),
    },
    (r) => r,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (path !== undefined) fs.writeFileSync(path, raw.policy);
  return {
    policy: raw.policy,
    ...(path !== undefined ? { path } : {}),
    metrics: {
      episodeReturns: raw.episodeReturns, episodeEnds: raw.episodeEnds, logStep: raw.logStep, criticLoss: raw.criticLoss,
      actorLoss: raw.actorLoss, alpha: raw.alpha, entropy: raw.entropy,
    },
    inputMean: Array.from(raw.inputMean),
    inputStd: Array.from(raw.inputStd),
    steps: raw.stepsDone,
    seconds,
    options: Object.freeze({ ...o, hidden: Array.from(o.hidden) }),
  };
}

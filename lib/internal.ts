/**
 * 'hawkgraph/internal' (dist/internal.js): hooks for hawkgraph's own tests and benchmarks.
 * UNSUPPORTED: no semver promise; anything here may change or vanish in any release, and none of
 * it is in the public typings (dist/index.d.ts). Use the package's main entry point instead.
 */
import { native } from './native';
import type { NativeCpuPeak, NativeSacLossArgs, NativeSacOptions } from './native';
import { prepare } from './backtest/config';
import type { BacktestConfig } from './backtest/types';

export { native } from './native';
export type * from './native';
export { LAYOUTS, LIB_LIMITS, LIMITS } from './native/layouts';
/** The engine class itself (createEngine() builds one; its constructor takes a native engine). */
export { Engine } from './gnn/engine';
export { createHostTwinEngine } from './gnn/create';
export type { HostTwinOptions } from './gnn/create';
export { resolveEngineOptions } from './gnn/options';
export type { ResolvedEngineOptions } from './gnn/options';
export { runBacktestsTogether } from './backtest/run';

/**
 * Path `path` of a backtest config driven through the native step interface a trainer uses
 * (backtest::MarketMakingEnv: observe, act, one step, its reward), with the given decisions
 * [steps x 2] (bid and ask offsets in ticks, from the best prices with fromBest, else from the
 * mid; NaN: no quote). observations: [steps x 4] (inventory, bid, ask, trend; prices in ticks).
 */
export function backtestEnvRollout(config: BacktestConfig, path: number, decisions: Float64Array, fromBest: boolean) {
  const p = prepare(config);
  const h = p.process;
  return native().addon.backtestEnvRollout(h.mu, h.alpha, h.beta, { ...p.native, paths: 1, firstPath: path }, decisions, fromBest);
}

/** y = a x + y on the CUDA device (the CUDA tests' smoke test); ERR_CUDA without a device. */
export function cudaAxpy(a: number, x: Float32Array, y: Float32Array): void {
  native().addon.cudaAxpy(a, x, y);
}

/** The CPU kernel tables this machine runs, widest first. */
export function cpuKernels(): string[] {
  return native().addon.GnnEngine.cpuKernels();
}

/** Single-thread peak GFLOP/s of a kernel table, measured for about 2 x seconds (the benchmark's floors). */
export function measureCpuPeak(kernels: string, seconds: number): NativeCpuPeak {
  return native().addon.GnnEngine.measureCpuPeak(kernels, seconds);
}

/** SAC test hooks (lib/native/sac.ts): the MLP's passes, Adam, the SAC losses' gradients, the control problem. */
export const sacHooks = {
  mlpForward: (widths: number[], params: Float32Array, input: Float32Array) => native().addon.sacMlpForward(Float64Array.from(widths), params, input),
  mlpBackward: (widths: number[], params: Float32Array, input: Float32Array, dOutput: Float32Array) =>
    native().addon.sacMlpBackward(Float64Array.from(widths), params, input, dOutput),
  adamSteps: (params: Float32Array, grads: Float32Array, lr: number, beta1: number, beta2: number, eps: number) =>
    native().addon.sacAdamSteps(params, grads, lr, beta1, beta2, eps),
  lossGradients: (args: NativeSacLossArgs) => native().addon.sacLossGradients(args),
  /** The LOB env's returns under a constant action, on the market `config` describes (as trainPolicy reads it). */
  lobRollout: (config: BacktestConfig, action: [number, number], episodes: number, actionScale: number, actionOffset: number) => {
    const p = prepare({ ...config, strategy: 'sym' });
    const h = p.process;
    return native().addon.sacLobRollout(h.mu, h.alpha, h.beta, p.native, Float32Array.from(action), { episodes }, actionScale, actionOffset);
  },
  trainControl: (o: NativeSacOptions, gains: Float64Array, states: Float32Array) => native().addon.sacTrainControl(o, gains, states),
};
export { resolveTrainOptions } from './train/options';

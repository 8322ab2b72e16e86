/**
 * The typed surface of the native addon: every addon function and record layout lib uses is
 * declared under lib/native/ (gnn.ts, hawkes.ts, backtest.ts, layouts.ts), and native() is the
 * only way to reach them. Loading the binary is loader.ts's job alone. Depends on nothing outside
 * lib/native but errors.ts; nothing else in lib/ may name an addon function or cast the addon.
 */
import type { HawkgraphError } from '../errors';
import type { NativeBacktest } from './backtest';
import type { NativeDepth } from './depth';
import type { NativeBookStreamConstructor, NativeGnnEngineConstructor, NativeShadowConstructor } from './gnn';
import type { NativeHawkes } from './hawkes';
import type { NativeHawkesGof } from './hawkes-gof';
import type { NativeSac } from './sac';
import { LoadedBinary, loadNative } from './loader';

export type { LoadedBinary } from './loader';
export * from './gnn';
export * from './hawkes';
export * from './hawkes-gof';
export * from './backtest';
export * from './depth';
export * from './sac';
export { LAYOUTS, LIB_LIMITS, LIMITS } from './layouts';
export type { Layouts, Limits } from './layouts';

export interface NativeCpuReport {
  arch: string;
  model: string;
  features: Record<'sse42' | 'avx' | 'avx2' | 'fma' | 'f16c' | 'avx512f' | 'avx512dq' | 'avx512bw' | 'avx512vl' | 'avx512fp16' | 'avx512bf16' | 'sha', boolean>;
}

export interface CudaDevice {
  index: number;
  name: string;
  computeCapability: string;
  totalMemory: number;
  multiprocessors: number;
}

export interface NativeCudaReport {
  /** CUDA code is part of the loaded binary. */
  compiled: boolean;
  runtimeVersion: number;
  driverVersion: number;
  /** "ok", "no device", or the CUDA error that prevents use (e.g. cudaErrorInsufficientDriver). */
  status: string;
  devices: CudaDevice[];
}

export interface NativeRuntime {
  napiVersion: number;
  cpu: NativeCpuReport;
  cuda: NativeCudaReport;
}

export interface NativeAddon extends NativeHawkes, NativeHawkesGof, NativeBacktest, NativeDepth, NativeSac {
  GnnEngine: NativeGnnEngineConstructor;
  BookStream: NativeBookStreamConstructor;
  Shadow: NativeShadowConstructor;
  setErrorClass(errorClass: typeof HawkgraphError): void;
  runtime(): NativeRuntime;
  /** y = a x + y on the CUDA device (the CUDA tests' smoke test). */
  cudaAxpy(a: number, x: Float32Array, y: Float32Array): void;
  /** The limits and layouts native code uses (lib/native/layouts.ts mirrors them); not in every build yet. */
  constants?: () => { limits: Record<string, unknown>; layouts: Record<string, unknown> };
}

/** The loaded addon, typed, and which binary it came from (loaded once; ERR_NATIVE_LOAD). */
export function native(): { addon: NativeAddon; binary: LoadedBinary } {
  return loadNative() as { addon: NativeAddon; binary: LoadedBinary };
}

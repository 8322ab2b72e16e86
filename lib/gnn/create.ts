/**
 * createEngine(): options checked (options.ts), the model read (model.ts), the native engine
 * built with every buffer preallocated. Also the host-twin engine hawkgraph's own tests build
 * (exported only from lib/internal.ts).
 */
import { native } from '../native';
import type { NativeEngineOptions, NativeGnnEngine } from '../native';
import { Engine } from './engine';
import { readModel } from './model';
import { EngineOptions, FallbackEvent, resolveEngineOptions } from './options';

/** Loads a model and builds an engine with every buffer preallocated. */
export function createEngine(options: EngineOptions): Engine {
  const resolved = resolveEngineOptions(options);
  const bytes = readModel(resolved.model);
  const { addon, binary } = native();
  return new Engine(
    (onFallback) => new addon.GnnEngine(bytes, resolved.backend, resolved.native, onFallback),
    binary,
    resolved.stream,
    resolved.onFallback,
  );
}

/** The host twin's options: the CUDA options, plus the twin's fault and skip switches. */
export interface HostTwinOptions {
  precision: 'fp32' | 'fp16';
  fallback?: 'none' | 'cpu';
  /** Host threads that stage a batch. */
  threads?: number;
  /** The twin's Nth run (0-based) fails as a lost device would (cudaErrorDevicesUnavailable). */
  twinFaultAfter?: number;
  /** Stage and unpack, compute nothing: zero outputs (benchmarks of the staging). */
  twinSkipKernels?: boolean;
}

/**
 * An engine on the 'cuda-host-twin' backend (the CUDA path's staging and per-element math on the
 * host), wired as createEngine wires a CUDA engine; `native` is its native engine, whose info()
 * has the live counters. Not checked as createEngine checks: for hawkgraph's own tests.
 */
export function createHostTwinEngine(
  model: Uint8Array,
  options: HostTwinOptions,
  onFallback?: (event: FallbackEvent) => void,
): { engine: Engine; native: NativeGnnEngine } {
  const { addon, binary } = native();
  const nativeOptions: NativeEngineOptions = { fallback: 'none', singleBook: 'auto', ...options };
  let nativeEngine: NativeGnnEngine | undefined;
  const engine = new Engine(
    (hook) => (nativeEngine = new addon.GnnEngine(model, 'cuda-host-twin', nativeOptions, hook)),
    binary,
    undefined,
    onFallback,
  );
  return { engine, native: nativeEngine! };
}

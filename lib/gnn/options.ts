/**
 * createEngine's options: a union discriminated by `backend`, so each backend's options sit in
 * their own object (`cpu`, `cuda`) and TypeScript refuses CUDA options on a CPU engine; the flat
 * fields of hawkgraph 0.1 are still accepted (deprecated) and mapped onto that shape in one
 * place, resolveEngineOptions(). Everything is checked here, before the model is read, so
 * native code sees only well-typed values.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import type { NativeEngineOptions } from '../native';
import { LIMITS } from '../native/layouts';
import { checkKeys, optionError } from '../options';
import { ResolvedStreamOptions, StreamOptions, resolveStreamOptions } from './stream-types';

export type Precision = 'fp32' | 'fp16' | 'bf16';
export type CpuKernels = 'auto' | 'amx' | 'avx512' | 'avx2' | 'portable';

/** The CPU backend's options. */
export interface CpuOptions {
  /**
   * Threads for predictBatch(), the calling thread included (1 to 256, default 1). Workers are
   * created once with the engine; predict() always runs on the calling thread.
   */
  threads?: number;
  /**
   * The SIMD kernel table. 'auto' (default) takes $HAWKGRAPH_CPU_KERNELS when set, else the
   * widest this CPU runs; 'amx' (AVX-512 with the large layers on AMX tiles), 'avx512', 'avx2' or
   * 'portable' force one (ERR_BACKEND_UNAVAILABLE when the CPU or OS lacks it).
   */
  kernels?: CpuKernels;
  /** The algebraic folds computed at load (default true); false runs every layer as written (slower, for comparison). */
  folds?: boolean;
}

/** What onFallback receives when a mid-run CUDA failure moved the engine to the CPU. */
export interface FallbackEvent {
  from: 'cuda';
  to: 'cpu';
  reason: string;
}

/** The CUDA backend's options. */
export interface CudaOptions {
  /**
   * What a CUDA failure does, at creation or mid-run (device lost, out of memory, a kernel that
   * stops answering). 'none' (default): throw HawkgraphError (ERR_CUDA, with the CUDA error
   * name). 'cpu': continue on the CPU backend; engine.info then says backend 'cpu' and gives
   * fallbackReason, and onFallback is called once (after the call that failed has completed on the CPU).
   */
  fallback?: 'none' | 'cpu';
  /** Called once when a mid-run CUDA failure moved the engine to the CPU (fallback 'cpu'). */
  onFallback?: (event: FallbackEvent) => void;
  /**
   * How predict() runs a single book. 'auto' (default) times both at creation and keeps the
   * faster; 'persistent': a kernel started with the engine polls mapped host memory (no launch or
   * copy call per prediction; it leaves after 100 ms idle and restarts on the next call);
   * 'graph': a replay of the captured batch-1 graph.
   */
  singleBook?: 'auto' | 'persistent' | 'graph';
  /** Host threads that validate and stage a predictBatch()'s books (1 to 256, default 1). */
  hostThreads?: number;
}

interface CommonEngineOptions {
  /** A safetensors file path, or its bytes. */
  model: string | Uint8Array;
  /** The stream that submit() opens on first use: batching, symbol limit, stats period. */
  stream?: StreamOptions;
}

// The 0.1 flat fields, which the backend-shaped options do not take.
interface WithoutFlatFields {
  threads?: never;
  kernels?: never;
  folds?: never;
  fallback?: never;
  onFallback?: never;
  singleBook?: never;
}

/** An engine on the CPU. */
export interface CpuEngineOptions extends CommonEngineOptions, WithoutFlatFields {
  backend: 'cpu';
  /**
   * 'fp32' (default); 'fp16' and 'bf16' store the large layers' weights in half size and
   * accumulate in fp32 ('bf16' uses AVX-512 BF16 dot products where the CPU has them, rounding
   * activations to bf16 as well).
   */
  precision?: Precision;
  cpu?: CpuOptions;
  cuda?: never;
}

/** An engine on a CUDA device; without a usable one, ERR_BACKEND_UNAVAILABLE unless cuda.fallback is 'cpu'. */
export interface CudaEngineOptions extends CommonEngineOptions, WithoutFlatFields {
  backend: 'cuda';
  /** 'fp16' (default: tensor cores, fp32 accumulation) or 'fp32' (fp32 kernels). */
  precision?: 'fp32' | 'fp16';
  cuda?: CudaOptions;
  cpu?: never;
}

/**
 * CUDA when this build has GPU kernels and a usable device (and precision is not 'bf16', a
 * CPU-only mode), else the CPU; engine.info.backend says which. Each backend's options apply
 * when it is the one chosen; precision defaults as that backend's does.
 */
export interface AutoEngineOptions extends CommonEngineOptions, WithoutFlatFields {
  backend?: 'auto';
  precision?: Precision;
  cpu?: CpuOptions;
  cuda?: CudaOptions;
}

/**
 * @deprecated The 0.1 flat form: give `cpu: { threads, kernels, folds }` or
 * `cuda: { fallback, onFallback, singleBook, hostThreads }` instead. Still accepted, with the
 * meaning it had: `threads` is the CPU's predictBatch threads or CUDA's host staging threads.
 */
export interface FlatEngineOptions extends CommonEngineOptions {
  backend?: 'auto' | 'cpu' | 'cuda';
  precision?: Precision;
  /** @deprecated cpu.threads, or cuda.hostThreads */
  threads?: number;
  /** @deprecated cpu.kernels */
  kernels?: CpuKernels;
  /** @deprecated cpu.folds */
  folds?: boolean;
  /** @deprecated cuda.fallback */
  fallback?: 'none' | 'cpu';
  /** @deprecated cuda.onFallback */
  onFallback?: (event: FallbackEvent) => void;
  /** @deprecated cuda.singleBook */
  singleBook?: 'auto' | 'persistent' | 'graph';
  cpu?: never;
  cuda?: never;
}

export type EngineOptions = CpuEngineOptions | CudaEngineOptions | AutoEngineOptions | FlatEngineOptions;

/** createEngine's options, checked: what the native engine is built with. */
export interface ResolvedEngineOptions {
  model: unknown;
  stream: ResolvedStreamOptions;
  backend: 'auto' | 'cpu' | 'cuda';
  native: NativeEngineOptions;
  onFallback?: (event: FallbackEvent) => void;
}

const FLAT_CPU = ['threads', 'kernels', 'folds'] as const;
const FLAT_CUDA = ['fallback', 'onFallback', 'singleBook'] as const;
const ENGINE_OPTIONS = new Set(['model', 'stream', 'backend', 'precision', ...FLAT_CUDA, ...FLAT_CPU, 'cpu', 'cuda']);
const CPU_OPTIONS = new Set(['threads', 'kernels', 'folds']);
const CUDA_OPTIONS = new Set(['fallback', 'onFallback', 'singleBook', 'hostThreads']);
const CPU_KERNELS = new Set(['auto', 'amx', 'avx512', 'avx2', 'portable']);

function resolveBackend(requested: unknown, precision: unknown): 'cpu' | 'cuda' | 'auto' {
  switch (requested) {
    case undefined:
    case 'auto':
      // bf16 is a CPU mode; otherwise native code tries CUDA and falls back to the CPU.
      return precision === 'bf16' ? 'cpu' : 'auto';
    case 'cpu':
      return 'cpu';
    case 'cuda':
      if (precision === 'bf16') {
        optionError("precision 'bf16' is not available on the cuda backend; use 'fp16' or 'fp32'");
      }
      return 'cuda';
    default:
      return optionError(`backend must be 'auto', 'cpu' or 'cuda', got ${describe(requested)}`);
  }
}

function checkPrecision(requested: unknown): void {
  if (requested === undefined || requested === 'fp32' || requested === 'fp16' || requested === 'bf16') return;
  optionError(`precision must be 'fp32', 'fp16' or 'bf16', got ${describe(requested)}`);
}

function checkThreads(v: unknown, field: string): number | undefined {
  const min = 1, max = LIMITS.maxEngineThreads;
  if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) {
    optionError(`${field} must be an integer from ${min} to ${max}, got ${describe(v)}`);
  }
  return v as number | undefined;
}

// `prefix` names the fields as the caller wrote them: 'cpu.' in the backend-shaped form, '' in the flat one.
function checkCpu(o: CpuOptions, prefix: string): CpuOptions {
  const { kernels, folds } = o;
  if (kernels !== undefined && !CPU_KERNELS.has(kernels as string)) {
    optionError(`${prefix}kernels must be 'auto', 'amx', 'avx512', 'avx2' or 'portable', got ${describe(kernels)}`);
  }
  if (folds !== undefined && typeof folds !== 'boolean') optionError(`${prefix}folds must be a boolean, got ${describe(folds)}`);
  return { threads: checkThreads(o.threads, `${prefix}threads`), kernels, folds };
}

function checkCuda(o: CudaOptions, prefix: string, threadsField: string): CudaOptions {
  const { fallback = 'none', singleBook = 'auto', onFallback } = o;
  if (fallback !== 'none' && fallback !== 'cpu') optionError(`${prefix}fallback must be 'none' or 'cpu', got ${describe(fallback)}`);
  if (singleBook !== 'auto' && singleBook !== 'persistent' && singleBook !== 'graph') {
    optionError(`${prefix}singleBook must be 'auto', 'persistent' or 'graph', got ${describe(singleBook)}`);
  }
  if (onFallback !== undefined && typeof onFallback !== 'function') optionError(`${prefix}onFallback must be a function, got ${describe(onFallback)}`);
  return { fallback, singleBook, onFallback, hostThreads: checkThreads(o.hostThreads, threadsField) };
}

// A `cpu` or `cuda` object, copied once (its getters run once) with its keys checked.
function backendObject<T extends object>(v: unknown, name: 'cpu' | 'cuda', known: ReadonlySet<string>): T {
  if (v === undefined) return {} as T;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) optionError(`${name} must be an options object, got ${describe(v)}`);
  const copy = { ...(v as T) };
  checkKeys(copy, known, `${name} option`);
  return copy;
}

/**
 * The compatibility mapping, the one place the two forms meet: the backend-shaped `cpu` and
 * `cuda` objects as given, or the same objects built from the 0.1 flat fields (where `threads`
 * meant the CPU's batch threads and CUDA's staging threads alike). Mixing the forms is refused.
 */
function backendOptions(o: Record<string, unknown>, backend: 'auto' | 'cpu' | 'cuda', requested: unknown): { cpu: CpuOptions; cuda: CudaOptions } {
  const flat = [...FLAT_CPU, ...FLAT_CUDA].filter((key) => o[key] !== undefined);
  if (o.cpu === undefined && o.cuda === undefined) {
    const cpu = checkCpu({ threads: o.threads, kernels: o.kernels, folds: o.folds } as CpuOptions, '');
    const cuda = checkCuda({ fallback: o.fallback, onFallback: o.onFallback, singleBook: o.singleBook } as CudaOptions, '', 'threads');
    return { cpu, cuda: { ...cuda, hostThreads: cpu.threads } };
  }
  if (flat.length > 0) {
    optionError(`${flat.map((k) => JSON.stringify(k)).join(', ')} ${flat.length > 1 ? 'are' : 'is'} the deprecated flat form of the cpu / cuda options; give them inside cpu or cuda, not beside them`);
  }
  // The backend as asked: 'auto' with bf16 resolves to the CPU but still takes both objects.
  const asked = requested ?? 'auto';
  if (asked === 'cpu' && o.cuda !== undefined) optionError("cuda options apply to backend 'cuda' or 'auto', not 'cpu'");
  if (asked === 'cuda' && o.cpu !== undefined) optionError("cpu options apply to backend 'cpu' or 'auto', not 'cuda'");
  const cpu = checkCpu(backendObject<CpuOptions>(o.cpu, 'cpu', CPU_OPTIONS), 'cpu.');
  const cuda = checkCuda(backendObject<CudaOptions>(o.cuda, 'cuda', CUDA_OPTIONS), 'cuda.', 'cuda.hostThreads');
  if (backend === 'auto' && cpu.threads !== undefined && cuda.hostThreads !== undefined && cpu.threads !== cuda.hostThreads) {
    // The addon takes one thread count for whichever backend it picks.
    optionError(`with backend 'auto', cpu.threads (${cpu.threads}) and cuda.hostThreads (${cuda.hostThreads}) must be equal or only one given`);
  }
  return { cpu, cuda };
}

/** The native engine's one thread count: the chosen backend's. */
function nativeThreads(backend: 'auto' | 'cpu' | 'cuda', cpu: CpuOptions, cuda: CudaOptions): number | undefined {
  if (backend === 'cpu') return cpu.threads;
  if (backend === 'cuda') return cuda.hostThreads;
  return cpu.threads ?? cuda.hostThreads;
}

/**
 * Reads createEngine's options once (a getter or Proxy trap that throws is ERR_INVALID_OPTION,
 * and no option can change between its check and its use) and checks all of them.
 */
export function resolveEngineOptions(userOptions: unknown): ResolvedEngineOptions {
  if (userOptions === null || typeof userOptions !== 'object') {
    throw new HawkgraphError('ERR_INVALID_OPTION', `createEngine expects an options object, got ${describe(userOptions)}`);
  }
  return readInput('ERR_INVALID_OPTION', 'engine options', () => {
    const o: Record<string, unknown> = { ...userOptions };
    checkKeys(o, ENGINE_OPTIONS, 'option');
    const backend = resolveBackend(o.backend, o.precision);
    checkPrecision(o.precision);
    const { cpu, cuda } = backendOptions(o, backend, o.backend);
    const native: NativeEngineOptions = {
      precision: o.precision as Precision | undefined,
      threads: nativeThreads(backend, cpu, cuda),
      kernels: cpu.kernels,
      folds: cpu.folds,
      fallback: cuda.fallback!,
      singleBook: cuda.singleBook!,
    };
    return { model: o.model, stream: resolveStreamOptions(o.stream), backend, native, onFallback: cuda.onFallback };
  });
}


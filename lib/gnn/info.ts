/**
 * engine.info: what an engine runs (backend, precision, the model's sizes, the CPU kernels or the
 * CUDA device and plan), built from the native engine's own info() each time it changes.
 */
import type { LoadedBinary, NativeEngineInfo } from '../native';
import type { Precision } from './options';

export interface EngineInfo {
  /**
   * The backend that runs predictions now. 'cuda-host-twin' is the CUDA path's staging and math
   * run on the host; only engines built through the unsupported `hawkgraph/internal` entry
   * point (hawkgraph's own tests and benchmarks) report it.
   */
  backend: 'cpu' | 'cuda' | 'cuda-host-twin';
  precision: Precision;
  /** Book depth the model was trained on (L); books may have fewer levels. */
  levels: number;
  nodeFeatures: number;
  hidden: number;
  /** Embedding size (hidden / 2). */
  embed: number;
  heads: number;
  attention: 'pooled' | 'levels';
  /** CPU: the kernel table in use ('amx', 'avx512', 'avx2', 'portable'). */
  kernels?: string;
  /** CPU: threads predictBatch() uses. CUDA: host threads that validate and stage its books. */
  threads?: number;
  /** CPU: multiply-adds of one forward pass at full depth, as computed (folded) and as written. */
  macs?: { folded: number; asWritten: number };
  /** The CUDA device in use, when backend is 'cuda'. */
  device?: string;
  /** Why the engine runs on the CPU although CUDA was asked for or allowed ('auto', cuda.fallback 'cpu'). */
  fallbackReason?: string;
  /**
   * CUDA: the plan and counters (tileBooks, sharedMemoryBytes, inputBytesPerBook,
   * outputBytesPerBook, persistentSingle, singleGraphMedianNs, singlePersistentMedianNs, bucketRunsN...).
   */
  backendStats?: Readonly<Record<string, number>>;
  metadata: Readonly<Record<string, string>>;
  /** The running model: SHA-256 (hex) of its file's bytes; every prediction carries it. */
  modelId: string;
  /** The running model's metadata `name`, when its file has one. */
  modelName?: string;
  binary: LoadedBinary;
}

// CUDA fields of the native info (absent for other backends). A staging backend reports its host
// threads without a kernel table.
function cudaInfo(info: NativeEngineInfo): Pick<EngineInfo, 'device' | 'fallbackReason' | 'backendStats' | 'threads'> {
  const out: Pick<EngineInfo, 'device' | 'fallbackReason' | 'backendStats' | 'threads'> = {};
  if (info.kernels === undefined && info.threads !== undefined) out.threads = info.threads;
  if (info.device !== undefined) out.device = info.device;
  if (info.fallbackReason !== undefined) out.fallbackReason = info.fallbackReason;
  if (info.backendStats !== undefined) out.backendStats = Object.freeze({ ...info.backendStats });
  return out;
}

// CPU fields of the native info (absent for other backends).
function cpuInfo(info: NativeEngineInfo): Pick<EngineInfo, 'kernels' | 'threads' | 'macs'> {
  return info.kernels === undefined ? {} : { kernels: info.kernels, threads: info.threads, macs: info.macs };
}

/** engine.info from the native engine's info(): frozen, the binary named. */
export function engineInfo(info: NativeEngineInfo, binary: LoadedBinary): Readonly<EngineInfo> {
  return Object.freeze({
    backend: info.backend,
    precision: info.precision,
    ...cpuInfo(info),
    ...cudaInfo(info),
    levels: info.levels,
    nodeFeatures: info.nodeFeatures,
    hidden: info.hidden,
    embed: info.embed,
    heads: info.heads,
    attention: info.attention,
    metadata: Object.freeze({ ...info.metadata }),
    modelId: info.modelId,
    ...(info.modelName === undefined ? {} : { modelName: info.modelName }),
    binary,
  });
}

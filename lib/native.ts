/**
 * Loads the native addon and describes its surface in one place (the only file that knows the
 * addon's raw signatures). Order: $HAWKGRAPH_NATIVE, a prebuild for this platform, the local
 * build. When nothing loads, one HawkgraphError lists every attempt and how to fix it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { HawkgraphError } from './errors';

export type BackendName = 'cpu' | 'cuda';

export interface NativeEngineInfo {
  backend: BackendName;
  precision: 'fp32' | 'fp16' | 'bf16';
  levels: number;
  nodeFeatures: number;
  hidden: number;
  embed: number;
  heads: number;
  attention: 'pooled' | 'levels';
  edges: number;
  rowWidth: number;
  metadata: Record<string, string>;
  /** The CUDA device, when the backend is 'cuda'. */
  device?: string;
  /** Why CUDA was not used (or stopped being used) although it was asked for or allowed. */
  fallbackReason?: string;
  /** Backend plan and counters (the CUDA backend's buckets, bytes per book, single-book path). */
  backendStats?: Record<string, number>;
}

/** The result columns native predictBatch writes (a BatchPrediction's arrays). */
export interface NativeBatchColumns {
  direction: Uint8Array;
  logits: Float64Array;
  probs: Float64Array;
  confidence: Float64Array;
  magnitude: Float64Array;
  volatility: Float64Array;
  levelsUsed: Int32Array;
  embedding?: Float32Array;
}

export interface NativeGnnEngine {
  info(): NativeEngineInfo;
  predict(
    bidPx: Float64Array, bidSz: Float64Array, bidCount: number,
    askPx: Float64Array, askSz: Float64Array, askCount: number,
    row: Float64Array,
  ): void;
  /** Writes the results of `count` packed books into `out`'s columns (embedding only when present). */
  predictBatch(packed: Float64Array, counts: Int32Array, count: number, out: NativeBatchColumns): void;
  nodeFeatures(
    bidPx: Float64Array, bidSz: Float64Array, bidCount: number,
    askPx: Float64Array, askSz: Float64Array, askCount: number,
  ): Float64Array;
  close(): void;
}

/** The streaming side of an engine (native/addon/stream_wrap.cpp). */
export interface NativeBookStream {
  /** Returns the book's seq; writes the superseded book's seq (or 0) to submitOut[0]. */
  submit(
    symbol: number,
    bidPx: Float64Array, bidSz: Float64Array, bidCount: number,
    askPx: Float64Array, askSz: Float64Array, askCount: number,
    ts: number,
  ): number;
  /** Starts closing; returns the [symbol, seq] pairs it discarded (none when draining). */
  close(drain: boolean): Float64Array;
  /** submitted, superseded, discarded, queued, inFlight, inDelivery, released, batches. */
  counters(out: Float64Array): void;
}

export interface NativeBookStreamConstructor {
  new (
    engine: NativeGnnEngine, maxBatch: number, maxWaitUs: number, maxSymbols: number,
    dispatch: (count: number, dispatchNs: number, errorCode?: string, errorMessage?: string) => void,
    onFinish: () => void,
    inbox: Float64Array, submitOut: Float64Array, spinUs: number,
  ): NativeBookStream;
}

export interface NativeCpuReport {
  arch: string;
  model: string;
  features: Record<'sse42' | 'avx' | 'avx2' | 'fma' | 'f16c' | 'avx512f' | 'avx512dq' | 'avx512bw' | 'avx512vl' | 'avx512fp16' | 'avx512bf16', boolean>;
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

export interface NativeAddon {
  GnnEngine: new (modelBytes: Uint8Array, backend: BackendName) => NativeGnnEngine;
  BookStream: NativeBookStreamConstructor;
  setErrorClass(errorClass: typeof HawkgraphError): void;
  runtime(): NativeRuntime;
  cudaAxpy(a: number, x: Float32Array, y: Float32Array): void;
}

export interface LoadedBinary {
  path: string;
  source: 'env' | 'prebuild' | 'local-build';
}

const packageRoot = path.resolve(__dirname, '..');

function candidates(): LoadedBinary[] {
  const list: LoadedBinary[] = [];
  const fromEnv = process.env.HAWKGRAPH_NATIVE;
  if (fromEnv) list.push({ path: path.resolve(fromEnv), source: 'env' });
  const prebuildDir = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(prebuildDir)) {
    const files = fs.readdirSync(prebuildDir).filter((f) => f.endsWith('.node'));
    files.sort((a, b) => Number(b.includes('napi')) - Number(a.includes('napi')));
    for (const f of files) list.push({ path: path.join(prebuildDir, f), source: 'prebuild' });
  } else {
    list.push({ path: path.join(prebuildDir, '*.node'), source: 'prebuild' });
  }
  for (const config of ['Release', 'Debug']) {
    list.push({ path: path.join(packageRoot, 'build', config, 'hawkgraph.node'), source: 'local-build' });
  }
  return list;
}

function loadFailure(attempts: string[]): HawkgraphError {
  const fixes = [
    'Rebuild from source: `npm rebuild hawkgraph` (needs cmake >= 3.20 and a C++17 compiler; nvcc is optional).',
    'Check that the Node.js version supports Node-API 8 (Node >= 20.17).',
    'Point HAWKGRAPH_NATIVE at a hawkgraph.node built for this platform.',
  ];
  return new HawkgraphError(
    'ERR_NATIVE_LOAD',
    `could not load the hawkgraph native addon for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
      `Tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}\nPossible solutions:\n${fixes.map((f) => `  - ${f}`).join('\n')}`,
  );
}

let loaded: { addon: NativeAddon; binary: LoadedBinary } | undefined;

export function native(): { addon: NativeAddon; binary: LoadedBinary } {
  if (loaded) return loaded;
  const attempts: string[] = [];
  for (const c of candidates()) {
    if (!fs.existsSync(c.path)) {
      attempts.push(`${c.source}: ${c.path} (not found)`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const addon = require(c.path) as NativeAddon;
      addon.setErrorClass(HawkgraphError);
      loaded = { addon, binary: c };
      return loaded;
    } catch (err) {
      attempts.push(`${c.source}: ${c.path} (${(err as Error).message.split('\n')[0]})`);
    }
  }
  throw loadFailure(attempts);
}

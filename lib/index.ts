/**
 * hawkgraph: in-process order-book GNN inference (and, in later modules, Hawkes simulation) for
 * Node.js trading bots. See README.md for the API tour.
 */
import { native } from './native';
import type { CudaDevice, LoadedBinary, NativeCpuReport, NativeCudaReport } from './native';

export { HawkgraphError } from './errors';
export type { HawkgraphErrorCode } from './errors';
export type { Book, BookSlot, NestedBook, TypedBook, PriceLevel } from './book';
export { BookBatch } from './book';
export { normalizeBook } from './normalize';
export type { BookChanges, NormalizedBook, NormalizeOptions } from './normalize';
export { createEngine, Engine, DIRECTIONS, exampleModelPath } from './engine';
export type {
  DropReason, DroppedEvent, EngineEvents, LatencySummary, PredictionEvent, StreamOptions, StreamStats, SubmitOptions,
} from './stream';
export type { BatchOptions, BatchPrediction, CloseOptions, Direction, EngineInfo, EngineOptions, Prediction, PredictOptions } from './engine';
export type { CudaDevice, LoadedBinary, NativeCpuReport as CpuReport, NativeCudaReport as CudaReport };
export { HawkesProcess, HawkesIntensity, LOB_EVENT_TYPES } from './hawkes';
export type {
  HawkesFit, HawkesFitOptions, HawkesParams, HawkesProcessOptions, HawkesSimulation, HawkesStats, LobEventType, Matrix,
  SimulateAsyncOptions, SimulateOptions, SimulationMethod, SimulationProgress,
} from './hawkes';
export { LobModel } from './lob';
export type { LobJumps, LobModelOptions, LobSimulation } from './lob';
export {
  runBacktest, runBacktestAsync, runStudy, runStudyAsync, glftOffsets, computeMetrics, resolveBacktestConfig, quantileSorted,
  DEFAULT_LOB_HAWKES, DEFAULT_LOB_JUMPS,
} from './backtest';
export { renderReport, kde } from './report';
export type { ReportOptions } from './report';
export type {
  BacktestAsyncOptions, BacktestConfig, BacktestMetrics, BacktestPaths, BacktestRecords, BacktestResult, GlftParams, LinParams, PnlOverTime,
  ResolvedBacktestConfig, Strategy, StrategyAction, StrategyCallback, StrategyState, StudyAsyncOptions, StudyConfig, StudyResult, StudyRow,
} from './backtest';

export interface RuntimeReport {
  /** Which native binary loaded, and from where. */
  binary: LoadedBinary;
  napiVersion: number;
  /** CPU model and the instruction-set features the kernels may use. */
  cpu: NativeCpuReport;
  /** Whether CUDA support was compiled in, the driver/runtime versions and any device found. */
  cuda: NativeCudaReport;
}

/** Describes the loaded native addon, the CPU and any CUDA device. */
export function runtime(): RuntimeReport {
  const { addon, binary } = native();
  return { binary, ...addon.runtime() };
}

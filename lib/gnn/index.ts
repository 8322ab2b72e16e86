/** GNN inference on order books: engines, books, batches, predictions and the stream. The public API. */
export { createEngine } from './create';
export type { Engine } from './engine';
export type { CloseOptions } from './engine';
export { exampleModelPath } from './model';
export { BookBatch } from './batch';
export type { BookSlot } from './batch';
export type { Book, NestedBook, PriceLevel, TypedBook } from './book';
export { normalizeBook } from './normalize';
export type { BookChanges, NormalizedBook, NormalizeOptions } from './normalize';
export type { EngineInfo } from './info';
export type {
  AutoEngineOptions, CpuEngineOptions, CpuKernels, CpuOptions, CudaEngineOptions, CudaOptions, EngineOptions, FallbackEvent,
  FlatEngineOptions, Precision,
} from './options';
export { DIRECTIONS } from './prediction';
export type { Direction, ModelRef, Prediction, PredictOptions } from './prediction';
export type { BatchOptions, BatchPrediction } from './results';
export type {
  DropReason, DroppedEvent, EngineEvents, FeatureDrift, LatencySummary, ModelSlot, PredictionEvent, ShadowEvent, ShadowOptions, ShadowStats, StreamOptions, StreamStats, SubmitOptions,
} from './stream-types';

export { BookRecorder } from './recorder';
export type { BookRecorderOptions, BookRecorderStats } from './recorder';
export { readDataset, writeDataset } from './file';
export type { Dataset, DatasetInput, WriteDatasetOptions } from './file';
export { labelBooks } from './labels';
export type { LabelOptions } from './labels';
export type { BookColumns, BookLabels } from './schema';

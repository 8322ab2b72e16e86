/**
 * Datasets of books (schema.ts has the format). apache-arrow loads on the first read or write,
 * not with the package: an engine that never records pays nothing for it.
 */
import type * as FileModule from './file';

export { BookRecorder } from './recorder';
export type { BookRecorderOptions, BookRecorderStats } from './recorder';
export type { Dataset, DatasetInput, WriteDatasetOptions } from './file';
export { labelBooks } from './labels';
export type { LabelOptions } from './labels';
export type { BookColumns, BookLabels } from './schema';

let files: typeof FileModule | undefined;
const fileModule = (): typeof FileModule => (files ??= require('./file') as typeof FileModule);

/** Writes books (DepthModel snapshots, labelled recordings) to one dataset file, atomically. */
export function writeDataset(...args: Parameters<typeof FileModule.writeDataset>): void {
  fileModule().writeDataset(...args);
}

/** Reads a dataset file, a recorder's unfinished `.partial` included (every whole batch in it). */
export function readDataset(file: string): FileModule.Dataset {
  return fileModule().readDataset(file);
}

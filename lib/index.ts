/**
 * hawkgraph: in-process order-book GNN inference, Hawkes simulation and market-making backtests
 * for Node.js trading bots. See README.md for the API tour. This file is the public API; test and
 * benchmark hooks are in lib/internal.ts (the unsupported 'hawkgraph/internal' entry point).
 */
import { native } from './native';
import type { CudaDevice, LoadedBinary, NativeCpuReport, NativeCudaReport } from './native';

export { HawkgraphError } from './errors';
export type { HawkgraphErrorCode } from './errors';

export * from './gnn';
export * from './hawkes';
export * from './backtest';
export * from './depth';
export * from './dataset';
export * from './train';
export * from './distributed';
export * from './ops';
export { runPaper, DRL_RETRAINED } from './paper/experiment';
export type { PaperOptions, PaperResult } from './paper/experiment';
export { PAPER_FEES, PAPER_REFERENCE } from './paper/reference';
export { renderReport, kde } from './report/html';
export type { ReportOptions } from './report/html';
export { renderFitReport } from './report/fit';
export type { FitReportFit, FitReportInput } from './report/fit';

export type { CudaDevice, LoadedBinary, NativeCpuReport as CpuReport, NativeCudaReport as CudaReport };

export interface RuntimeReport {
  /** Which native binary loaded, and from where. */
  binary: LoadedBinary;
  napiVersion: number;
  /** CPU model and the instruction-set features the kernels may use. */
  cpu: NativeCpuReport;
  /** Whether CUDA support was compiled in, the driver/runtime versions and any device found. */
  cuda: NativeCudaReport;
}

/**
 * Describes the loaded native addon, the CPU and any CUDA device. When the loader chose the CPU
 * prebuilt over the CUDA one, `cuda.status` says why (the binary itself only knows it has no CUDA).
 */
export function runtime(): RuntimeReport {
  const { addon, binary } = native();
  const report = addon.runtime();
  const cuda = binary.cudaUnavailable === undefined ? report.cuda : { ...report.cuda, status: binary.cudaUnavailable };
  return { binary, napiVersion: report.napiVersion, cpu: report.cpu, cuda };
}

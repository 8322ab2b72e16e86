import type { DepthSnapshots, TypedBook } from '../../dist/index.js';

/** Snapshot i of a DepthModel run as a typed book: its written levels only (columns past them are 0). */
export function snapshotBook(sim: Pick<DepthSnapshots, 'levels' | 'columns' | 'counts'>, i: number): TypedBook {
  const L = sim.levels, at = i * 4 * L, nb = sim.counts[2 * i], na = sim.counts[2 * i + 1];
  return {
    bidPx: sim.columns.subarray(at, at + nb), bidSz: sim.columns.subarray(at + L, at + L + nb),
    askPx: sim.columns.subarray(at + 2 * L, at + 2 * L + na), askSz: sim.columns.subarray(at + 3 * L, at + 3 * L + na),
  };
}

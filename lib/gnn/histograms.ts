/**
 * Latency histograms for streams, reused. A perf_hooks histogram holds about 180 KB of native
 * memory that V8 does not count, so an unreachable one is collected late: a bot that opens and
 * closes streams grew its RSS by ~60 KB a cycle (85 -> 169 MB over 1,400) with a small JS heap.
 * A closed stream hands its histogram back here and the next stream takes it, so their number is
 * bounded by the streams open at once.
 */
import { createHistogram, RecordableHistogram } from 'node:perf_hooks';

import type { LatencySummary } from './stream-types';

const spare: RecordableHistogram[] = [];

export function takeHistogram(): RecordableHistogram {
  return spare.pop() ?? createHistogram();
}

/** `h` must not be used by its giver afterwards. */
export function giveBackHistogram(h: RecordableHistogram): void {
  h.reset();
  spare.push(h);
}

/** The percentiles of `h` (all 0 when empty). */
export function latencySummary(h: RecordableHistogram): LatencySummary {
  const some = h.count > 0;
  return {
    count: h.count,
    min: some ? h.min : 0,
    p50: some ? h.percentile(50) : 0,
    p90: some ? h.percentile(90) : 0,
    p99: some ? h.percentile(99) : 0,
    p999: some ? h.percentile(99.9) : 0,
    max: some ? h.max : 0,
    mean: some ? h.mean : 0,
  };
}

/**
 * The online scores of one model: accuracy, log-loss, Brier score, the confusion matrix and a
 * reliability table, since start (running sums) and over a sliding window of its last scored
 * predictions (a ring, summed when a report is made); latency percentiles beside them. The
 * definitions are train/hawkgraph_train/evaluate.py's, so live and offline scores compare.
 * Latency histograms come from lib/gnn/histograms.ts's pool (each holds ~180 KB of native memory).
 */

import { giveBackHistogram, latencySummary, takeHistogram } from '../gnn/histograms';
import type { LatencySummary } from '../gnn/stream-types';

const CLASSES = ['down', 'flat', 'up'] as const;
// A probability is clipped here before its log (evaluate.py's clip).
const LOG_FLOOR = 1e-12;

/** One bin of the reliability table: books whose probability of `class` fell in `bin`. */
export interface ReliabilityBin {
  class: (typeof CLASSES)[number];
  /** [lo, hi): a probability p falls in bin min(bins - 1, floor(p * bins)). */
  bin: [number, number];
  books: number;
  /** Mean predicted probability of the class over the bin's books. */
  predicted: number;
  /** Share of the bin's books whose label is the class. */
  observed: number;
}

export interface Scores {
  /** Predictions scored (labelled). */
  predictions: number;
  /** Share whose direction equals the label (NaN when none is scored; so are the next two). */
  accuracy: number;
  /** Mean of -ln(max(p[label], 1e-12)). */
  logLoss: number;
  /** Mean over predictions of sum over classes of (p[c] - [c = label])^2, in [0, 2]. */
  brier: number;
  /** confusion[label][predicted]: counts, classes down, flat, up. */
  confusion: number[][];
  /** Per class, the bins that hold books (as evaluate.py's table). */
  reliability: ReliabilityBin[];
}

// Sums from which Scores are read: since start they grow; for a window they are rebuilt.
class ScoreSums {
  n = 0;
  correct = 0;
  logLoss = 0;
  brier = 0;
  readonly confusion = new Float64Array(9);
  // Per class c and bin b, at 3 * (c * bins + b): books, summed probability, books labelled c.
  readonly reliability: Float64Array;

  constructor(readonly bins: number) {
    this.reliability = new Float64Array(3 * 3 * bins);
  }

  add(label: number, predicted: number, p0: number, p1: number, p2: number): void {
    this.n++;
    if (label === predicted) this.correct++;
    const pl = label === 0 ? p0 : label === 1 ? p1 : p2;
    this.logLoss -= Math.log(Math.max(pl, LOG_FLOOR));
    this.brier += (p0 - (label === 0 ? 1 : 0)) ** 2 + (p1 - (label === 1 ? 1 : 0)) ** 2 + (p2 - (label === 2 ? 1 : 0)) ** 2;
    this.confusion[3 * label + predicted]++;
    this.#bin(0, p0, label);
    this.#bin(1, p1, label);
    this.#bin(2, p2, label);
  }

  #bin(c: number, p: number, label: number): void {
    const b = Math.min(this.bins - 1, Math.max(0, Math.floor(p * this.bins)));
    const at = 3 * (c * this.bins + b);
    this.reliability[at]++;
    this.reliability[at + 1] += p;
    if (label === c) this.reliability[at + 2]++;
  }

  scores(): Scores {
    const n = this.n, c = this.confusion, bins = this.bins;
    const reliability: ReliabilityBin[] = [];
    for (let k = 0; k < 3; k++) {
      for (let b = 0; b < bins; b++) {
        const at = 3 * (k * bins + b), books = this.reliability[at];
        if (books === 0) continue;
        reliability.push({ class: CLASSES[k], bin: [b / bins, (b + 1) / bins], books, predicted: this.reliability[at + 1] / books, observed: this.reliability[at + 2] / books });
      }
    }
    return {
      predictions: n,
      accuracy: n > 0 ? this.correct / n : NaN,
      logLoss: n > 0 ? this.logLoss / n : NaN,
      brier: n > 0 ? this.brier / n : NaN,
      confusion: [[c[0], c[1], c[2]], [c[3], c[4], c[5]], [c[6], c[7], c[8]]],
      reliability,
    };
  }
}

/** Latency of one model's predictions: since start in an HDR histogram; the window's last values exactly. */
export class LatencyRecord {
  readonly #sinceStart = takeHistogram();
  readonly #window: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(window: number) {
    this.#window = new Float64Array(window);
  }

  record(ns: number): void {
    this.#sinceStart.record(ns >= 1 ? Math.round(ns) : 1);
    this.#window[this.#next] = ns;
    this.#next = (this.#next + 1) % this.#window.length;
    if (this.#filled < this.#window.length) this.#filled++;
  }

  sinceStart(): LatencySummary {
    return latencySummary(this.#sinceStart);
  }

  /** Hands the histogram back to the pool; the record is not used afterwards. */
  release(): void {
    giveBackHistogram(this.#sinceStart);
  }

  /** The window's values, percentiles by nearest rank (the smallest value with at least q of them at or below it). */
  window(): LatencySummary {
    const n = this.#filled;
    if (n === 0) return { count: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    const v = this.#window.slice(0, n).sort();
    const rank = (q: number): number => v[Math.max(0, Math.ceil(q * n) - 1)];
    let sum = 0;
    for (let k = 0; k < n; k++) sum += v[k];
    return { count: n, min: v[0], p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), p999: rank(0.999), max: v[n - 1], mean: sum / n };
  }
}

/** One model's scores: running sums since start and a ring of its last `window` scored predictions. */
export class ModelScoreBook {
  readonly #sinceStart: ScoreSums;
  readonly #label: Int8Array;
  readonly #predicted: Int8Array;
  readonly #probs: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(window: number, readonly bins: number) {
    this.#sinceStart = new ScoreSums(bins);
    this.#label = new Int8Array(window);
    this.#predicted = new Int8Array(window);
    this.#probs = new Float64Array(3 * window);
  }

  add(label: number, predicted: number, p0: number, p1: number, p2: number): void {
    this.#sinceStart.add(label, predicted, p0, p1, p2);
    const k = this.#next;
    this.#label[k] = label;
    this.#predicted[k] = predicted;
    this.#probs[3 * k] = p0;
    this.#probs[3 * k + 1] = p1;
    this.#probs[3 * k + 2] = p2;
    this.#next = (k + 1) % this.#label.length;
    if (this.#filled < this.#label.length) this.#filled++;
  }

  sinceStart(): Scores {
    return this.#sinceStart.scores();
  }

  window(): Scores {
    const sums = new ScoreSums(this.bins);
    for (let k = 0; k < this.#filled; k++) sums.add(this.#label[k], this.#predicted[k], this.#probs[3 * k], this.#probs[3 * k + 1], this.#probs[3 * k + 2]);
    return sums.scores();
  }
}

/** How often two models agree on the same books. */
export interface AgreementScores {
  books: number;
  /** Share of books on which both predicted the same direction (NaN when none). */
  agreement: number;
  /** Mean total variation distance between their probabilities, (1/2) sum |p - q| (NaN when none). */
  meanTotalVariation: number;
}

/** Agreement between two models: since start and over the last `window` books both predicted. */
export class AgreementBook {
  #books = 0;
  #same = 0;
  #tv = 0;
  readonly #windowSame: Uint8Array;
  readonly #windowTv: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(window: number) {
    this.#windowSame = new Uint8Array(window);
    this.#windowTv = new Float64Array(window);
  }

  add(sameDirection: boolean, totalVariation: number): void {
    this.#books++;
    if (sameDirection) this.#same++;
    this.#tv += totalVariation;
    this.#windowSame[this.#next] = sameDirection ? 1 : 0;
    this.#windowTv[this.#next] = totalVariation;
    this.#next = (this.#next + 1) % this.#windowTv.length;
    if (this.#filled < this.#windowTv.length) this.#filled++;
  }

  sinceStart(): AgreementScores {
    const n = this.#books;
    return { books: n, agreement: n > 0 ? this.#same / n : NaN, meanTotalVariation: n > 0 ? this.#tv / n : NaN };
  }

  window(): AgreementScores {
    const n = this.#filled;
    let same = 0, tv = 0;
    for (let k = 0; k < n; k++) {
      same += this.#windowSame[k];
      tv += this.#windowTv[k];
    }
    return { books: n, agreement: n > 0 ? same / n : NaN, meanTotalVariation: n > 0 ? tv / n : NaN };
  }
}

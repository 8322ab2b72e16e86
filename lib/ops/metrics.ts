/**
 * Prometheus metrics of an engine through prom-client (an optional peer dependency, loaded on the
 * first registerMetrics()). A prediction costs a few array increments here: prom-client's own
 * labelled observe() is ~0.5 µs, over the 200 ns a prediction may spend on metrics, so counts
 * accumulate in typed arrays and are handed to prom-client when the registry is scraped; the
 * stream's counters, the model info, the online scores and the drift are read at the scrape too.
 * The names and labels are documented in docs/model-ops.md (a test checks them against a scrape).
 */
import type * as PromClient from 'prom-client';

import { HawkgraphError, describe } from '../errors';
import type { Engine } from '../gnn/engine';
import type { PredictionEvent, StreamStats } from '../gnn/stream-types';
import { checkKeys, isArrayLike, optionError } from '../options';
import { checkEngine } from './engine';
import type { ModelScorer } from './scorer';
import { optionalDependency } from '../optional-dependency';

/** What registerMetrics needs of a registry: a prom-client Registry (or one of its copies). */
export interface MetricsRegistry {
  registerMetric(metric: unknown): void;
  removeSingleMetric(name: string): void;
}

export interface MetricsOptions {
  /** Prepended to every name; default 'hawkgraph_'. */
  prefix?: string;
  /** Also export this scorer's online scores (createScorer). */
  scorer?: ModelScorer;
  /** Also export engine.featureDrift() per node feature; default true. */
  drift?: boolean;
  /** Upper bounds (seconds, increasing) of the latency and compute histograms' buckets. */
  latencyBuckets?: ArrayLike<number>;
}

/** registerMetrics()'s handle. */
export interface EngineMetrics {
  /** The metric names registered. */
  readonly names: readonly string[];
  /** Stops counting and removes the metrics from the registry. Idempotent. */
  close(): void;
}

// Submit-to-event latency reaches from microseconds (a spinning stream) to a loaded machine's tens of ms.
const DEFAULT_LATENCY_BUCKETS = [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
const DIRECTION_NAMES = ['down', 'flat', 'up'] as const;
const METRICS_OPTIONS = new Set(['prefix', 'scorer', 'drift', 'latencyBuckets']);
const DROP_REASONS = ['superseded', 'closed', 'error'] as const;
const SHADOW_DROP_REASONS = ['queueFull', 'closed', 'error'] as const;

/** prom-client, an optional peer dependency loaded on first use (lib/optional-dependency.ts). */
function promClient(): typeof PromClient {
  return optionalDependency<typeof PromClient>('prom-client', '^15', 'registerMetrics', [
    'if the bot has it, make sure hawkgraph resolves the same copy (one prom-client in node_modules: npm ls prom-client)',
    'pass the Registry of that copy: registerMetrics(engine, register, { prefix })',
  ]);
}

// Counts of one slot ('primary', 'B', a shadow), bumped per prediction: per direction, and the
// latency and compute histograms (per bucket, the last the overflow; values in ns).
class SlotCounts {
  readonly directions = new Float64Array(3);
  readonly latency: Float64Array;
  readonly compute: Float64Array;
  latencySumNs = 0;
  computeSumNs = 0;
  modelId = '';
  modelName: string | undefined;

  constructor(buckets: number) {
    this.latency = new Float64Array(buckets + 1);
    this.compute = new Float64Array(buckets + 1);
  }
}

interface HistogramSeries {
  labels: Record<string, string>;
  /** Per bucket (non-cumulative), the last past every bound. */
  counts: ArrayLike<number>;
  sum: number;
}

/**
 * A histogram prom-client's registry exposes, whose buckets are counted elsewhere and read at the
 * scrape: it implements what the registry calls on a metric (get, reset) with the values layout
 * of prom-client's own Histogram.
 */
class CollectedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: string[],
    readonly bounds: readonly number[],
    readonly read: () => HistogramSeries[],
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] }> {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.read()) {
      let acc = 0;
      for (let b = 0; b < this.bounds.length; b++) {
        acc += s.counts[b];
        values.push({ labels: { ...s.labels, le: this.bounds[b] }, value: acc, metricName: `${this.name}_bucket` });
      }
      acc += s.counts[this.bounds.length];
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: acc, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: acc, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  // The counts belong to the engine's stream; a registry reset does not rewind them.
  reset(): void {}
}

function readBuckets(v: unknown): number[] {
  if (v === undefined) return DEFAULT_LATENCY_BUCKETS;
  if (!isArrayLike(v) || v.length === 0 || v.length > 64) optionError(`latencyBuckets must be 1 to 64 increasing positive seconds, got ${describe(v)}`);
  const out = Array.from(v as ArrayLike<unknown>);
  out.forEach((b, k) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (k > 0 && b <= (out[k - 1] as number))) {
      optionError(`latencyBuckets[${k}] must be a finite number of seconds > 0 and above the one before, got ${describe(b)}`);
    }
  });
  return out as number[];
}

// One read per scrape: the registry collects every metric in one synchronous pass, so a value is
// read once and kept until the microtasks after that pass.
function perScrape<T>(read: () => T): () => T {
  let value: T | undefined;
  let fresh = false;
  return () => {
    if (!fresh) {
      value = read();
      fresh = true;
      queueMicrotask(() => {
        fresh = false;
        value = undefined;
      });
    }
    return value as T;
  };
}

function bucketOf(boundsNs: Float64Array, ns: number): number {
  let b = 0;
  while (b < boundsNs.length && ns > boundsNs[b]) b++;
  return b;
}

/**
 * Exports the engine's metrics to a prom-client registry: predictions by model and direction,
 * latency and compute histograms, batch sizes, submitted, dropped (by reason) and pending books,
 * the books each shadow was offered and dropped,
 * the model info, swaps, CUDA fallbacks, the online scores (with `scorer`) and input drift.
 * Throws ERR_MISSING_DEPENDENCY when prom-client is not installed, ERR_INVALID_ARGUMENT for a
 * registry that is not one, ERR_INVALID_OPTION for a bad option.
 */
export function registerMetrics(engine: Engine, registry: MetricsRegistry, options: MetricsOptions = {}): EngineMetrics {
  checkEngine(engine, 'registerMetrics');
  if (options === null || typeof options !== 'object') optionError(`registerMetrics options must be an object, got ${describe(options)}`);
  checkKeys(options, METRICS_OPTIONS, 'registerMetrics option');
  const prefix = options.prefix ?? 'hawkgraph_';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) optionError(`prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${describe(prefix)}`);
  const boundsS = readBuckets(options.latencyBuckets);
  const drift = options.drift ?? true;
  if (typeof drift !== 'boolean') optionError(`drift must be a boolean, got ${describe(drift)}`);
  const scorer = options.scorer;
  if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function' || typeof registry.removeSingleMetric !== 'function') {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', `registry must be a prom-client Registry (new Registry() or the default register), got ${describe(registry)}`);
  }
  const { Counter, Gauge } = promClient();
  const boundsNs = Float64Array.from(boundsS, (s) => s * 1e9);
  const slots = new Map<string, SlotCounts>();
  const batchCounts = new Float64Array(BATCH_BUCKETS.length + 1);
  let batchSum = 0;

  const onPrediction = (e: Pick<PredictionEvent, 'direction' | 'latencyNs' | 'computeNs' | 'modelId' | 'modelName'> & { model: string }): void => {
    let s = slots.get(e.model);
    if (s === undefined) {
      s = new SlotCounts(boundsNs.length);
      slots.set(e.model, s);
    }
    s.modelId = e.modelId;
    s.modelName = e.modelName;
    s.directions[e.direction === 'down' ? 0 : e.direction === 'flat' ? 1 : 2]++;
    s.latency[bucketOf(boundsNs, e.latencyNs)]++;
    s.latencySumNs += e.latencyNs;
    s.compute[bucketOf(boundsNs, e.computeNs)]++;
    s.computeSumNs += e.computeNs;
  };
  const batchBounds = Float64Array.from(BATCH_BUCKETS);
  const onStats = (stats: StreamStats): void => {
    const sizes = stats.batchSizes;
    for (let n = 1; n < sizes.length; n++) {
      if (sizes[n] === 0) continue;
      batchCounts[bucketOf(batchBounds, n)] += sizes[n];
      batchSum += n * sizes[n];
    }
  };
  // The stream's counters at this scrape (zeros before the first submit or once closed).
  const streamStats = perScrape((): StreamStats | undefined => (engine.closed ? undefined : engine.streamStats()));
  const names: string[] = [];
  const add = (name: string, m: unknown): void => {
    try {
      registry.registerMetric(m);
    } catch (err) {
      // Nothing stays half-registered: the metrics registered so far go again.
      for (const done of names) registry.removeSingleMetric(done);
      throw new HawkgraphError('ERR_INVALID_ARGUMENT', `registry refused metric ${name} (${(err as Error)?.message}): registerMetrics once per registry and prefix`, { cause: err });
    }
    names.push(name);
  };
  const counter = (name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, v: number) => void) => void): void => {
    add(prefix + name, new Counter({
      name: prefix + name, help, labelNames, registers: [],
      collect() {
        this.reset();
        read((labels, v) => this.inc(labels, v));
      },
    }));
  };
  const gauge = (name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, v: number) => void) => void): void => {
    add(prefix + name, new Gauge({
      name: prefix + name, help, labelNames, registers: [],
      collect() {
        this.reset();
        read((labels, v) => this.set(labels, v));
      },
    }));
  };

  counter('predictions_total', 'Predictions made, by model slot and predicted direction.', ['model', 'direction'], (set) => {
    for (const [model, s] of slots) for (let d = 0; d < 3; d++) set({ model, direction: DIRECTION_NAMES[d] }, s.directions[d]);
  });
  const histogram = (name: string, help: string, pick: (s: SlotCounts) => [Float64Array, number]): void => {
    add(prefix + name, new CollectedHistogram(prefix + name, help, ['model'], boundsS, () => [...slots].map(([model, s]) => {
      const [counts, sumNs] = pick(s);
      return { labels: { model }, counts, sum: sumNs / 1e9 };
    })));
  };
  histogram('prediction_latency_seconds', 'submit() to the prediction event, by model slot.', (s) => [s.latency, s.latencySumNs]);
  histogram('compute_seconds', "The forward pass of each prediction's batch, by model slot.", (s) => [s.compute, s.computeSumNs]);
  add(prefix + 'batch_size', new CollectedHistogram(prefix + 'batch_size', "Books per forward batch on the stream thread (from the engine's stats events).", [], BATCH_BUCKETS, () => [{ labels: {}, counts: batchCounts, sum: batchSum }]));
  counter('books_submitted_total', 'Books accepted by submit().', [], (set) => set({}, streamStats()?.submitted ?? 0));
  counter('books_dropped_total', 'Books dropped, by reason (superseded, closed, error).', ['reason'], (set) => {
    const d = streamStats()?.dropped;
    for (const reason of DROP_REASONS) set({ reason }, d?.[reason] ?? 0);
  });
  const shadows = perScrape(() => (engine.closed ? [] : engine.shadowStats()));
  counter('shadow_books_offered_total', 'Books the stream handed each shadow.', ['model'], (set) => {
    for (const s of shadows()) set({ model: s.name }, s.offered);
  });
  counter('shadow_books_dropped_total', "Books a shadow did not predict, by reason: queueFull (it fell behind), closed, error.", ['model', 'reason'], (set) => {
    for (const s of shadows()) for (const reason of SHADOW_DROP_REASONS) set({ model: s.name, reason }, s.dropped[reason]);
  });
  gauge('books_pending', 'Books accepted and neither predicted nor dropped yet.', [], (set) => set({}, streamStats()?.pending ?? 0));
  gauge('model_info', "The models answering, by slot: their id (SHA-256) and name, and the engine's levels, precision and backend. Always 1.",
    ['model', 'model_id', 'model_name', 'levels', 'precision', 'backend'], (set) => {
      const info = engine.info;
      const common = { levels: String(info.levels), precision: info.precision, backend: info.backend };
      set({ model: 'primary', model_id: info.modelId, model_name: info.modelName ?? '', ...common }, 1);
      for (const [model, s] of slots) if (model !== 'primary') set({ model, model_id: s.modelId, model_name: s.modelName ?? '', ...common }, 1);
    });
  counter('model_swaps_total', 'Completed swapModel() calls, by slot (primary, B), since the engine opened.', ['model'], (set) => {
    const swaps = engine.modelSwaps;
    set({ model: 'primary' }, swaps.primary);
    set({ model: 'B' }, swaps.B);
  });
  counter('cuda_fallbacks_total', 'Times the engine moved from CUDA to the CPU after a CUDA failure (0 or 1).', [], (set) => set({}, engine.info.fallbackReason === undefined ? 0 : 1));
  if (scorer !== undefined) {
    const report = perScrape(() => scorer.modelReport());
    const scores = (name: string, help: string, read: (s: import('./scores').Scores) => number): void => {
      gauge(name, help, ['model', 'model_id', 'window'], (set) => {
        for (const m of report().models) {
          for (const [window, s] of [['sliding', m.window], ['since_start', m.sinceStart]] as const) {
            if (s.predictions > 0) set({ model: m.model, model_id: m.modelId, window }, read(s));
          }
        }
      });
    };
    scores('online_accuracy_ratio', 'Share of scored predictions whose direction was the label, over the sliding window or since start.', (s) => s.accuracy);
    scores('online_log_loss', 'Mean log-loss of the scored predictions.', (s) => s.logLoss);
    scores('online_brier_score', 'Mean Brier score (summed over the three classes) of the scored predictions.', (s) => s.brier);
    counter('online_scored_total', 'Predictions scored online since start.', ['model', 'model_id'], (set) => {
      for (const m of report().models) set({ model: m.model, model_id: m.modelId }, m.sinceStart.predictions);
    });
    gauge('model_agreement_ratio', "Share of books on which a shadow ('with') predicted the direction of the model that answered them.", ['model', 'with', 'window'], (set) => {
      for (const a of report().agreement) {
        if (a.window.books > 0) set({ model: a.model, with: a.with, window: 'sliding' }, a.window.agreement);
        if (a.sinceStart.books > 0) set({ model: a.model, with: a.with, window: 'since_start' }, a.sinceStart.agreement);
      }
    });
  }
  if (drift) {
    const rows = perScrape(() => (engine.closed ? undefined : engine.featureDrift()) ?? []);
    gauge('feature_drift_psi', "Population stability index of each node feature's live values against the model's training set.", ['feature'], (set) => {
      for (const d of rows()) if (Number.isFinite(d.psi)) set({ feature: d.feature }, d.psi);
    });
    gauge('feature_drift_ks', 'Kolmogorov-Smirnov statistic of each node feature against the training set.', ['feature'], (set) => {
      for (const d of rows()) if (Number.isFinite(d.ks)) set({ feature: d.feature }, d.ks);
    });
  }

  engine.on('prediction', onPrediction);
  engine.on('shadow', onPrediction);
  engine.on('stats', onStats);
  let closed = false;
  return {
    names,
    close() {
      if (closed) return;
      closed = true;
      engine.off('prediction', onPrediction);
      engine.off('shadow', onPrediction);
      engine.off('stats', onStats);
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

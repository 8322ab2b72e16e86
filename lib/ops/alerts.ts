/**
 * Alerts with hysteresis: rules on the stream's latency, drop and error rates, input drift and the
 * online scores, evaluated once a window (every intervalMs, or by evaluate()). A rule fires when
 * its value is past `above` (or under `below`) for `for` windows in a row, and resolves only once
 * it is back under `clearBelow` (over `clearAbove`) for `clearFor` windows: a value that wanders
 * around one threshold cannot flap. Events go to the engine ('alert') and evaluate()'s result.
 */
import { createHistogram, RecordableHistogram } from 'node:perf_hooks';

import { describe } from '../errors';
import type { Engine } from '../gnn/engine';
import type { FeatureDrift, PredictionEvent, StreamStats } from '../gnn/stream-types';
import { checkKeys, integerOption, numberOption, optionError } from '../options';
import type { ModelScorer } from './scorer';
import { checkEngine } from './engine';
import './events';

export type AlertMetric = 'latencyP99Ms' | 'dropRate' | 'errorRate' | 'driftPsi' | 'accuracy' | 'logLoss';

export interface AlertRule {
  /** The name events carry; default the metric (with the model or feature). Unique among the rules. */
  name?: string;
  /**
   * latencyP99Ms: p99 of submit() to event over the window's predictions (ms);
   * dropRate / errorRate: books dropped (any reason / batch errors) per book submitted in the window;
   * driftPsi: the largest population stability index over the node features (or `feature`'s);
   * accuracy / logLoss: the scorer's sliding-window score of `model` (default 'primary').
   */
  metric: AlertMetric;
  /** Fires when the value is above this (for `for` windows)... */
  above?: number;
  /** ...and resolves once it is below this (default: `above`; set it lower for hysteresis). */
  clearBelow?: number;
  /** Or fires when the value is below this (accuracy)... */
  below?: number;
  /** ...and resolves once it is above this (default: `below`). */
  clearAbove?: number;
  /** Windows in a row past the threshold before it fires (1..1000); default 1. */
  for?: number;
  /** Windows in a row past the clear threshold before it resolves (1..1000); default 1. */
  clearFor?: number;
  /** latencyP99Ms, accuracy, logLoss: the model slot ('primary', 'B', a shadow's name). Latency default: every prediction. */
  model?: string;
  /** driftPsi: one node feature (its name, as engine.featureDrift() gives it); default the largest. */
  feature?: string;
  /** accuracy, logLoss: the least scored predictions in the window for it to count (1..1e6); default 100. */
  minPredictions?: number;
}

export interface AlertOptions {
  rules: AlertRule[];
  /** The online scores accuracy and logLoss rules read. */
  scorer?: ModelScorer;
  /** The window, ms (0: windows only by evaluate(); else 100..86400000). Default 10000. */
  intervalMs?: number;
}

export interface AlertEvent {
  rule: string;
  /** 'firing' when it crosses its threshold; 'resolved' when it crosses back over its clear threshold. */
  state: 'firing' | 'resolved';
  metric: AlertMetric;
  /** The window's value that made the change. */
  value: number;
  /** The threshold crossed: above/below when firing, clearBelow/clearAbove when resolved. */
  threshold: number;
  /** Windows in a row the value stayed past it. */
  windows: number;
  model?: string;
  feature?: string;
  /** ms since the epoch. */
  at: number;
}

const RULE_KEYS = new Set(['name', 'metric', 'above', 'clearBelow', 'below', 'clearAbove', 'for', 'clearFor', 'model', 'feature', 'minPredictions']);
const METRICS = new Set<AlertMetric>(['latencyP99Ms', 'dropRate', 'errorRate', 'driftPsi', 'accuracy', 'logLoss']);

interface ResolvedRule {
  name: string;
  metric: AlertMetric;
  rising: boolean;  // fires above a threshold (else below one)
  fire: number;
  clear: number;
  for: number;
  clearFor: number;
  model: string | undefined;
  feature: string | undefined;
  minPredictions: number;
  latency: RecordableHistogram | null;
  firing: boolean;
  streak: number;
}

function finite(v: unknown, field: string): number | undefined {
  return v === undefined ? undefined : numberOption(v, field, NaN, () => true, 'a finite number');
}

function resolveRule(rule: AlertRule, k: number, hasScorer: boolean): ResolvedRule {
  const at = `rules[${k}]`;
  if (rule === null || typeof rule !== 'object') optionError(`${at} must be an alert rule object, got ${describe(rule)}`);
  checkKeys(rule, RULE_KEYS, `${at} key`);
  const metric = rule.metric;
  if (!METRICS.has(metric)) optionError(`${at}.metric must be one of ${[...METRICS].join(', ')}, got ${describe(metric)}`);
  const above = finite(rule.above, `${at}.above`), below = finite(rule.below, `${at}.below`);
  if ((above === undefined) === (below === undefined)) optionError(`${at} needs exactly one of above and below, got ${describe(rule.above)} and ${describe(rule.below)}`);
  const rising = above !== undefined;
  const fire = rising ? above : below!;
  const clearBelow = finite(rule.clearBelow, `${at}.clearBelow`), clearAbove = finite(rule.clearAbove, `${at}.clearAbove`);
  if (rising && clearAbove !== undefined) optionError(`${at}.clearAbove goes with below, not above (use clearBelow)`);
  if (!rising && clearBelow !== undefined) optionError(`${at}.clearBelow goes with above, not below (use clearAbove)`);
  const clear = (rising ? clearBelow : clearAbove) ?? fire;
  if (rising ? clear > fire : clear < fire) {
    optionError(`${at}.${rising ? 'clearBelow' : 'clearAbove'} must be ${rising ? 'at most above' : 'at least below'} (${fire}), got ${clear}`);
  }
  if ((metric === 'accuracy' || metric === 'logLoss') && !hasScorer) optionError(`${at}: a ${metric} rule reads the online scores: pass createAlerts a scorer (createScorer(engine, ...))`);
  if (rule.model !== undefined && (typeof rule.model !== 'string' || rule.model.length === 0)) optionError(`${at}.model must be a model slot name, got ${describe(rule.model)}`);
  if (rule.model !== undefined && !['latencyP99Ms', 'accuracy', 'logLoss'].includes(metric)) optionError(`${at}.model applies to latencyP99Ms, accuracy and logLoss rules, not ${metric}`);
  if (rule.feature !== undefined && metric !== 'driftPsi') optionError(`${at}.feature applies to driftPsi rules, not ${metric}`);
  if (rule.feature !== undefined && (typeof rule.feature !== 'string' || rule.feature.length === 0)) optionError(`${at}.feature must be a node feature's name, got ${describe(rule.feature)}`);
  const feature = rule.feature;
  const model = rule.model ?? (metric === 'accuracy' || metric === 'logLoss' ? 'primary' : undefined);
  const name = rule.name ?? [metric, model, feature].filter((x) => x !== undefined).join(':');
  if (typeof name !== 'string' || name.length === 0) optionError(`${at}.name must be a non-empty string, got ${describe(rule.name)}`);
  return {
    name, metric, rising, fire, clear, model, feature,
    for: integerOption(rule.for, `${at}.for`, 1, 1, 1000),
    clearFor: integerOption(rule.clearFor, `${at}.clearFor`, 1, 1, 1000),
    minPredictions: integerOption(rule.minPredictions, `${at}.minPredictions`, 100, 1, 1e6),
    latency: metric === 'latencyP99Ms' ? createHistogram() : null,
    firing: false,
    streak: 0,
  };
}

/** Alert rules on one engine; see createAlerts(). */
export class Alerts {
  readonly #engine: Engine;
  readonly #rules: ResolvedRule[];
  readonly #latencyRules: ResolvedRule[];
  readonly #scorer: ModelScorer | undefined;
  #last: StreamStats | undefined;
  #timer: NodeJS.Timeout | null = null;
  readonly #onPrediction = (e: Pick<PredictionEvent, 'latencyNs'> & { model: string }): void => {
    for (const r of this.#latencyRules) if (r.model === undefined || r.model === e.model) r.latency!.record(e.latencyNs >= 1 ? Math.round(e.latencyNs) : 1);
  };

  /** @internal use createAlerts(). */
  constructor(engine: Engine, options: AlertOptions) {
    checkEngine(engine, 'createAlerts');
    if (options === null || typeof options !== 'object') optionError(`alert options must be an object with rules, got ${describe(options)}`);
    checkKeys(options, new Set(['rules', 'scorer', 'intervalMs']), 'alert option');
    if (!Array.isArray(options.rules) || options.rules.length === 0) optionError(`rules must be a non-empty array of alert rules, got ${describe(options.rules)}`);
    this.#rules = options.rules.map((r, k) => resolveRule(r, k, options.scorer !== undefined));
    const names = new Set<string>();
    for (const r of this.#rules) {
      if (names.has(r.name)) optionError(`two rules are named ${describe(r.name)}: give each a distinct name`);
      names.add(r.name);
    }
    const intervalMs = integerOption(options.intervalMs, 'intervalMs', 10000, 0, 86400000);
    if (intervalMs !== 0 && intervalMs < 100) optionError(`intervalMs must be 0 (windows by evaluate() only) or at least 100, got ${intervalMs}`);
    this.#engine = engine;
    this.#scorer = options.scorer;
    this.#latencyRules = this.#rules.filter((r) => r.latency !== null);
    this.#last = engine.streamStats();
    if (this.#latencyRules.length > 0) {
      engine.on('prediction', this.#onPrediction);
      engine.on('shadow', this.#onPrediction);
    }
    if (intervalMs > 0) {
      this.#timer = setInterval(() => {
        if (this.#engine.closed) this.close();
        else this.evaluate();
      }, intervalMs);
      this.#timer.unref();
    }
  }

  /** Closes the current window: evaluates every rule on it, emits and returns the changes. */
  evaluate(): AlertEvent[] {
    const stats = this.#engine.closed ? undefined : this.#engine.streamStats();
    const last = this.#last;
    this.#last = stats;
    const report = this.#rules.some((r) => r.metric === 'accuracy' || r.metric === 'logLoss') ? this.#scorer!.modelReport() : undefined;
    const drift = this.#rules.some((r) => r.metric === 'driftPsi') && !this.#engine.closed ? this.#engine.featureDrift() : undefined;
    const events: AlertEvent[] = [];
    for (const r of this.#rules) {
      const value = this.#value(r, stats, last, report, drift);
      const event = step(r, value);
      if (event) events.push(event);
    }
    for (const e of events) this.#engine.emit('alert', e);
    return events;
  }

  #value(r: ResolvedRule, stats: StreamStats | undefined, last: StreamStats | undefined, report: ReturnType<ModelScorer['modelReport']> | undefined, drift: FeatureDrift[] | undefined): number {
    switch (r.metric) {
      case 'latencyP99Ms': {
        const h = r.latency!;
        const v = h.count > 0 ? h.percentile(99) / 1e6 : NaN;
        h.reset();
        return v;
      }
      case 'dropRate':
      case 'errorRate': {
        if (stats === undefined) return NaN;
        const submitted = stats.submitted - (last?.submitted ?? 0);
        const dropped = r.metric === 'dropRate' ? stats.dropped.total - (last?.dropped.total ?? 0) : stats.dropped.error - (last?.dropped.error ?? 0);
        return submitted > 0 ? dropped / submitted : NaN;
      }
      case 'driftPsi': {
        if (drift === undefined) return NaN;
        const rows = r.feature === undefined ? drift : drift.filter((d) => d.feature === r.feature);
        let worst = NaN;
        for (const d of rows) if (Number.isFinite(d.psi) && !(d.psi <= worst)) worst = d.psi;
        return worst;
      }
      case 'accuracy':
      case 'logLoss': {
        // The slot's most recently added model (a swap starts a new entry).
        const entries = report!.models.filter((m) => m.model === r.model);
        const m = entries[entries.length - 1];
        if (m === undefined || m.window.predictions < r.minPredictions) return NaN;
        return r.metric === 'accuracy' ? m.window.accuracy : m.window.logLoss;
      }
    }
  }

  /** The names of the rules firing now. */
  active(): string[] {
    return this.#rules.filter((r) => r.firing).map((r) => r.name);
  }

  /** Stops the timer and the listeners. Idempotent. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#engine.off('prediction', this.#onPrediction);
    this.#engine.off('shadow', this.#onPrediction);
  }
}

// One window of one rule: NaN (no data) breaks a streak without changing the state.
function step(r: ResolvedRule, value: number): AlertEvent | undefined {
  if (Number.isNaN(value)) {
    r.streak = 0;
    return undefined;
  }
  const past = r.firing ? (r.rising ? value < r.clear : value > r.clear) : r.rising ? value > r.fire : value < r.fire;
  r.streak = past ? r.streak + 1 : 0;
  if (r.streak < (r.firing ? r.clearFor : r.for)) return undefined;
  const windows = r.streak;
  r.streak = 0;
  r.firing = !r.firing;
  return {
    rule: r.name,
    state: r.firing ? 'firing' : 'resolved',
    metric: r.metric,
    value,
    threshold: r.firing ? r.fire : r.clear,
    windows,
    ...(r.model === undefined ? {} : { model: r.model }),
    ...(r.feature === undefined ? {} : { feature: r.feature }),
    at: Date.now(),
  };
}

/**
 * Alert rules with hysteresis on an engine (see AlertRule): every intervalMs (or at each
 * evaluate()) each rule's value over the window is compared with its thresholds and 'alert'
 * events are emitted on the engine when a rule fires or resolves. Throws ERR_INVALID_OPTION
 * naming a bad rule field.
 */
export function createAlerts(engine: Engine, options: AlertOptions): Alerts {
  return new Alerts(engine, options);
}

/** Model operations: online scoring, Prometheus metrics and alerts. The public API (docs/model-ops.md). */
export { createScorer } from './scorer';
export type { ModelAgreement, ModelReport, ModelScorer, ModelScores, ScorerOptions } from './scorer';
export type { AgreementScores, ReliabilityBin, Scores } from './scores';
export { registerMetrics } from './metrics';
export type { EngineMetrics, MetricsOptions, MetricsRegistry } from './metrics';
export { createAlerts } from './alerts';
export type { AlertEvent, AlertMetric, AlertOptions, AlertRule, Alerts } from './alerts';

/**
 * The events lib/ops adds to an engine's emitter (typed through EngineEvents): 'modelReport' from
 * a scorer, 'alert' from alert rules. Types only.
 */
import type { AlertEvent } from './alerts';
import type { ModelReport } from './scorer';

declare module '../gnn/stream-types' {
  interface EngineEvents {
    modelReport: (report: ModelReport) => void;
    alert: (alert: AlertEvent) => void;
  }
}



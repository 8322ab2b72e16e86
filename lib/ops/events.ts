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


// The 'shadow' event of the stream's shadows (branch i17-stream), until it is merged.
declare module '../gnn/stream-types' {
  interface EngineEvents {
    shadow: (event: PredictionEvent) => void;
  }
}

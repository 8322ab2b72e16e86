/**
 * A shadow model on an engine's stream: its native thread is fed every book the primary predicts
 * and its results come back as 'shadow' events with the prediction events' fields. This file
 * holds the plumbing between the native Shadow and the engine's emitter.
 */
import type { EventEmitter } from 'eventemitter3';

import { HawkgraphError, HawkgraphErrorCode } from '../errors';
import type { NativeAddon, NativePreparedHandle, NativeShadow } from '../native';
import { LAYOUTS } from '../native/layouts';
import type { ModelRef } from './prediction';
import { type BookStreamController, recordEvent, rethrowLater } from './stream';
import type { EngineEvents, ShadowEvent, ShadowStats } from './stream-types';

const { submitNs: REC_SUBMIT_NS, width: REC_WIDTH } = LAYOUTS.streamRecord;
const COUNTERS = LAYOUTS.shadowCounters;

export class ShadowController {
  readonly name: string;
  readonly model: ModelRef;
  readonly #emitter: EventEmitter<EngineEvents>;
  readonly #native: NativeShadow;
  readonly #names: readonly string[];
  readonly #inbox: Float64Array;
  readonly #counters = new Float64Array(COUNTERS.width);
  #predicted = 0;
  #failed = 0;
  #closing: Promise<ShadowStats> | null = null;
  #resolveClose: ((stats: ShadowStats) => void) | null = null;
  #finished = false;

  constructor(
    addon: NativeAddon, stream: BookStreamController, handle: NativePreparedHandle, name: string, model: ModelRef,
    queueBooks: number, yieldToPrimary: boolean, emitter: EventEmitter<EngineEvents>,
  ) {
    this.name = name;
    this.model = model;
    this.#emitter = emitter;
    this.#names = stream.names;
    this.#inbox = new Float64Array(stream.maxBatch * REC_WIDTH);
    this.#native = new addon.Shadow(
      stream.native, handle, stream.maxBatch, queueBooks,
      (count: number, dispatchNs: number, code?: string, message?: string) => this.#dispatch(count, dispatchNs, code, message),
      () => this.#finish(),
      this.#inbox,
      yieldToPrimary,
    );
  }

  #dispatch(count: number, dispatchNs: number, code?: string, message?: string): void {
    if (code !== undefined) {
      this.#failed += count;
      this.#emitter.emit('error', new HawkgraphError(code as HawkgraphErrorCode, `shadow ${JSON.stringify(this.name)}: batch failed: ${message}`));
      return;
    }
    const inbox = this.#inbox;
    const listening = this.#emitter.listenerCount('shadow') > 0;
    let firstError: unknown;
    for (let k = 0; k < count; k++) {
      this.#predicted++;
      if (!listening) continue;
      const r = k * REC_WIDTH;
      const event: ShadowEvent = recordEvent(inbox, r, this.#names, this.name, this.model, dispatchNs - inbox[r + REC_SUBMIT_NS]);
      try {
        this.#emitter.emit('shadow', event);
      } catch (err) {
        firstError ??= err;
      }
    }
    rethrowLater(firstError);
  }

  stats(): ShadowStats {
    const c = this.#counters;
    this.#native.counters(c);
    const queueFull = c[COUNTERS.dropped], closed = c[COUNTERS.discarded];
    return {
      name: this.name,
      modelId: this.model.modelId,
      modelName: this.model.modelName,
      offered: c[COUNTERS.offered],
      predicted: this.#predicted,
      dropped: { queueFull, closed, error: this.#failed, total: queueFull + closed + this.#failed },
      // Queued, or delivered natively and not yet dispatched here.
      pending: c[COUNTERS.queued] + (c[COUNTERS.delivered] - this.#predicted - this.#failed),
      batches: c[COUNTERS.batches],
    };
  }

  /** Stops feeding it; resolves with its final stats once its thread is joined and its last event out. */
  close(drain: boolean): Promise<ShadowStats> {
    if (this.#closing) return this.#closing;
    this.#closing = new Promise<ShadowStats>((resolve) => {
      this.#resolveClose = resolve;
    });
    if (this.#finished) this.#finish();
    else this.#native.close(drain);
    return this.#closing;
  }

  #finish(): void {
    this.#finished = true;
    this.#resolveClose?.(this.stats());
    this.#resolveClose = null;
  }
}

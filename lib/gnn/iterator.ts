/**
 * engine.predictions(): the 'prediction' events as an async iterator, with a bounded buffer.
 */
import type { EventEmitter } from 'eventemitter3';

import type { EngineEvents, PredictionEvent } from './stream-types';

type Emitter = EventEmitter<EngineEvents>;

/**
 * The async iterator behind engine.predictions(): buffers up to `maxBuffered` events (the oldest
 * go first when a consumer falls behind) and ends, after its buffer, once the engine has closed.
 */
export class PredictionIterator implements AsyncIterableIterator<PredictionEvent> {
  readonly #emitter: Emitter;
  readonly #maxBuffered: number;
  readonly #detach: (it: PredictionIterator) => void;
  #buffer: PredictionEvent[] = [];
  #head = 0;
  #waiting: ((r: IteratorResult<PredictionEvent>) => void) | null = null;
  #ended = false;
  readonly #onPrediction = (e: PredictionEvent): void => {
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = null;
      w({ value: e, done: false });
      return;
    }
    this.#buffer.push(e);
    if (this.#buffer.length - this.#head > this.#maxBuffered) this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
  };

  /** @internal */
  constructor(emitter: Emitter, maxBuffered: number, detach: (it: PredictionIterator) => void) {
    this.#emitter = emitter;
    this.#maxBuffered = maxBuffered;
    this.#detach = detach;
    emitter.on('prediction', this.#onPrediction);
  }

  /** @internal the engine closed: no more events will come. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#emitter.off('prediction', this.#onPrediction);
    this.#detach(this);
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = null;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<PredictionEvent>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head++];
      if (this.#head === this.#buffer.length) {
        this.#buffer.length = 0;
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<PredictionEvent>> {
    this.#buffer.length = 0;
    this.#head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): PredictionIterator {
    return this;
  }
}

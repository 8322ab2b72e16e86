/**
 * Online scoring: each model's predictions are labelled once the symbol's mid is known a horizon
 * later (lib/dataset/labels.ts's labeller, fed the mids of the stream's own later books) and scored
 * per model (slot and model id): scores.ts's accuracy, log-loss, Brier, confusion and reliability,
 * agreement between the book's answering model and each shadow, latency. createScorer() listens to
 * an engine's 'prediction' and 'shadow' events; modelReport() reads the scores, and a 'modelReport'
 * event carries them at an interval.
 */
import { HawkgraphError, describe } from '../errors';
import { LabelOptions, LabelRule, MidPathLabeller, labelRule } from '../dataset/labels';
import type { Engine } from '../gnn/engine';
import type { PredictionEvent } from '../gnn/stream-types';
import type { LatencySummary } from '../gnn/stream-types';
import { checkKeys, integerOption, optionError } from '../options';
import { AgreementBook, AgreementScores, LatencyRecord, ModelScoreBook, Scores } from './scores';
import { attachScorer } from './attached';
import { checkEngine } from './engine';
import './events';

export interface ScorerOptions extends LabelOptions {
  /** Scored predictions per model in the sliding window (1..1e6); default 1000. */
  window?: number;
  /** Bins of the reliability table (1..100); default 10. */
  bins?: number;
  /** Period of 'modelReport' events on the engine, ms (0: none; else 100..86400000); default 10000. */
  intervalMs?: number;
  /** Books of one symbol waiting for their label (1..1e6); past it the oldest is given up. Default 65536. */
  maxWaitingBooks?: number;
}

/** One model's scores in a report. */
export interface ModelScores {
  /** The slot: 'primary', 'B' or a shadow's name. */
  model: string;
  modelId: string;
  modelName: string | undefined;
  /** Predictions seen (events), scored or not. */
  predictions: number;
  /** Predictions waiting for their label. */
  waiting: number;
  window: Scores;
  sinceStart: Scores;
  /** submit() to the event, per prediction. */
  latencyNs: { window: LatencySummary; sinceStart: LatencySummary };
}

/** How often a shadow (`with`) agrees with the model that answered the same books (`model`). */
export interface ModelAgreement {
  model: string;
  with: string;
  window: AgreementScores;
  sinceStart: AgreementScores;
}

export interface ModelReport {
  /** When it was made (ms since the epoch). */
  at: number;
  horizon: { seconds: number } | { events: number };
  /** One entry per slot and model id (a swapped-out model keeps its entry), in order of first prediction. */
  models: ModelScores[];
  agreement: ModelAgreement[];
  /** Predictions that will not be scored: given up waiting (maxWaitingBooks), a shadow's book never seen or long gone, a book older than its symbol's last. */
  unscored: { abandoned: number; unmatched: number; outOfOrder: number };
}

// What the scorer reads of an event ('prediction' and 'shadow' alike).
type ScoredEvent = Pick<PredictionEvent, 'symbol' | 'seq' | 'ts' | 'direction' | 'probs' | 'modelId' | 'modelName' | 'latencyNs' | 'mid' | 'model'>;

const SCORER_OPTIONS = new Set(['tick', 'horizon', 'flatBand', 'magnitudeScale', 'window', 'bins', 'intervalMs', 'maxWaitingBooks']);
const DIRECTION_INDEX: Readonly<Record<string, number>> = { down: 0, flat: 1, up: 2 };
// Models kept in a report; past it the least recently active entry goes (swaps add entries).
const MAX_MODELS = 64;
// Settled books a symbol remembers for shadows that answer after the label is known.
const RECENT_BOOKS = 256;
// Shadow answers a symbol holds for books whose own event has not arrived yet.
const MAX_EARLY = 4096;

class ModelEntry {
  predictions = 0;
  waiting = 0;
  lastActive = 0;
  readonly scores: ModelScoreBook;
  readonly latency: LatencyRecord;

  constructor(readonly model: string, readonly modelId: string, readonly modelName: string | undefined, window: number, bins: number) {
    this.scores = new ModelScoreBook(window, bins);
    this.latency = new LatencyRecord(window);
  }
}

// One model's answer for one book.
interface Answer {
  entry: ModelEntry;
  direction: number;
  p0: number;
  p1: number;
  p2: number;
}

// A book of the stream: the model that answered it and any shadows while it waits for its label
// (-1 until then); once labelled it is kept a while for late shadows.
interface StreamBook extends Answer {
  seq: number;
  index: number;
  shadows: Answer[] | null;
  label: number;
}

class SymbolTrack {
  readonly labeller: MidPathLabeller;
  // Books waiting for their label, in seq order from waitingHead.
  readonly waiting: StreamBook[] = [];
  waitingHead = 0;
  readonly early = new Map<number, Answer[]>();
  readonly recent: (StreamBook | undefined)[] = new Array(RECENT_BOOKS);
  recentNext = 0;
  lastSeq = -1;

  constructor(rule: LabelRule, capacity: number, settle: (track: SymbolTrack, index: number, label: number) => void) {
    this.labeller = new MidPathLabeller(rule, (index, label) => settle(this, index, label), capacity);
  }

  shiftWaiting(): StreamBook {
    const book = this.waiting[this.waitingHead++];
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    return book;
  }

  // The waiting book of this seq (binary search: seqs increase along the queue).
  findWaiting(seq: number): StreamBook | undefined {
    let lo = this.waitingHead, hi = this.waiting.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, at = this.waiting[mid].seq;
      if (at === seq) return this.waiting[mid];
      if (at < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  findSettled(seq: number): StreamBook | undefined {
    for (const s of this.recent) if (s !== undefined && s.seq === seq) return s;
    return undefined;
  }
}

function totalVariation(a: Answer, b: Answer): number {
  return 0.5 * (Math.abs(a.p0 - b.p0) + Math.abs(a.p1 - b.p1) + Math.abs(a.p2 - b.p2));
}

/** The online scores of an engine's models; see createScorer(). */
export class ModelScorer {
  readonly #engine: Engine;
  readonly #rule: LabelRule;
  readonly #window: number;
  readonly #bins: number;
  readonly #capacity: number;
  readonly #models = new Map<string, ModelEntry>();
  // Each slot's entry of its latest model id: most events find theirs here without building a key.
  readonly #current = new Map<string, ModelEntry>();
  readonly #agreement = new Map<string, { model: string; with: string; book: AgreementBook }>();
  readonly #tracks = new Map<string, SymbolTrack>();
  readonly #settle = (track: SymbolTrack, index: number, label: number): void => this.#settled(track, index, label);
  #unmatched = 0;
  #outOfOrder = 0;
  #abandoned = 0;
  #activity = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #onPrediction = (e: PredictionEvent): void => this.prediction(e);
  readonly #onShadow = (e: PredictionEvent): void => this.shadow(e);

  /** @internal use createScorer(). */
  constructor(engine: Engine, options: ScorerOptions) {
    checkEngine(engine, 'createScorer');
    if (options === null || typeof options !== 'object') optionError(`scorer options must be an object with at least tick, got ${describe(options)}`);
    checkKeys(options, SCORER_OPTIONS, 'scorer option');
    this.#rule = labelRule(options, 'scorer options');
    this.#window = integerOption(options.window, 'window', 1000, 1, 1e6);
    this.#bins = integerOption(options.bins, 'bins', 10, 1, 100);
    this.#capacity = integerOption(options.maxWaitingBooks, 'maxWaitingBooks', 65536, 1, 1e6);
    const intervalMs = integerOption(options.intervalMs, 'intervalMs', 10000, 0, 86400000);
    if (intervalMs !== 0 && intervalMs < 100) optionError(`intervalMs must be 0 (off) or at least 100, got ${intervalMs}`);
    this.#engine = engine;
    engine.on('prediction', this.#onPrediction);
    engine.on('shadow', this.#onShadow);
    attachScorer(engine, this);
    if (intervalMs > 0) {
      this.#timer = setInterval(() => this.#emitReport(), intervalMs);
      this.#timer.unref();
    }
  }

  #emitReport(): void {
    if (this.#engine.closed) {
      this.close();
      return;
    }
    this.#engine.emit('modelReport', this.modelReport());
  }

  #entry(model: string, modelId: string, modelName: string | undefined): ModelEntry {
    let entry = this.#current.get(model);
    if (entry === undefined || entry.modelId !== modelId) {
      const key = `${model}\u0000${modelId}`;
      entry = this.#models.get(key);
      if (entry === undefined) {
        if (this.#models.size >= MAX_MODELS) this.#forgetLeastActive();
        entry = new ModelEntry(model, modelId, modelName, this.#window, this.#bins);
        this.#models.set(key, entry);
      }
      this.#current.set(model, entry);
    }
    entry.lastActive = ++this.#activity;
    return entry;
  }

  #forgetLeastActive(): void {
    let oldest: string | undefined, at = Infinity;
    for (const [key, entry] of this.#models) {
      if (entry.lastActive < at) {
        at = entry.lastActive;
        oldest = key;
      }
    }
    if (oldest === undefined) return;
    const entry = this.#models.get(oldest)!;
    this.#models.delete(oldest);
    if (this.#current.get(entry.model) === entry) this.#current.delete(entry.model);
    // Books still waiting may score into it, unreported; its latency is no longer recorded.
    entry.latency.release();
  }

  // The event's model entry, its prediction and latency counted.
  #count(e: ScoredEvent): ModelEntry {
    const entry = this.#entry(e.model, e.modelId, e.modelName);
    entry.predictions++;
    entry.latency.record(e.latencyNs);
    return entry;
  }

  /**
   * A prediction of the stream (primary or B): its book joins the symbol's mid path, which labels
   * earlier books. Called for each 'prediction' event; public for feeds that do not come from an
   * engine's stream (a replay, a test).
   */
  prediction(e: ScoredEvent): void {
    const track = this.#tracks.get(e.symbol) ?? this.#track(e.symbol);
    const time = e.ts / 1000;
    const entry = this.#count(e);
    if (!(time >= track.labeller.lastTime) || !Number.isFinite(e.mid)) {
      this.#outOfOrder++;
      return;
    }
    const labeller = track.labeller;
    const abandonedBefore = labeller.abandoned;
    const index = labeller.push(time, e.mid);
    const book: StreamBook = { entry, direction: DIRECTION_INDEX[e.direction], p0: e.probs[0], p1: e.probs[1], p2: e.probs[2], seq: e.seq, index, shadows: null, label: -1 };
    entry.waiting++;
    track.waiting.push(book);
    track.lastSeq = e.seq;
    for (let k = labeller.abandoned - abandonedBefore; k > 0; k--) this.#abandon(track.shiftWaiting());
    if (track.early.size > 0) this.#joinEarly(track, book);
  }

  /** A shadow's prediction (a 'shadow' event): scored against the label of the same book. */
  shadow(e: ScoredEvent): void {
    const answer: Answer = { entry: this.#count(e), direction: DIRECTION_INDEX[e.direction], p0: e.probs[0], p1: e.probs[1], p2: e.probs[2] };
    const track = this.#tracks.get(e.symbol);
    const waiting = track?.findWaiting(e.seq);
    if (waiting !== undefined) {
      this.#attach(waiting, answer);
      return;
    }
    const settled = track?.findSettled(e.seq);
    if (settled !== undefined) {
      this.#agree(settled, answer);
      answer.entry.scores.add(settled.label, answer.direction, answer.p0, answer.p1, answer.p2);
      return;
    }
    if (track !== undefined && e.seq <= track.lastSeq) {
      this.#unmatched++;
      return;
    }
    // The book's own event has not arrived yet.
    this.#hold(track ?? this.#track(e.symbol), e.seq, answer);
  }

  #track(symbol: string): SymbolTrack {
    const track = new SymbolTrack(this.#rule, this.#capacity, this.#settle);
    this.#tracks.set(symbol, track);
    return track;
  }

  #hold(track: SymbolTrack, seq: number, answer: Answer): void {
    if (track.early.size >= MAX_EARLY) {
      this.#unmatched++;
      return;
    }
    answer.entry.waiting++;
    const list = track.early.get(seq);
    if (list) list.push(answer);
    else track.early.set(seq, [answer]);
  }

  // Shadows held for this book join it; those for earlier books whose event never came are unmatched.
  #joinEarly(track: SymbolTrack, book: StreamBook): void {
    for (const [seq, answers] of track.early) {
      if (seq > book.seq) continue;
      track.early.delete(seq);
      for (const a of answers) {
        a.entry.waiting--;
        if (seq === book.seq) this.#attach(book, a);
        else this.#unmatched++;
      }
    }
  }

  #attach(book: StreamBook, answer: Answer): void {
    this.#agree(book, answer);
    answer.entry.waiting++;
    (book.shadows ??= []).push(answer);
  }

  #agree(main: Answer, shadow: Answer): void {
    const key = `${main.entry.model}\u0000${shadow.entry.model}`;
    let pair = this.#agreement.get(key);
    if (pair === undefined) {
      pair = { model: main.entry.model, with: shadow.entry.model, book: new AgreementBook(this.#window) };
      this.#agreement.set(key, pair);
    }
    pair.book.add(main.direction === shadow.direction, totalVariation(main, shadow));
  }

  #abandon(book: StreamBook): void {
    this.#abandoned += 1 + (book.shadows?.length ?? 0);
    book.entry.waiting--;
    for (const s of book.shadows ?? []) s.entry.waiting--;
  }

  #settled(track: SymbolTrack, index: number, label: number): void {
    const book = track.shiftWaiting();
    if (book.index !== index) throw new HawkgraphError('ERR_INTERNAL', `online scorer: book ${book.index} settled as ${index}`);
    book.entry.waiting--;
    book.entry.scores.add(label, book.direction, book.p0, book.p1, book.p2);
    for (const s of book.shadows ?? []) {
      s.entry.waiting--;
      s.entry.scores.add(label, s.direction, s.p0, s.p1, s.p2);
    }
    book.label = label;
    book.shadows = null;
    track.recent[track.recentNext] = book;
    track.recentNext = (track.recentNext + 1) % RECENT_BOOKS;
  }

  /** The scores now, per model, over the window and since start. */
  modelReport(): ModelReport {
    const rule = this.#rule;
    return {
      at: Date.now(),
      horizon: rule.seconds > 0 ? { seconds: rule.seconds } : { events: rule.events },
      models: [...this.#models.values()].map((m) => ({
        model: m.model,
        modelId: m.modelId,
        modelName: m.modelName,
        predictions: m.predictions,
        waiting: m.waiting,
        window: m.scores.window(),
        sinceStart: m.scores.sinceStart(),
        latencyNs: { window: m.latency.window(), sinceStart: m.latency.sinceStart() },
      })),
      agreement: [...this.#agreement.values()].map((a) => ({ model: a.model, with: a.with, window: a.book.window(), sinceStart: a.book.sinceStart() })),
      unscored: { abandoned: this.#abandoned, unmatched: this.#unmatched, outOfOrder: this.#outOfOrder },
    };
  }

  /** Stops listening and the report timer; the scores stay readable. Idempotent. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#engine.off('prediction', this.#onPrediction);
    this.#engine.off('shadow', this.#onShadow);
  }
}

/**
 * Scores the engine's models online: each prediction ('prediction' and 'shadow' events) is
 * labelled from the symbol's later books with labelBooks' definitions (tick, horizon, flatBand:
 * use the model's training settings) and scored per model; read them with scorer.modelReport(),
 * or on the engine's 'modelReport' event every intervalMs. Throws ERR_INVALID_OPTION naming a
 * bad option.
 */
export function createScorer(engine: Engine, options: ScorerOptions): ModelScorer {
  return new ModelScorer(engine, options);
}

/**
 * LobModel.fit: the 8-event LOB model fitted to a bot's own classified feed (docs/hawkes.md,
 * "Fitting the LOB model to your own feed"). The Hawkes part is HawkesProcess.fit with D = 8; the
 * jump laws are fitted by lob-jumps.ts with the rounding and the spread cap the simulator applies.
 * The result's `config` is the `hawkes` and `jumps` of a runBacktest config. Events are checked
 * here (ERR_HAWKES_EVENTS naming the field and index), options too (ERR_INVALID_OPTION).
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { checkKeys, integerOption, isArrayLike, optionError } from '../options';
import { MAX_JUMP_TICKS } from './lob-params';
import { JumpLawFit, JumpSample, addJump, emptySample, fitJumpLaw, mergeSamples, sampleSize } from './lob-jumps';
import { HawkesProcess } from './process';
import { HawkesFit, LOB_EVENT_TYPES, LobEventType, Matrix } from './types';

/** A classified feed as columns: one entry per event, in time order. */
export interface LobEventColumns {
  /** Event times (seconds), non-decreasing. */
  times: ArrayLike<number>;
  /** Index into LOB_EVENT_TYPES, or the type's name. */
  types: ArrayLike<number | LobEventType>;
  /** Ticks the event moved its price by (>= 1 for MA, CA; >= 0 for LA; 0 or NaN for MN). */
  jumps: ArrayLike<number>;
  /** Optional: the spread in ticks (ask - bid) just before each event; makes LA jumps exact. */
  spreads?: ArrayLike<number>;
}

/** One classified event. */
export interface LobEvent {
  time: number;
  type: number | LobEventType;
  /** Ticks moved (required for the six price-moving types). */
  jump?: number;
  /** Spread in ticks just before the event (optional; see LobEventColumns.spreads). */
  spread?: number;
}

export interface LobFitOptions {
  /** Start of the observation window (seconds). Default: the first event's time. */
  startTime?: number;
  /** End of the observation window. Default: the last event's time. */
  endTime?: number;
  /** Fixed decay rates, as HawkesProcess.fit takes them. Omitted: fitted too. */
  beta?: number | ArrayLike<number> | Matrix;
  /** 'perType' (default): one jump law per price-moving type; 'shared': one law for all six. */
  jumpLaw?: 'perType' | 'shared';
  /** A type with fewer exact jumps than this takes the shared law. Default 20. */
  minJumps?: number;
  /** Price of one tick, copied into the config. */
  tick?: number;
}

export interface LobJumpFit extends JumpLawFit {
  type: LobEventType;
  /** 'type': fitted on this type's jumps; 'shared': the law pooled over the six types; 'none': MN (no jumps). */
  source: 'type' | 'shared' | 'none';
}

export interface LobFit {
  /** The hawkes, jumps (and tick when given) of a runBacktest config. */
  config: {
    hawkes: { mu: number[]; alpha: number[][]; beta: number[][] };
    jumps: { location: number[]; scale: number[] };
    tick?: number;
  };
  hawkes: HawkesFit;
  /** One entry per LOB event type, in LOB_EVENT_TYPES order. */
  jumps: LobJumpFit[];
  /** The law pooled over the six price-moving types. */
  sharedJumps: JumpLawFit;
  /** Events per type, in LOB_EVENT_TYPES order. */
  counts: number[];
  /** Spectral radius of the fitted alpha / beta (runBacktest needs it below 1). */
  branchingRatio: number;
  window: { startTime: number; endTime: number };
  /** What the caller should know about the fit (bias of LA jumps without spreads, an unstable fit). */
  warnings: string[];
}

const OPTION_KEYS = new Set(['startTime', 'endTime', 'beta', 'jumpLaw', 'minJumps', 'tick']);
const COLUMN_KEYS = new Set(['times', 'types', 'jumps', 'spreads']);
const LA_B = 2, LA_S = 3, MN_B = 6;

function eventError(message: string): never {
  throw new HawkgraphError('ERR_HAWKES_EVENTS', message);
}

const TYPE_INDEX = new Map<unknown, number>(LOB_EVENT_TYPES.map((name, k) => [name, k]));

function typeIndex(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 8) return v;
  const k = TYPE_INDEX.get(v);
  if (k === undefined) eventError(`${field} must be an integer in [0, 7] or one of ${LOB_EVENT_TYPES.join(', ')}, got ${describe(v)}`);
  return k;
}

interface Feed {
  times: Float64Array;
  types: Int32Array;
  jumps: Float64Array;
  spreads: Float64Array | null;
}

/** The events as columns, whichever form the caller used; fields named as the caller wrote them. */
function readFeed(events: unknown): Feed {
  if (isArrayLike(events)) {
    const n = events.length;
    const f: Feed = { times: new Float64Array(n), types: new Int32Array(n), jumps: new Float64Array(n), spreads: null };
    for (let i = 0; i < n; i++) {
      const e = events[i] as LobEvent;
      if (e === null || typeof e !== 'object') eventError(`events[${i}] must be an object { time, type, jump }, got ${describe(e)}`);
      const { time, type, jump, spread } = e;
      if (typeof time !== 'number') eventError(`events[${i}].time must be a number, got ${describe(time)}`);
      f.times[i] = time;
      f.types[i] = typeIndex(type, `events[${i}].type`);
      if (jump !== undefined && typeof jump !== 'number') eventError(`events[${i}].jump must be a number, got ${describe(jump)}`);
      f.jumps[i] = jump ?? NaN;
      if (spread !== undefined) {
        if (typeof spread !== 'number') eventError(`events[${i}].spread must be a number, got ${describe(spread)}`);
        if (f.spreads === null) {
          if (i > 0) eventError(`events[${i}].spread is given but events[0].spread is not: give every event's spread or none`);
          f.spreads = new Float64Array(n);
        }
        f.spreads[i] = spread;
      } else if (f.spreads !== null) {
        eventError(`events[${i}].spread is missing: give every event's spread or none`);
      }
    }
    return f;
  }
  if (events === null || typeof events !== 'object') eventError(`events must be an array of { time, type, jump } or columns { times, types, jumps }, got ${describe(events)}`);
  const c = events as LobEventColumns;
  for (const key of Object.keys(c)) if (!COLUMN_KEYS.has(key)) eventError(`unknown events column ${JSON.stringify(key)} (expected times, types, jumps, spreads)`);
  const column = (v: unknown, name: string): ArrayLike<unknown> => {
    if (!isArrayLike(v)) eventError(`events.${name} must be an array or typed array, got ${describe(v)}`);
    return v;
  };
  const times = column(c.times, 'times');
  const types = column(c.types, 'types');
  const jumps = column(c.jumps, 'jumps');
  const spreads = c.spreads === undefined ? null : column(c.spreads, 'spreads');
  const n = times.length;
  for (const [name, col] of [['types', types], ['jumps', jumps], ['spreads', spreads]] as const) {
    if (col !== null && col.length !== n) eventError(`events.${name} must have one entry per event (${n}), got ${col.length}`);
  }
  const f: Feed = { times: new Float64Array(n), types: new Int32Array(n), jumps: new Float64Array(n), spreads: spreads && new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const t = times[i], j = jumps[i];
    if (typeof t !== 'number') eventError(`events.times[${i}] must be a number, got ${describe(t)}`);
    if (typeof j !== 'number') eventError(`events.jumps[${i}] must be a number, got ${describe(j)}`);
    f.times[i] = t;
    f.types[i] = typeIndex(types[i], `events.types[${i}]`);
    f.jumps[i] = j;
    if (spreads !== null) {
      const s = spreads[i];
      if (typeof s !== 'number') eventError(`events.spreads[${i}] must be a number, got ${describe(s)}`);
      f.spreads![i] = s;
    }
  }
  return f;
}

/** Values: finite ordered times, jumps and spreads consistent with the event types. */
function checkFeed(f: Feed, columnar: boolean): void {
  const at = (name: 'time' | 'jump' | 'spread', i: number) => (columnar ? `events.${name}s[${i}]` : `events[${i}].${name}`);
  const n = f.times.length;
  if (n === 0) throw new HawkgraphError('ERR_FIT_UNIDENTIFIABLE', 'no events: nothing to fit');
  for (let i = 0; i < n; i++) {
    const t = f.times[i];
    if (!Number.isFinite(t)) eventError(`${at('time', i)} must be finite, got ${t}`);
    if (i > 0 && t < f.times[i - 1]) eventError(`${at('time', i)} (${t}) is before the previous event's (${f.times[i - 1]}): events must be in time order`);
    const k = f.types[i], j = f.jumps[i];
    const name = LOB_EVENT_TYPES[k];
    let room = Infinity;
    if (f.spreads !== null) {
      const s = f.spreads[i];
      if (!Number.isInteger(s) || s < 1 || s > MAX_JUMP_TICKS) eventError(`${at('spread', i)} must be a whole number of ticks >= 1, got ${s}`);
      room = s - 1;
    }
    if (k >= MN_B) {
      if (!(j === 0 || Number.isNaN(j))) eventError(`${at('jump', i)} must be 0 or missing for a ${name} event (it moves no price), got ${j}`);
      continue;
    }
    const la = k === LA_B || k === LA_S;
    const least = la ? 0 : 1;
    if (!Number.isInteger(j) || j < least || j > MAX_JUMP_TICKS) {
      eventError(`${at('jump', i)} must be a whole number of ticks in [${least}, ${MAX_JUMP_TICKS}] for a ${name} event, got ${j}`);
    }
    if (la && j > room) eventError(`${at('jump', i)} (${j}) must be below the spread (${room + 1} ticks) for a ${name} event`);
    if (la && f.spreads !== null && room >= 1 && j === 0) eventError(`${at('jump', i)} must be >= 1 for a ${name} event into a spread of ${room + 1} ticks`);
  }
}

function readOptions(options: unknown, f: Feed) {
  if (options === null || typeof options !== 'object') optionError(`LobModel.fit options must be an object, got ${describe(options)}`);
  const o = options as LobFitOptions;
  checkKeys(o, OPTION_KEYS, 'LobModel.fit option');
  const first = f.times[0], last = f.times[f.times.length - 1];
  const startTime = o.startTime ?? first;
  const endTime = o.endTime ?? last;
  if (typeof startTime !== 'number' || !Number.isFinite(startTime) || startTime > first) {
    optionError(`startTime must be a finite number at most the first event's time (${first}), got ${describe(startTime)}`);
  }
  if (typeof endTime !== 'number' || !Number.isFinite(endTime) || endTime < last || !(endTime > startTime)) {
    optionError(`endTime must be a finite number at least the last event's time (${last}) and after startTime, got ${describe(endTime)}`);
  }
  const jumpLaw = o.jumpLaw ?? 'perType';
  if (jumpLaw !== 'perType' && jumpLaw !== 'shared') optionError(`jumpLaw must be 'perType' or 'shared', got ${describe(jumpLaw)}`);
  const minJumps = integerOption(o.minJumps, 'minJumps', 20, 1, Number.MAX_SAFE_INTEGER);
  const tick = o.tick;
  if (tick !== undefined && (typeof tick !== 'number' || !Number.isFinite(tick) || tick <= 0)) optionError(`tick must be a finite number > 0, got ${describe(tick)}`);
  return { startTime, endTime, beta: o.beta, jumpLaw, minJumps, tick };
}

/** The jumps of each price-moving type; an LA jump that filled the spread is censored. */
function jumpSamples(f: Feed): JumpSample[] {
  const samples = Array.from({ length: 6 }, emptySample);
  for (let i = 0; i < f.times.length; i++) {
    const k = f.types[i], j = f.jumps[i];
    if (k >= MN_B || j === 0) continue;
    const censored = (k === LA_B || k === LA_S) && f.spreads !== null && j === f.spreads[i] - 1;
    // J >= 1 always: a jump that filled a two-tick spread carries no information.
    if (censored && j === 1) continue;
    addJump(samples[k], j, censored);
  }
  return samples;
}

/** Spectral radius of alpha / beta, computed natively (an explosive fit included). */
function radiusOf(params: { mu: number[]; alpha: number[][]; beta: number[][] }): number {
  return new HawkesProcess({ ...params, allowExplosive: true, maxEvents: 1 }).branchingRatio();
}

export function fitLobModel(events: unknown, options: LobFitOptions = {}): LobFit {
  const columnar = !isArrayLike(events);
  const f = readInput('ERR_HAWKES_EVENTS', 'events', () => readFeed(events));
  checkFeed(f, columnar);
  const o = readInput('ERR_INVALID_OPTION', 'LobModel.fit options', () => readOptions(options, f));
  const warnings: string[] = [];
  const counts = new Array<number>(8).fill(0);
  for (let i = 0; i < f.types.length; i++) counts[f.types[i]]++;
  const missing = LOB_EVENT_TYPES.filter((_, k) => counts[k] === 0);
  if (missing.length > 0) throw new HawkgraphError('ERR_FIT_UNIDENTIFIABLE', `no ${missing.join(', ')} events: the 8-dimensional process cannot be fitted without events of every type`);

  // The window [startTime, endTime] as HawkesProcess.fit's [0, T].
  const shifted = new Float64Array(f.times.length);
  for (let i = 0; i < shifted.length; i++) shifted[i] = f.times[i] - o.startTime;
  const hawkes = HawkesProcess.fit(shifted, f.types, o.endTime - o.startTime, o.beta === undefined ? { dims: 8 } : { dims: 8, beta: o.beta });

  const samples = jumpSamples(f);
  const pooled = mergeSamples(samples);
  if (sampleSize(pooled).exact === 0) throw new HawkgraphError('ERR_FIT_UNIDENTIFIABLE', 'no price-moving event has a jump >= 1 tick: the jump laws cannot be fitted');
  const sharedJumps = fitJumpLaw(pooled, MAX_JUMP_TICKS);
  const jumps: LobJumpFit[] = LOB_EVENT_TYPES.map((type, k) => {
    // MNb and MNs move no price: their law is never drawn; J = 1 stands in.
    if (k >= MN_B) return { location: 1, scale: 0, stdErr: { location: NaN, scale: NaN }, logLikelihood: 0, exact: 0, censored: 0, type, source: 'none' as const };
    if (o.jumpLaw === 'perType' && sampleSize(samples[k]).exact >= o.minJumps) return { ...fitJumpLaw(samples[k], MAX_JUMP_TICKS), type, source: 'type' as const };
    const { exact, censored } = sampleSize(samples[k]);
    if (o.jumpLaw === 'perType') warnings.push(`${type}: ${exact} exact jumps (fewer than minJumps = ${o.minJumps}); it takes the law shared by the six price-moving types`);
    return { ...sharedJumps, exact, censored, type, source: 'shared' as const };
  });
  const laJumps = counts[LA_B] + counts[LA_S];
  if (f.spreads === null && laJumps > 0) {
    warnings.push('no spreads given: LA jumps are capped at spread - 1 ticks by the model and are fitted as if exact, so the LA location and scale are biased low; pass the spread before each event to remove the bias');
  }
  const branchingRatio = radiusOf(hawkes.params);
  if (!(branchingRatio < 1)) warnings.push(`the fitted process is explosive (spectral radius ${branchingRatio}): runBacktest refuses it`);
  const config: LobFit['config'] = {
    hawkes: hawkes.params,
    jumps: { location: jumps.map((j) => j.location), scale: jumps.map((j) => j.scale) },
  };
  if (o.tick !== undefined) config.tick = o.tick;
  return { config, hawkes, jumps, sharedJumps, counts, branchingRatio, window: { startTime: o.startTime, endTime: o.endTime }, warnings };
}


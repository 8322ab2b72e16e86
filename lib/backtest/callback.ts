/**
 * The JS callback strategy: the native loop calls back into JS once per step on this thread with
 * the state (LAYOUTS.backtestCallbackState); the caller's decision goes back as LAYOUTS.backtestCallbackAction.
 */
import { HawkgraphError, describe, readInput } from '../errors';
import { LAYOUTS } from '../native/layouts';
import type { StrategyCallback } from './types';

const STATE = LAYOUTS.backtestCallbackState;
const ACTION = LAYOUTS.backtestCallbackAction;

/** The decide function native code calls each step: the caller's callback on StrategyState, its answer checked. */
export function callbackDecider(cb: StrategyCallback, tick: number): (state: Float64Array) => Float64Array {
  const action = new Float64Array(ACTION.width);
  return (s: Float64Array) => {
    const bidTicks = s[STATE.bid], askTicks = s[STATE.ask];
    const bid = bidTicks * tick, ask = askTicks * tick;
    const a = cb({
      path: s[STATE.path], step: s[STATE.step], time: s[STATE.time], inventory: s[STATE.inventory],
      bid, ask, mid: 0.5 * (bid + ask), spread: askTicks - bidTicks, trend: s[STATE.trend], cash: s[STATE.cash],
    });
    action[ACTION.bidOffset] = NaN;
    action[ACTION.askOffset] = NaN;
    action[ACTION.market] = 0;
    if (a !== null && a !== undefined) readInput('ERR_INVALID_ARGUMENT', "the strategy callback's action", () => readAction(a, action));
    return action;
  };
}

const ACTION_KEYS = new Set(['bidOffset', 'askOffset', 'market']);

function actionError(message: string): never {
  throw new HawkgraphError('ERR_INVALID_ARGUMENT', message);
}

// A mistyped key or a promise (an async callback) would otherwise quote nothing, silently.
function readAction(a: unknown, action: Float64Array): void {
  if (typeof a !== 'object' || Array.isArray(a)) actionError(`the strategy callback must return { bidOffset, askOffset, market? } or null, got ${describe(a)}`);
  const o = a as Record<string, unknown>;
  if (typeof o.then === 'function') actionError('the strategy callback returned a promise: it must decide synchronously (it runs once per step, on the JS thread)');
  for (const key in o) {
    if (!ACTION_KEYS.has(key)) actionError(`the strategy callback returned an unknown field ${JSON.stringify(key)} (expected bidOffset, askOffset, market)`);
  }
  for (const [i, key] of [[ACTION.bidOffset, 'bidOffset'], [ACTION.askOffset, 'askOffset']] as const) {
    const v = o[key];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) actionError(`the strategy callback's ${key} must be a finite number of ticks or null, got ${describe(v)}`);
    action[i] = v;
  }
  const market = o.market;
  if (market === 'buy') action[ACTION.market] = 1;
  else if (market === 'sell') action[ACTION.market] = -1;
  else if (market !== undefined && market !== null) actionError(`the strategy callback's market must be 'buy', 'sell' or null, got ${describe(market)}`);
}

/**
 * A backtest's strategy as native code takes it: 'sym', LIN offsets (GLFT's among them), a
 * policy's safetensors bytes (read from a path here), or a JS callback (run on the JS thread,
 * step by step). The one reader of strategies: the API and the CLI's JSON configs alike.
 */
import { describe } from '../errors';
import type { NativeStrategy } from '../native';
import { optionError as fail } from '../options';
import { glftOffsets } from './glft';
import { readPolicyFile } from './policy-file';
import type { GlftParams, Strategy } from './types';

export function strategyName(s: Strategy): string {
  if (s === 'sym') return 'sym';
  if (typeof s === 'function') return 'callback';
  if ('lin' in s) return 'lin';
  if ('glft' in s) return 'glft';
  return 'policy';
}

const STRATEGY_HELP = "'sym', { lin: { bid: [c0, c1], ask: [c0, c1], from?: 'mid' | 'best' } }, { glft: { A, k, sigma, gamma, size? } }, { policy: <safetensors bytes or path> } or a function";
const OBJECT_KEYS = ['lin', 'glft', 'policy'];

export function nativeStrategy(s: unknown): NativeStrategy {
  if (s === undefined) fail(`strategy is required: ${STRATEGY_HELP}`);
  if (s === 'sym') return { kind: 'sym' };
  if (typeof s === 'function') return { kind: 'callback' };
  if (s !== null && typeof s === 'object' && !Array.isArray(s)) {
    const keys = Object.keys(s);
    if (keys.length !== 1 || !OBJECT_KEYS.includes(keys[0])) {
      fail(`strategy must be ${STRATEGY_HELP}; an object strategy has one key, lin, glft or policy, got ${keys.length === 0 ? 'none' : keys.map((k) => JSON.stringify(k)).join(', ')}`);
    }
  }
  if (s !== null && typeof s === 'object' && 'lin' in s) {
    const lin = (s as { lin: unknown }).lin as Record<string, unknown> | null;
    if (lin === null || typeof lin !== 'object') fail(`strategy.lin must be { bid: [c0, c1], ask: [c0, c1], from?: 'mid' | 'best' }, got ${describe(lin)}`);
    for (const key of Object.keys(lin)) if (key !== 'bid' && key !== 'ask' && key !== 'from') fail(`unknown field strategy.lin.${key} (expected bid, ask, from)`);
    if (lin.from !== undefined && lin.from !== 'mid' && lin.from !== 'best') fail(`strategy.lin.from must be 'mid' or 'best', got ${describe(lin.from)}`);
    const out = new Float64Array(5);
    out[4] = lin.from === 'best' ? 1 : 0;
    (['bid', 'ask'] as const).forEach((side, i) => {
      const v = lin[side];
      if (!Array.isArray(v) || v.length !== 2) fail(`strategy.lin.${side} must be [c0, c1] (ticks from the mid or the best price, and per unit of inventory), got ${describe(v)}`);
      for (let j = 0; j < 2; j++) {
        if (typeof v[j] !== 'number' || !Number.isFinite(v[j])) fail(`strategy.lin.${side}[${j}] must be a finite number, got ${describe(v[j])}`);
        out[2 * i + j] = v[j];
      }
    });
    return { kind: 'lin', lin: out };
  }
  if (s !== null && typeof s === 'object' && 'glft' in s) {
    const lin = glftOffsets((s as { glft: GlftParams }).glft);
    return { kind: 'lin', lin: Float64Array.from([...lin.bid, ...lin.ask, 0]) };
  }
  if (s !== null && typeof s === 'object' && 'policy' in s) {
    const p = (s as { policy: unknown }).policy;
    if (typeof p === 'string') return { kind: 'policy', bytes: readPolicyFile(p) };
    if (p instanceof Uint8Array) return { kind: 'policy', bytes: p };
    fail(`strategy.policy must be a safetensors file path or its bytes (Uint8Array), got ${describe(p)}`);
  }
  return fail(`strategy must be ${STRATEGY_HELP}, got ${describe(s)}`);
}

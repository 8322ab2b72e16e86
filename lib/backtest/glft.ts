/**
 * The GLFT closed-form quotes as LIN parameters.
 */
import { describe, readInput } from '../errors';
import { numberOption as num, optionError as fail } from '../options';
import type { GlftParams, LinParams } from './types';

/**
 * The GLFT closed-form approximation of optimal quotes (Gueant, Lehalle and Fernandez-Tapia;
 * Gueant 2017): delta_b(q) = c1 + (2q + size) / 2 * sigma * c2, delta_a(q) = c1 + (size - 2q) / 2
 * * sigma * c2 with c1 = ln(1 + gamma size / k) / (gamma size) and c2 = sqrt(gamma / (2 A size k)
 * * (1 + gamma size / k)^(k / (gamma size) + 1)), as LIN parameters (ticks from the mid).
 */
export function glftOffsets(params: GlftParams): LinParams {
  if (params === null || typeof params !== 'object') fail(`glftOffsets expects { A, k, sigma, gamma }, got ${describe(params)}`);
  const p = readInput('ERR_INVALID_OPTION', 'glftOffsets parameters', () => {
    for (const key of Object.keys(params)) {
      if (!['A', 'k', 'sigma', 'gamma', 'size'].includes(key)) fail(`unknown GLFT parameter ${JSON.stringify(key)} (expected A, k, sigma, gamma, size)`);
    }
    const read = { A: NaN, k: NaN, sigma: NaN, gamma: NaN, size: num(params.size, 'size', 1, (x) => x > 0, 'a finite number > 0') };
    for (const key of ['A', 'k', 'sigma', 'gamma'] as const) {
      const v = params[key];
      if (v === undefined) fail(`${key} must be a finite number > 0, got undefined`);
      read[key] = num(v, key, NaN, (x) => x > 0, 'a finite number > 0');
    }
    return read;
  });
  const size = p.size;
  const xi = p.gamma * size;
  const c1 = Math.log1p(xi / p.k) / xi;
  const c2 = Math.sqrt((p.gamma / (2 * p.A * size * p.k)) * Math.pow(1 + xi / p.k, p.k / xi + 1));
  const half = c1 + 0.5 * size * p.sigma * c2;
  const skew = p.sigma * c2;
  if (!Number.isFinite(half) || !Number.isFinite(skew)) {
    fail(`the GLFT offsets of A = ${p.A}, k = ${p.k}, sigma = ${p.sigma}, gamma = ${p.gamma}, size = ${size} are not finite numbers (half spread ${half}, skew ${skew}): the parameters are out of the formula's range`);
  }
  return { bid: [half, skew], ask: [half, -skew] };
}

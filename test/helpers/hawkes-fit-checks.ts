// Independent checks of a Hawkes fit, from the log-likelihood alone (not from the optimiser's own
// gradient): random stable processes of a given dimension and beta form, random feasible points,
// and the KKT conditions by finite differences of logLikelihood. Worker-free native calls.
import { HawkesProcess } from '../../dist/index.js';
import { native } from '../../dist/internal.js';

export type BetaForm = 'scalar' | 'perDim' | 'matrix';

export interface Flat {
  D: number;
  mu: Float64Array;
  alpha: Float64Array;
  beta: Float64Array;
}

export interface RandomProcess {
  flat: Flat;
  hp: HawkesProcess;
  /** The beta as the fit is given it, in the form under test. */
  betaGiven: number | number[] | number[][];
}

/**
 * A random stable process: about half the alpha entries 0 (so bounds are active), spectral radius
 * drawn in [0.3, 0.7], beta in [1, 5] in the given form (a matrix draws each entry from three
 * values per row, so the row is not constant but the log-likelihood has few decay groups).
 */
export function randomProcess(D: number, form: BetaForm, r: () => number): RandomProcess {
  const mu = Array.from({ length: D }, () => 0.2 + 0.8 * r());
  let betaGiven: number | number[] | number[][];
  let beta: number[][];
  if (form === 'scalar') {
    const b = 1 + 4 * r();
    betaGiven = b;
    beta = Array.from({ length: D }, () => new Array(D).fill(b));
  } else if (form === 'perDim') {
    const b = Array.from({ length: D }, () => 1 + 4 * r());
    betaGiven = b;
    beta = b.map((v) => new Array(D).fill(v));
  } else {
    const choices = [1 + 4 * r(), 1 + 4 * r(), 1 + 4 * r()];
    beta = Array.from({ length: D }, () => Array.from({ length: D }, () => choices[Math.floor(3 * r())]));
    betaGiven = beta;
  }
  // Branching ratios alpha / beta: sparse, then scaled to the drawn spectral radius.
  const g = Array.from({ length: D }, (_, k) => Array.from({ length: D }, (_, l) => (k === l || r() < 0.5 ? r() : 0)));
  const probe = new HawkesProcess({ mu, alpha: g, beta: 1, allowExplosive: true, maxEvents: 1 });
  const scale = (0.3 + 0.4 * r()) / probe.branchingRatio();
  const alpha = g.map((row, k) => row.map((v, l) => v * scale * beta[k][l]));
  const hp = new HawkesProcess({ mu, alpha, beta });
  return { flat: { D, mu: Float64Array.from(mu), alpha: Float64Array.from(alpha.flat()), beta: Float64Array.from(beta.flat()) }, hp, betaGiven };
}

export function ll(p: Flat, times: Float64Array, types: Int32Array, T: number): number {
  return native().addon.hawkesLogLikelihood(p.mu, p.alpha, p.beta, times, types, T, 0);
}

export function flatOf(params: { mu: number[]; alpha: number[][]; beta: number[][] }): Flat {
  return { D: params.mu.length, mu: Float64Array.from(params.mu), alpha: Float64Array.from(params.alpha.flat()), beta: Float64Array.from(params.beta.flat()) };
}

/** Feasible points around the truth and the estimate: multiplicative jitter, some alpha set to 0. */
export function randomFeasible(truth: Flat, estimate: Flat, r: () => number, count: number): Flat[] {
  const out: Flat[] = [];
  for (let q = 0; q < count; q++) {
    const base = q % 2 === 0 ? truth : estimate;
    const spread = [0.02, 0.2, 1][q % 3];
    const jitter = (v: number) => v * Math.exp(spread * (2 * r() - 1));
    const alpha = base.alpha.map((v) => (r() < 0.15 ? 0 : jitter(v > 0 ? v : r() < 0.3 ? 0.05 * r() : 0)));
    out.push({ D: base.D, mu: base.mu.map(jitter), alpha, beta: base.beta });
  }
  return out;
}

export interface KktReport {
  /** The largest standardised finite-difference gradient |g| / sqrt(curvature) off the bound. */
  free: number;
  /** The largest standardised forward difference into the interior at a coordinate held at 0. */
  bound: number;
  checked: number;
}

/**
 * The KKT conditions of mu and alpha at `p`, by finite differences of the log-likelihood: the
 * curvature c_j from a forward second difference, then the gradient at a step of 1e-3 / sqrt(c_j)
 * (a thousandth of a standard error), central off the bound (forward where the bound is nearer),
 * forward at 0. `coordinates`: indices into [mu (D), alpha (D * D)], default all.
 */
export function kktByFiniteDifferences(p: Flat, times: Float64Array, types: Int32Array, T: number, coordinates?: number[]): KktReport {
  const D = p.D;
  const f0 = ll(p, times, types, T);
  const at = (j: number, h: number): number => {
    const q: Flat = { D, mu: Float64Array.from(p.mu), alpha: Float64Array.from(p.alpha), beta: p.beta };
    if (j < D) q.mu[j] += h;
    else q.alpha[j - D] += h;
    return ll(q, times, types, T);
  };
  const meanMu = p.mu.reduce((a, b) => a + b, 0) / D;
  const list = coordinates ?? Array.from({ length: D + D * D }, (_, j) => j);
  let free = 0, bound = 0;
  for (const j of list) {
    const v = j < D ? p.mu[j] : p.alpha[j - D];
    const h0 = 1e-4 * Math.max(v, 1e-2 * meanMu);
    let c = -(at(j, 2 * h0) - 2 * at(j, h0) + f0) / (h0 * h0);
    if (!(c > 0)) c = 1 / (h0 * h0);  // flat to rounding: a step of h0 then
    const h = 1e-3 / Math.sqrt(c);
    if (v === 0) {
      bound = Math.max(bound, (at(j, h) - f0) / h / Math.sqrt(c));
    } else if (v > 2 * h) {
      free = Math.max(free, Math.abs((at(j, h) - at(j, -h)) / (2 * h)) / Math.sqrt(c));
    } else {
      free = Math.max(free, Math.abs((at(j, h) - f0) / h) / Math.sqrt(c) - 1e-3);  // minus the forward difference's bias (c h / 2, standardised)
    }
  }
  return { free, bound, checked: list.length };
}

/**
 * Maximum likelihood for the LOB model's jump law, as the native simulator draws it
 * (native/core/hawkes/hawkes_step.hpp, lob_apply): X = location + scale * Exp(1), J = max(1,
 * floor(X + 1/2)) ticks; an aggressive limit order then moves its price by min(J, spread - 1).
 * So an observed jump n is the event X in [n - 1/2, n + 1/2) ((-inf, 3/2) for n = 1), and an LA
 * jump equal to spread - 1 says only J >= spread - 1: a right-censored observation. Pure
 * arithmetic on histograms; depends on nothing.
 */

/** The jumps of one event type (or a pool of types), as counts per value. */
export interface JumpSample {
  /** Exactly observed jumps: value (ticks >= 1) -> count. */
  exact: Map<number, number>;
  /** Censored jumps (an LA jump that filled the spread): c -> count of observations J >= c (c >= 2). */
  censored: Map<number, number>;
}

export interface JumpLawFit {
  location: number;
  scale: number;
  /** From the observed information; NaN where the estimate sits on a bound or the law is degenerate. */
  stdErr: { location: number; scale: number };
  logLikelihood: number;
  exact: number;
  censored: number;
}

export function emptySample(): JumpSample {
  return { exact: new Map(), censored: new Map() };
}

export function addJump(s: JumpSample, value: number, censored: boolean): void {
  const m = censored ? s.censored : s.exact;
  m.set(value, (m.get(value) ?? 0) + 1);
}

export function mergeSamples(samples: readonly JumpSample[]): JumpSample {
  const out = emptySample();
  for (const s of samples) {
    for (const [v, c] of s.exact) out.exact.set(v, (out.exact.get(v) ?? 0) + c);
    for (const [v, c] of s.censored) out.censored.set(v, (out.censored.get(v) ?? 0) + c);
  }
  return out;
}

export function sampleSize(s: JumpSample): { exact: number; censored: number } {
  let exact = 0, censored = 0;
  for (const c of s.exact.values()) exact += c;
  for (const c of s.censored.values()) censored += c;
  return { exact, censored };
}

/** log P(J = n) under (a, s): n >= 1 whole ticks. */
function logExact(n: number, a: number, s: number): number {
  const upper = n + 0.5;
  if (s === 0) return Math.max(1, Math.floor(a + 0.5)) === n ? 0 : -Infinity;
  if (a >= upper) return -Infinity;
  const lower = n - 0.5;
  // The cell holding the location (every cell from below 3/2 when n = 1) has no exponential tail below.
  if (n === 1 || a > lower) return Math.log(-Math.expm1(-(upper - a) / s));
  return -(lower - a) / s + Math.log(-Math.expm1(-1 / s));
}

/** log P(J >= c). */
function logCensored(c: number, a: number, s: number): number {
  const edge = c - 0.5;
  if (a >= edge) return 0;
  if (s === 0) return -Infinity;
  return -(edge - a) / s;
}

export function jumpLogLikelihood(sample: JumpSample, a: number, s: number): number {
  let ll = 0;
  for (const [n, c] of sample.exact) ll += c * logExact(n, a, s);
  for (const [n, c] of sample.censored) ll += c * logCensored(n, a, s);
  return ll;
}

/**
 * The scale maximising the likelihood at location a. In t = 1 / scale every term is concave (a
 * linear term, log(1 - e^-t) or log(1 - e^-(r t)) with r > 0), so the derivative falls from +inf
 * and bisection on it finds the one maximum; a derivative still positive at the smallest scale
 * means the data sit in one cell: scale 0.
 */
function bestScale(sample: JumpSample, a: number, maxScale: number): number {
  let linear = 0, tail = 0, cell = 0, cellWidth = 0;
  for (const [n, c] of sample.exact) {
    if (n === 1 || a > n - 0.5) {
      cell += c;
      cellWidth = n + 0.5 - a;
    } else {
      linear += c * (n - 0.5 - a);
      tail += c;
    }
  }
  for (const [n, c] of sample.censored) if (a < n - 0.5) linear += c * (n - 0.5 - a);
  const slope = (t: number) => -linear + (tail > 0 ? tail / Math.expm1(t) : 0) + (cell > 0 ? (cell * cellWidth) / Math.expm1(cellWidth * t) : 0);
  let lo = Math.log(1 / maxScale), hi = Math.log(1e6);
  if (slope(Math.exp(hi)) > 0) return 0;
  if (slope(Math.exp(lo)) < 0) return maxScale;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = 0.5 * (lo + hi);
    if (slope(Math.exp(mid)) > 0) lo = mid;
    else hi = mid;
  }
  return 1 / Math.exp(0.5 * (lo + hi));
}

/**
 * The maximum-likelihood (location, scale), both in [0, maxTicks]. With scale profiled out, the
 * location lies in the cell of the smallest exact jump m (below it every term rises with the
 * location; at m + 1/2 the likelihood of m is 0): a grid over that cell, then golden section.
 */
export function fitJumpLaw(sample: JumpSample, maxTicks: number): JumpLawFit {
  const { exact, censored } = sampleSize(sample);
  let m = Infinity, top = -Infinity;
  for (const n of sample.exact.keys()) {
    m = Math.min(m, n);
    top = Math.max(top, n);
  }
  let informativeCensored = false;
  for (const c of sample.censored.keys()) if (c > m) informativeCensored = true;
  const nan = { location: NaN, scale: NaN };
  if (m === top && !informativeCensored) {
    // Every jump the same size: the degenerate law J = m fits them exactly.
    return { location: Math.min(m, maxTicks), scale: 0, stdErr: nan, logLikelihood: 0, exact, censored };
  }
  const lo = m === 1 ? 0 : m - 0.5;
  const hi = Math.min(m + 0.5, maxTicks);
  const profile = (a: number) => jumpLogLikelihood(sample, a, bestScale(sample, a, maxTicks));
  const grid = 64;
  let best = lo, bestLL = -Infinity;
  for (let i = 0; i < grid; i++) {
    const a = lo + ((hi - lo) * i) / grid;
    const ll = profile(a);
    if (ll > bestLL) [best, bestLL] = [a, ll];
  }
  let x0 = Math.max(lo, best - (hi - lo) / grid), x3 = Math.min(hi - 1e-12, best + (hi - lo) / grid);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = x3 - g * (x3 - x0), x2 = x0 + g * (x3 - x0);
  let f1 = profile(x1), f2 = profile(x2);
  for (let i = 0; i < 100 && x3 - x0 > 1e-12; i++) {
    if (f1 >= f2) {
      x3 = x2; x2 = x1; f2 = f1;
      x1 = x3 - g * (x3 - x0); f1 = profile(x1);
    } else {
      x0 = x1; x1 = x2; f1 = f2;
      x2 = x0 + g * (x3 - x0); f2 = profile(x2);
    }
  }
  const mid = 0.5 * (x0 + x3);
  const a = profile(mid) >= bestLL ? mid : best;
  const s = bestScale(sample, a, maxTicks);
  return { location: a, scale: s, stdErr: standardErrors(sample, a, s, lo, hi, maxTicks), logLikelihood: jumpLogLikelihood(sample, a, s), exact, censored };
}

/**
 * Standard errors from the observed information (central differences of the log-likelihood). The
 * location's is NaN when it sits on the edge of its cell (the likelihood has a kink or a bound
 * there, so no quadratic approximation holds); then the scale's comes from its own curvature.
 */
function standardErrors(sample: JumpSample, a: number, s: number, lo: number, hi: number, maxTicks: number): { location: number; scale: number } {
  if (!(s > 1e-6) || s >= maxTicks) return { location: NaN, scale: NaN };
  const f = (x: number, y: number) => jumpLogLikelihood(sample, x, y);
  const hs = 1e-4 * s;
  const hss = (f(a, s + hs) - 2 * f(a, s) + f(a, s - hs)) / (hs * hs);
  const room = Math.min(a - lo, hi - a);
  if (!(room > 1e-5)) return { location: NaN, scale: hss < 0 ? 1 / Math.sqrt(-hss) : NaN };
  const ha = Math.min(1e-4, room / 4);
  const haa = (f(a + ha, s) - 2 * f(a, s) + f(a - ha, s)) / (ha * ha);
  const has = (f(a + ha, s + hs) - f(a + ha, s - hs) - f(a - ha, s + hs) + f(a - ha, s - hs)) / (4 * ha * hs);
  // The inverse of the negated Hessian [[haa, has], [has, hss]].
  const det = haa * hss - has * has;
  if (!(det > 0) || !(haa < 0)) return { location: NaN, scale: NaN };
  return { location: Math.sqrt(-hss / det), scale: Math.sqrt(-haa / det) };
}

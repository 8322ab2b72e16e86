// Independent float64 references for the Hawkes tests, written from the definitions (not from the
// native code): the compensator, the log-likelihood as a direct O(n^2) sum, the mean counts from
// the moment ODE, and the Kolmogorov-Smirnov test.

export interface FlatParams {
  D: number;
  mu: Float64Array;
  alpha: Float64Array; // [D * D], alpha[k * D + l]: type l excites type k
  beta: Float64Array; // [D * D]
}

export function flat(mu: number[], alpha: number[][], beta: number[][]): FlatParams {
  const D = mu.length;
  return { D, mu: Float64Array.from(mu), alpha: Float64Array.from(alpha.flat()), beta: Float64Array.from(beta.flat()) };
}

/** lambda_k(t) with the sum over t_j < t, straight from the definition. O(n) per call. */
export function directIntensity(p: FlatParams, times: ArrayLike<number>, types: ArrayLike<number>, k: number, t: number): number {
  let lam = p.mu[k];
  for (let j = 0; j < times.length && times[j] < t; j++) {
    const l = types[j];
    lam += p.alpha[k * p.D + l] * Math.exp(-p.beta[k * p.D + l] * (t - times[j]));
  }
  return lam;
}

/** sum_i log lambda_{k_i}(t_i) - sum_k int_0^T lambda_k, as a direct O(n^2) sum. */
export function directLogLikelihood(p: FlatParams, times: ArrayLike<number>, types: ArrayLike<number>, T: number): number {
  let ll = 0;
  for (let i = 0; i < times.length; i++) ll += Math.log(directIntensity(p, times, types, types[i], times[i]));
  let comp = 0;
  for (let k = 0; k < p.D; k++) {
    comp += p.mu[k] * T;
    for (let j = 0; j < times.length; j++) {
      const a = p.alpha[k * p.D + types[j]], b = p.beta[k * p.D + types[j]];
      comp += (a / b) * (1 - Math.exp(-b * (T - times[j])));
    }
  }
  return ll - comp;
}

/**
 * Time-rescaled gaps: for each type k, the compensator increments Lambda_k(t_i) - Lambda_k(t_prev)
 * between consecutive events of type k (the first from 0). Exp(1) iid when the model is right.
 * O(n D^2) with a state per (k, l) kernel.
 */
export function rescaledGaps(p: FlatParams, times: ArrayLike<number>, types: ArrayLike<number>): number[] {
  const D = p.D;
  const y = new Float64Array(D * D); // excitation of k from type l at time `now`
  const acc = new Float64Array(D); // compensator of k since its last event
  const gaps: number[] = [];
  let now = 0;
  for (let i = 0; i < times.length; i++) {
    const t = times[i], dt = t - now;
    for (let k = 0; k < D; k++) {
      let inc = p.mu[k] * dt;
      for (let l = 0; l < D; l++) {
        const b = p.beta[k * D + l];
        const decay = Math.exp(-b * dt);
        inc += (y[k * D + l] * (1 - decay)) / b;
        y[k * D + l] *= decay;
      }
      acc[k] += inc;
    }
    now = t;
    const k = types[i];
    gaps.push(acc[k]);
    acc[k] = 0;
    for (let q = 0; q < D; q++) y[q * D + k] += p.alpha[q * D + k];
  }
  return gaps;
}

/** Expected counts E[N_k(T)] from an empty history: RK4 on the first-moment ODE. */
export function expectedCounts(p: FlatParams, T: number, steps = 20000): Float64Array {
  const D = p.D;
  // state: y[k][l] (expected excitation) and N[k]
  const n = D * D + D;
  const deriv = (s: Float64Array, out: Float64Array) => {
    for (let k = 0; k < D; k++) {
      let lam = p.mu[k];
      for (let l = 0; l < D; l++) lam += s[k * D + l];
      out[D * D + k] = lam;
    }
    for (let k = 0; k < D; k++) {
      for (let l = 0; l < D; l++) {
        out[k * D + l] = -p.beta[k * D + l] * s[k * D + l] + p.alpha[k * D + l] * out[D * D + l];
      }
    }
  };
  let s = new Float64Array(n);
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n), tmp = new Float64Array(n);
  const h = T / steps;
  for (let i = 0; i < steps; i++) {
    deriv(s, k1);
    for (let j = 0; j < n; j++) tmp[j] = s[j] + 0.5 * h * k1[j];
    deriv(tmp, k2);
    for (let j = 0; j < n; j++) tmp[j] = s[j] + 0.5 * h * k2[j];
    deriv(tmp, k3);
    for (let j = 0; j < n; j++) tmp[j] = s[j] + h * k3[j];
    deriv(tmp, k4);
    const next = new Float64Array(n);
    for (let j = 0; j < n; j++) next[j] = s[j] + (h / 6) * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    s = next;
  }
  return s.slice(D * D);
}

/** (I - alpha / beta)^-1 mu by Gaussian elimination. */
export function stationary(p: FlatParams): Float64Array {
  const D = p.D;
  const m = Array.from({ length: D }, (_, k) => {
    const row = new Array<number>(D + 1);
    for (let l = 0; l < D; l++) row[l] = (k === l ? 1 : 0) - p.alpha[k * D + l] / p.beta[k * D + l];
    row[D] = p.mu[k];
    return row;
  });
  for (let c = 0; c < D; c++) {
    let piv = c;
    for (let r = c + 1; r < D; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = 0; r < D; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= D; j++) m[r][j] -= f * m[c][j];
    }
  }
  return Float64Array.from(m.map((row, k) => row[D] / row[k]));
}

/** One-sample Kolmogorov-Smirnov p-value against a continuous CDF (asymptotic with the Stephens correction). */
export function ksPValue(samples: number[], cdf: (x: number) => number): number {
  const xs = [...samples].sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const sn = Math.sqrt(n);
  const lambda = (sn + 0.12 + 0.11 / sn) * d;
  let p = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    p += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, p));
}

export const exp1Cdf = (x: number): number => (x <= 0 ? 0 : 1 - Math.exp(-x));

/** Per-path counts of each type: [path][type]. */
export function countsPerPath(types: Int32Array, offsets: Float64Array, D: number): number[][] {
  const out: number[][] = [];
  for (let p = 0; p + 1 < offsets.length; p++) {
    const c = new Array<number>(D).fill(0);
    for (let i = offsets[p]; i < offsets[p + 1]; i++) c[types[i]]++;
    out.push(c);
  }
  return out;
}

export function meanVar(xs: number[]): [number, number] {
  const n = xs.length;
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (n - 1);
  return [m, v];
}

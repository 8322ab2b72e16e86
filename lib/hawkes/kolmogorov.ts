/**
 * The two-sided one-sample Kolmogorov-Smirnov distribution: P(D_n >= d) for a sample of n from a
 * continuous law, exact (not the n -> infinity limit), by the algorithm of Simard and L'Ecuyer
 * (2011, "Computing the two-sided Kolmogorov-Smirnov distribution", J. Stat. Softw. 39(11)), which
 * picks per (n, d) among the Ruben-Gambino closed forms at the ends, Durbin's matrix (in
 * Marsaglia, Tsang and Wang's form), Pomeranz's recursion, the Pelz-Good expansion and twice the
 * exact one-sided Smirnov tail (Birnbaum-Tingey). The region boundaries and the scaling follow
 * scipy's stats/_ksstats.py (BSD-3-Clause), whose kstwo.sf this matches (test/67 holds a table).
 * Written here rather than taken from npm: the one package for it (@stdlib/stats-kstest) uses the
 * matrix method everywhere, which costs O(n^3 d^3) and is slow past a few thousand events, and
 * brings dozens of @stdlib packages. Depends on nothing.
 */

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI ** 2, PI4 = Math.PI ** 4, PI6 = Math.PI ** 6;
// Stirling series coefficients B_2j / (2j (2j - 1)), j = 8 .. 1, for log(n! / n^n).
const STIRLING = [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2];

const clip = (p: number): number => Math.min(1, Math.max(0, p));

/** log(n! / n^n) by Stirling's series with n log n taken out first (no cancellation). */
function logFactorialOverPower(n: number): number {
  const r = 1 / n, r2 = r * r;
  let poly = 0;
  for (const c of STIRLING) poly = poly * r2 + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + r * poly;
}

/**
 * P(D_n+ >= d), the exact one-sided tail (Smirnov; Birnbaum and Tingey 1951):
 * d * sum_{j <= n (1 - d)} C(n, j) (1 - d - j/n)^(n-j) (d + j/n)^(j-1). Every term is positive, so
 * the sum is taken in log space without cancellation; O(n (1 - d)) terms.
 */
export function smirnovSf(n: number, d: number): number {
  if (!(d > 0)) return 1;
  if (d >= 1) return 0;
  const nd = n * d;
  const last = Math.floor(n - nd);
  // log C(n, j) grows to about n log 2: summed plainly its rounding would reach 1e-9 by n = 1e5,
  // so the running sum carries a compensation term (Kahan).
  let logBinom = 0, carry = 0, max = -Infinity, sum = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) {
      const step = Math.log((n - j + 1) / j) - carry;
      const next = logBinom + step;
      carry = next - logBinom - step;
      logBinom = next;
    }
    const rest = (n - j - nd) / n;  // 0 only where (n - j) > 0: a zero term
    if (rest > 0) {
      const term = logBinom + (n - j) * Math.log(rest) + (j - 1) * Math.log(d + j / n);
      if (term > max) {
        sum = sum * Math.exp(max - term) + 1;
        max = term;
      } else {
        sum += Math.exp(term - max);
      }
    }
  }
  return clip(d * sum * Math.exp(max));
}

/** P(D_n <= d) by Durbin's matrix, computed as Marsaglia, Tsang and Wang do: the k-th diagonal entry of H^n n!/n^n. */
function durbinCdf(n: number, d: number): number {
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd), h = k - nd, m = 2 * k - 1;
  const v = new Float64Array(m), w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1];
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];
  const multiply = (a: Float64Array, b: Float64Array): Float64Array => {
    const out = new Float64Array(m * m);
    for (let r = 0; r < m; r++) {
      for (let q = 0; q < m; q++) {
        const x = a[r * m + q];
        if (x === 0) continue;
        for (let c = 0; c < m; c++) out[r * m + c] += x * b[q * m + c];
      }
    }
    return out;
  };
  let P: Float64Array | null = null;
  let expP = 0, expH = 0, e = n;
  const centre = (k - 1) * m + (k - 1);
  // Both the running power and the accumulated product are rescaled by 2^128 when they grow
  // past it (exponents kept apart), so neither overflows for any n this path takes.
  while (e > 0) {
    if (e % 2 === 1) {
      P = P === null ? Float64Array.from(H) : multiply(P, H);
      expP += expH;
      if (Math.abs(P[centre]) > E128) {
        for (let i = 0; i < P.length; i++) P[i] *= EM128;
        expP += 128;
      }
    }
    e = Math.floor(e / 2);
    if (e > 0) {
      H = multiply(H, H);
      expH *= 2;
      if (Math.abs(H[centre]) > E128) {
        for (let i = 0; i < H.length; i++) H[i] *= EM128;
        expH += 128;
      }
    }
  }
  let p = P![centre];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expP -= 128;
    }
  }
  return clip(p * 2 ** expP);
}

function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number, j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n <= d) by Pomeranz's recursion (1974): rows of Poisson-like convolutions, O(n^2 d) work. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x, ll = Math.floor(t), f = t - ll, g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0, roundf = f > 0.5 ? 1 : 0;
  const size = 2 * (ll + 1);
  const gp = new Float64Array(size), g2p = new Float64Array(size), g12p = new Float64Array(size);
  gp[0] = g2p[0] = g12p[0] = 1;
  for (let q = 1; q < size; q++) {
    gp[q] = (gp[q - 1] * (g / n)) / q;
    g2p[q] = (g2p[q - 1] * ((2 * g) / n)) / q;
    g12p[q] = (g12p[q - 1] * ((1 - 2 * g) / n)) / q;
  }
  let V0: Float64Array = new Float64Array(size), V1: Float64Array = new Float64Array(size);
  V1[0] = 1;
  let V0s = 0, V1s = 0, expnt = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pw = i === 1 || i === 2 * n + 1 ? gp : i % 2 === 1 ? g2p : g12p;
    const len = j2 - k1 + 1;
    if (len > 0) {
      const base = k1 - V0s;
      const lenV = Math.min(len, size - base), lenP = Math.min(len, size);
      const start = j1 - k1, count = j2 - j1 + 1;
      let top = 0;
      for (let r = 0; r < count; r++) {
        const idx = start + r;
        let s = 0;
        for (let a = Math.max(0, idx - lenP + 1); a <= Math.min(idx, lenV - 1); a++) s += V0[base + a] * pw[idx - a];
        V1[r] = s;
        top = Math.max(top, s);
      }
      if (top > 0 && top < EM128) {
        for (let r = 0; r < count; r++) V1[r] *= E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let q = 1; q <= n; q++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= q;
  }
  return clip(ans * 2 ** expnt);
}

/** P(D_n <= d) by the Pelz-Good (1976) expansion of Li-Chien and Korolyuk's series to O(n^-3/2). */
function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x;
  const z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2, k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4, k2b = ((2 * z4 - 5 * z2) * PI2) / 4, k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64, k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4, k3a = -30 * z6 - 90 * z4 * z4;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qp + c[i];
  }
  const div = [z, 6 * z4, 72 * z4 * z3, 6480 * z6 * z4];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT_2PI) / div[i];
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0, k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k, qk = q ** k2, kpi = Math.PI * k;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] += (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  return clip(K[0] + K[1] / Math.sqrt(n) + K[2] / n + K[3] / (n * Math.sqrt(n)));
}

/**
 * P(D_n >= d): the p-value of a two-sided one-sample Kolmogorov-Smirnov statistic d from n
 * samples (scipy.stats.kstwo.sf(d, n)). Exact but for the Pelz-Good region (large n, a p-value
 * above about 0.03), where the expansion's error is far below what a p-value is read to.
 */
export function kolmogorovSf(n: number, d: number): number {
  if (!(Number.isInteger(n) && n > 0) || Number.isNaN(d)) return NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    // Ruben and Gambino (1982): P(D_n <= d) = n!/n^n (2t - 1)^n for 1/(2n) <= d <= 1/n.
    if (t <= 0.5) return 1;
    let p = 1;
    if (n <= 140) for (let i = 1; i <= n; i++) p *= (i / n) * (2 * t - 1);
    else p = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clip(1 - p);
  }
  if (t >= n - 1) return clip(2 * (1 - d) ** n);
  // Beyond d = 1/2 the one-sided events D+ >= d and D- >= d cannot both happen.
  if (d >= 0.5) return clip(2 * smirnovSf(n, d));
  const nx2 = t * d;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip(1 - durbinCdf(n, d));
    if (nx2 <= 4) return clip(1 - pomeranzCdf(n, d));
    return clip(2 * smirnovSf(n, d));
  }
  if (nx2 >= 370) return 0;
  // In the tail, twice the one-sided tail is exact to within its square.
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, d));
  if (n <= 100000 && n * d ** 1.5 <= 1.4) return clip(1 - durbinCdf(n, d));
  return clip(1 - pelzGoodCdf(n, d));
}

/**
 * Quantiles with linear interpolation (numpy's default): of sorted values (public), and in place
 * by selection (the per-time-point bands of pnlOverTime, O(n) each instead of a sort).
 */
import { HawkgraphError, describe } from '../errors';
import { isArrayLike } from '../options';

/** The q-quantile of sorted values with linear interpolation (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (!isArrayLike(sorted)) {
    throw new HawkgraphError('ERR_INVALID_ARGUMENT', `sorted must be an array of numbers, got ${describe(sorted)}`);
  }
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new HawkgraphError('ERR_INVALID_ARGUMENT', `q must be a number in [0, 1], got ${describe(q)}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

// Hoare's selection: leaves the k-th smallest of a[lo..hi] at a[k] with smaller values before it
// and larger after, in O(n) on average (a sort per time point would cost O(n log n) each).
function select(a: Float64Array, k: number): void {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The q-quantile (linear interpolation, as quantileSorted) of values, reordering them. */
export function quantileInPlace(a: Float64Array, q: number): number {
  const h = (a.length - 1) * q;
  const k = Math.floor(h);
  select(a, k);
  const lo = a[k];
  if (k + 1 >= a.length) return lo;
  let next = Infinity;
  for (let i = k + 1; i < a.length; i++) if (a[i] < next) next = a[i];
  return lo + (h - k) * (next - lo);
}

/**
 * Median and its distribution-free confidence interval by the order-statistic (binomial) method,
 * as benchstat computes it: the interval between the k-th smallest and k-th largest value.
 */

/** MedianInterval is a sample's median and its confidence interval, in the sample's units. */
export interface MedianInterval {
  median: number;
  /** Lower bound; undefined when the sample is too small for the requested confidence. */
  lo?: number;
  /** Upper bound; undefined when the sample is too small for the requested confidence. */
  hi?: number;
  /** Actual coverage probability of [lo, hi] (at least the requested confidence), when available. */
  coverage?: number;
  /** Sample size. */
  n: number;
}

/** median returns the median of a non-empty sample (mean of the two middle values for even sizes). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty sample');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** binomialCdfHalf returns P(X <= k) for X ~ Binomial(n, 1/2). */
export function binomialCdfHalf(n: number, k: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let term = Math.pow(0.5, n);
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return Math.min(1, sum);
}

/**
 * medianConfidenceInterval returns the median with the order-statistic interval [x(k), x(n-k+1)] for the
 * largest k whose coverage 1 - 2 P(Binomial(n, 1/2) <= k-1) is at least `confidence` (e.g. 0.95).
 */
export function medianConfidenceInterval(values: readonly number[], confidence = 0.95): MedianInterval {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const result: MedianInterval = { median: median(s), n };
  let best = 0;
  for (let k = 1; 2 * k <= n + 1; k++) {
    if (1 - 2 * binomialCdfHalf(n, k - 1) >= confidence - 1e-12) best = k;
    else break;
  }
  if (best === 0) return result;
  result.lo = s[best - 1];
  result.hi = s[n - best];
  result.coverage = 1 - 2 * binomialCdfHalf(n, best - 1);
  return result;
}

/** samplesNeededForInterval returns the smallest sample size whose widest interval [min, max] reaches `confidence`. */
export function samplesNeededForInterval(confidence = 0.95): number {
  let n = 1;
  while (1 - 2 * Math.pow(0.5, n) < confidence - 1e-12) n++;
  return n;
}

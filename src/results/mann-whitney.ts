/**
 * The Mann–Whitney U test (Wilcoxon rank-sum test), two-sided: whether two samples come from the
 * same distribution. Exact p-values for small samples (with or without ties), the normal
 * approximation with tie and continuity correction for larger ones.
 */
import { normalTwoSidedP } from './erfc.js';

/** EXACT_LIMIT is the largest sample size per side (runs) for which the exact null distribution is computed. */
export const EXACT_LIMIT = 50;

/** MannWhitneyResult is the outcome of the test: U of the first sample, the two-sided p-value and how it was computed. */
export interface MannWhitneyResult {
  /** U statistic of the first sample: pairs (x, y) with x > y, plus half the ties. */
  u: number;
  /** Two-sided p-value in [0, 1]. */
  p: number;
  /** "exact" (full null distribution) or "normal" (normal approximation, tie and continuity corrected). */
  method: 'exact' | 'normal';
  /** Whether the pooled samples contain ties. */
  ties: boolean;
}

/** mannWhitneyU tests two samples (any units, the same for both); throws when a sample is empty. */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs at least one value on each side');
  const groups = tieGroups(x, y);
  const ties = groups.some((g) => g.size > 1);
  // 2U as an integer, so that half-counted ties stay exact.
  let u2 = 0;
  let ySeen = 0;
  for (const g of groups) {
    u2 += g.xs * (2 * ySeen + (g.size - g.xs));
    ySeen += g.size - g.xs;
  }
  const u = u2 / 2;
  if (n1 <= EXACT_LIMIT && n2 <= EXACT_LIMIT) {
    const dist = exactDistribution(n1, groups.map((g) => g.size));
    let below = 0;
    let above = 0;
    for (let k = 0; k < dist.length; k++) {
      if (k <= u2) below += dist[k];
      if (k >= u2) above += dist[k];
    }
    return { u, p: Math.min(1, 2 * Math.min(below, above)), method: 'exact', ties };
  }
  const n = n1 + n2;
  const tieTerm = groups.reduce((s, g) => s + (g.size ** 3 - g.size), 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal', ties };
  const z = Math.max(0, Math.abs(u - (n1 * n2) / 2) - 0.5) / Math.sqrt(variance);
  return { u, p: normalTwoSidedP(z), method: 'normal', ties };
}

/** minimumTwoSidedP returns the smallest p-value the exact test can reach with n1 and n2 distinct values (no ties). */
export function minimumTwoSidedP(n1: number, n2: number): number {
  // The most extreme arrangement has probability 1 / C(n1 + n2, n1).
  let logC = 0;
  for (let i = 1; i <= n1; i++) logC += Math.log(n2 + i) - Math.log(i);
  return Math.min(1, 2 * Math.exp(-logC));
}

/** runsNeededForSignificance returns the smallest equal number of runs per side whose best p-value is at most alpha. */
export function runsNeededForSignificance(alpha: number): number {
  for (let n = 1; n <= 1000; n++) if (minimumTwoSidedP(n, n) <= alpha) return n;
  return Infinity;
}

interface TieGroup {
  size: number;
  xs: number;
}

function tieGroups(x: readonly number[], y: readonly number[]): TieGroup[] {
  const all = [...x.map((v) => ({ v, isX: true })), ...y.map((v) => ({ v, isX: false }))];
  all.sort((a, b) => a.v - b.v);
  const groups: TieGroup[] = [];
  for (let i = 0; i < all.length; ) {
    let j = i;
    let xs = 0;
    while (j < all.length && all[j].v === all[i].v) {
      if (all[j].isX) xs++;
      j++;
    }
    groups.push({ size: j - i, xs });
    i = j;
  }
  return groups;
}

// Null distribution of 2U for the first sample given the tie groups (sizes in ascending value order):
// every choice of which n1 of the pooled values belong to the first sample is equally likely.
// State: (x values placed so far, 2U so far) -> probability; a group of size t taking k values of the
// first sample, after b values of the second, adds k * (2b + t - k) to 2U with weight C(t, k).
function exactDistribution(n1: number, sizes: readonly number[]): Float64Array {
  const n = sizes.reduce((s, t) => s + t, 0);
  const n2 = n - n1;
  const width = 2 * n1 * n2 + 1;
  // Row a (x values placed so far) of the table lives at [a * width, (a + 1) * width).
  let cur = new Float64Array((n1 + 1) * width);
  let next = new Float64Array((n1 + 1) * width);
  cur[0] = 1;
  let placed = 0;
  for (const t of sizes) {
    next.fill(0);
    const binom = binomialRow(t);
    for (let a = Math.max(0, placed - n2); a <= Math.min(n1, placed); a++) {
      const b = placed - a;
      // 2U so far is at most 2ab (every value of the first sample above every value of the second).
      const reach = 2 * a * b;
      const from = a * width;
      for (let k = Math.max(0, t - (n2 - b)); k <= t && a + k <= n1; k++) {
        const add = k * (2 * b + t - k);
        const w = binom[k];
        const to = (a + k) * width + add;
        for (let u = 0; u <= reach; u++) {
          const pv = cur[from + u];
          if (pv !== 0) next[to + u] += pv * w;
        }
      }
    }
    [cur, next] = [next, cur];
    placed += t;
  }
  const dist = cur.subarray(n1 * width, (n1 + 1) * width);
  let total = 0;
  for (const v of dist) total += v;
  for (let k = 0; k < dist.length; k++) dist[k] /= total;
  return dist;
}

function binomialRow(t: number): number[] {
  const row = [1];
  for (let k = 1; k <= t; k++) row.push((row[k - 1] * (t - k + 1)) / k);
  return row;
}

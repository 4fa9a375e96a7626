/** Small statistics for benchmark rounds: medians and racerig/peer ratios per pair. */

/** median of the finite numbers in `values` (NaN when there are none). */
export function median(values: readonly (number | null | undefined)[]): number {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** pairRatios divides a[i] by b[i] for every pair i where both exist and b[i] is non-zero. */
export function pairRatios(a: readonly (number | null)[], b: readonly (number | null)[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== null && x !== undefined && y !== null && y !== undefined && y !== 0) out.push(x / y);
  }
  return out;
}

/**
 * Conversions between shared counts (HdrHistogram bucket layout, see hdr-layout.ts) and
 * `hdr-histogram-js` histograms, and the latency summary a result file stores.
 */
import type * as hdr from 'hdr-histogram-js';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from './hdr.js';
import { COUNTS_LENGTH, HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS, SUB_BUCKET_COUNT, highestEquivalentAt, medianEquivalentAt, valueAt } from './hdr-layout.js';
import type { LatencySummary } from '../results/model.js';

/** newHistogram builds an empty `hdr-histogram-js` histogram with racerig's parameters (µs, 1 µs .. 1 h, 3 digits). */
export function newHistogram(): hdr.Histogram {
  return build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    bitBucketSize: 64,
    autoResize: false,
  });
}

/** countsToHistogram converts COUNTS_LENGTH shared counts (a view at `offset`) to an exact `hdr-histogram-js` histogram. */
export function countsToHistogram(counts: ArrayLike<number>, offset = 0): hdr.Histogram {
  const h = newHistogram();
  for (let i = 0; i < COUNTS_LENGTH; i++) {
    const c = counts[offset + i]!;
    if (c !== 0) h.recordValueWithCount(valueAt(i), c);
  }
  return h;
}

/** addSlots records flat (slot, count) pairs (see slotPairs) into a histogram of racerig's layout. */
export function addSlots(h: hdr.Histogram, pairs: readonly number[]): void {
  for (let i = 0; i + 1 < pairs.length; i += 2) h.recordValueWithCount(valueAt(pairs[i]!), pairs[i + 1]!);
}

/** summarize computes the stored latency summary (µs) and the compressed base64 encoding of a histogram. */
export function summarize(h: hdr.Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) {
    return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, min: 0, max: 0, mean: 0, stddev: 0, hdr: encodeIntoCompressedBase64(h) };
  }
  const m = moments(h);
  return {
    count,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    // Extremes at the histogram's resolution (lowest/highest equivalent value), like HdrHistogram's
    // getMinNonZeroValue/getMaxValue, so a histogram rebuilt from counts reports the same.
    min: h.getValueAtPercentile(0),
    max: h.getValueAtPercentile(100),
    mean: Math.round(m.mean * 1000) / 1000,
    stddev: Math.round(m.stddev * 1000) / 1000,
    hdr: encodeIntoCompressedBase64(h),
  };
}

/** The slot access of hdr-histogram-js's JS histograms (not in its typings). */
interface Slots {
  countsArrayLength: number;
  unitMagnitude: number;
  subBucketCount: number;
  getCountAtIndex(index: number): number;
}

/**
 * moments returns a histogram's mean and standard deviation exactly as hdr-histogram-js's `mean` and
 * `stdDeviation` compute them (every slot at its median equivalent value, summed in slot order), in
 * two passes over the slots. The library walks its iterator instead, twice for the deviation: ~30 ms
 * for the two histograms of each operation when a run ends. A histogram of another layout gets the
 * library's own.
 */
export function moments(h: hdr.Histogram): { mean: number; stddev: number } {
  const total = h.totalCount;
  if (total === 0) return { mean: 0, stddev: 0 };
  const s = h as unknown as Partial<Slots>;
  if (typeof s.getCountAtIndex !== 'function' || s.countsArrayLength !== COUNTS_LENGTH || s.unitMagnitude !== 0 || s.subBucketCount !== SUB_BUCKET_COUNT) {
    return { mean: h.mean, stddev: h.stdDeviation };
  }
  const slots = s as Slots;
  let sum = 0;
  for (let i = 0; i < COUNTS_LENGTH; i++) {
    const c = slots.getCountAtIndex(i);
    if (c !== 0) sum += medianEquivalentAt(i) * c;
  }
  const mean = sum / total;
  let deviations = 0;
  for (let i = 0; i < COUNTS_LENGTH; i++) {
    const c = slots.getCountAtIndex(i);
    if (c !== 0) {
      const d = medianEquivalentAt(i) - mean;
      deviations += d * d * c;
    }
  }
  return { mean, stddev: Math.sqrt(deviations / total) };
}

/** decodeHistogram decodes a compressed base64 HdrHistogram (as stored in result files). */
export function decodeHistogram(encoded: string): hdr.Histogram {
  return decodeFromCompressedBase64(encoded, 64, false);
}

/**
 * percentileOfCounts returns the value at `percentile` (0..100) of raw counts, with the same rule as
 * `hdr-histogram-js` getValueAtPercentile (highest equivalent value of the slot); 0 when empty.
 */
export function percentileOfCounts(counts: ArrayLike<number>, offset: number, total: number, percentile: number): number {
  if (total <= 0) return 0;
  const want = Math.max(1, Math.ceil((Math.min(percentile, 100) / 100) * total - 1e-9));
  let seen = 0;
  for (let i = 0; i < COUNTS_LENGTH; i++) {
    seen += counts[offset + i]!;
    if (seen >= want) return highestEquivalentAt(i);
  }
  return 0;
}

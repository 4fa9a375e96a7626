/**
 * The percentile spectrum of a latency histogram as HdrHistogram plots it: value against
 * log10(1/(1-p)), so 90%, 99%, 99.9% ... are evenly spaced.
 */
import type * as hdr from 'hdr-histogram-js';

/** SpectrumPoint is one point of the spectrum: x = log10(1/(1-p)), the percentile p in percent, the value in µs. */
export interface SpectrumPoint {
  x: number;
  percentile: number;
  valueUs: number;
}

/**
 * percentileSpectrum samples a histogram every `step` decades of 1/(1-p), up to the resolution its
 * sample count supports (at most 6 nines), and ends with the maximum at the last x; empty when it has no samples.
 */
export function percentileSpectrum(h: hdr.Histogram, step = 0.05): SpectrumPoint[] {
  if (h.totalCount === 0) return [];
  const xMax = Math.min(6, Math.max(1, Math.log10(h.totalCount)));
  const points: SpectrumPoint[] = [];
  for (let x = 0; x < xMax - 1e-9; x += step) {
    const percentile = 100 * (1 - Math.pow(10, -x));
    points.push({ x: round(x), percentile: round(percentile), valueUs: h.getValueAtPercentile(percentile) });
  }
  points.push({ x: round(xMax), percentile: 100, valueUs: h.getValueAtPercentile(100) });
  return points;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/**
 * Merging stored HdrHistograms (compressed base64, microseconds) with `hdr-histogram-js`: the
 * merged histogram is exactly the histogram of all the samples recorded into the parts.
 */
import type * as hdr from 'hdr-histogram-js';
import { decodeHistogram, newHistogram } from '../metrics/histogram.js';

/** mergeHistograms decodes every encoded histogram and adds them into one new histogram (µs). */
export function mergeHistograms(encoded: Iterable<string>): hdr.Histogram {
  const merged = newHistogram();
  for (const e of encoded) {
    const part = decodeHistogram(e);
    if (part.totalCount > 0) merged.add(part);
  }
  return merged;
}

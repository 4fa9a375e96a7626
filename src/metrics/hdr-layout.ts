/**
 * HdrHistogram's bucket layout for latencies in integer microseconds: 1 µs to 1 hour with three
 * significant digits, the exact layout `hdr-histogram-js` uses for the same parameters, so shared
 * counts convert to a library histogram without loss.
 */

/** LOWEST_US is the lowest discernible latency, microseconds. */
export const LOWEST_US = 1;
/** HIGHEST_US is the highest trackable latency (one hour), microseconds; larger values are clamped. */
export const HIGHEST_US = 3_600_000_000;
/** SIGNIFICANT_DIGITS is the number of significant decimal digits kept (relative error ≤ 0.1%). */
export const SIGNIFICANT_DIGITS = 3;

// Derived exactly as HdrHistogram does (unitMagnitude 0 because LOWEST_US is 1).
const SUB_BUCKET_COUNT_MAGNITUDE = Math.ceil(Math.log2(2 * 10 ** SIGNIFICANT_DIGITS)); // 11
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = SUB_BUCKET_COUNT_MAGNITUDE - 1; // 10
export const SUB_BUCKET_COUNT = 2 ** SUB_BUCKET_COUNT_MAGNITUDE; // 2048
const SUB_BUCKET_HALF_COUNT = SUB_BUCKET_COUNT / 2; // 1024

function bucketsNeeded(value: number): number {
  let smallestUntrackable = SUB_BUCKET_COUNT;
  let n = 1;
  while (smallestUntrackable <= value) {
    smallestUntrackable *= 2;
    n++;
  }
  return n;
}

/** BUCKET_COUNT is the number of power-of-two buckets covering 1 µs .. HIGHEST_US. */
export const BUCKET_COUNT = bucketsNeeded(HIGHEST_US);
/** COUNTS_LENGTH is the number of count slots of one histogram (23,552 for 1 µs .. 1 h at 3 digits). */
export const COUNTS_LENGTH = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;

const TWO_31 = 2 ** 31;

/** msb returns the index of the highest set bit of a non-negative integer below 2^53. */
function msb(v: number): number {
  if (v < TWO_31) return 31 - Math.clz32(v);
  return 31 + (31 - Math.clz32(Math.floor(v / TWO_31)));
}

/** clampUs turns a latency in (fractional) microseconds into the integer value a histogram records. */
export function clampUs(us: number): number {
  if (!(us > 0)) return 0; // also maps NaN to 0
  if (us >= HIGHEST_US) return HIGHEST_US;
  return Math.round(us);
}

/** indexOf returns the counts slot of an integer value in 0 .. HIGHEST_US (HdrHistogram's countsArrayIndex). */
export function indexOf(value: number): number {
  if (value < SUB_BUCKET_COUNT) return value; // bucket 0 has unit resolution
  const bucketIndex = msb(value) - SUB_BUCKET_HALF_COUNT_MAGNITUDE;
  // A shift below 2^31 (`2 ** n` compiles to a call to pow: ~0.4% of a load worker's CPU).
  const subBucketIndex = value < TWO_31 ? value >> bucketIndex : Math.floor(value / 2 ** bucketIndex);
  return ((bucketIndex + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (subBucketIndex - SUB_BUCKET_HALF_COUNT);
}

/** valueAt returns the lowest value that maps to counts slot `index` (HdrHistogram's valueFromIndex). */
export function valueAt(index: number): number {
  let bucketIndex = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let subBucketIndex = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucketIndex < 0) {
    subBucketIndex -= SUB_BUCKET_HALF_COUNT;
    bucketIndex = 0;
  }
  return subBucketIndex * 2 ** bucketIndex;
}

/** widthAt returns how many values map to counts slot `index` (HdrHistogram's sizeOfEquivalentValueRange). */
function widthAt(index: number): number {
  return 2 ** Math.max(0, (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1);
}

/** highestEquivalentAt returns the highest value that maps to counts slot `index`. */
export function highestEquivalentAt(index: number): number {
  return valueAt(index) + widthAt(index) - 1;
}

/**
 * slotPairs returns the non-empty slots of `counts` (COUNTS_LENGTH of them) as flat (slot, count)
 * pairs: how a worker hands its start lateness to the main thread without loading hdr-histogram-js.
 */
export function slotPairs(counts: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < COUNTS_LENGTH; i++) {
    const c = counts[i]!;
    if (c !== 0) out.push(i, c);
  }
  return out;
}

/**
 * medianEquivalentAt returns the value that stands for counts slot `index` in a mean or standard
 * deviation (HdrHistogram's medianEquivalentValue: the slot's lowest value plus half its width).
 */
export function medianEquivalentAt(index: number): number {
  return valueAt(index) + Math.floor(widthAt(index) / 2);
}

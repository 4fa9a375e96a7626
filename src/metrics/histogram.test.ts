import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { COUNTS_LENGTH, HIGHEST_US, clampUs, indexOf, valueAt, highestEquivalentAt, slotPairs } from './hdr-layout.js';
import { newHistogram, countsToHistogram, summarize, decodeHistogram, percentileOfCounts, moments, addSlots } from './histogram.js';
import { MetricsRecorder } from './recorder.js';
import { allocateMetrics, createLayout, opBase, OpSlot } from './layout.js';
import { Snapshot } from './snapshot.js';

/** mulberry32 returns a seeded uniform random generator in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Latencies spread over every magnitude from 1 µs to 1 h (log-uniform), plus edge values. */
function sampleValues(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  const out = [0, 1, 2047, 2048, 2049, 4095, 4096, 1_000_000, 2 ** 31 - 1, 2 ** 31, HIGHEST_US];
  for (let i = 0; i < n; i++) out.push(Math.round(Math.exp(r() * Math.log(HIGHEST_US))));
  return out;
}

test('slot index agrees with hdr-histogram-js for every magnitude', () => {
  const lib = newHistogram() as unknown as { countsArrayIndex(v: number): number; countsArrayLength: number };
  assert.equal(lib.countsArrayLength, COUNTS_LENGTH);
  for (const v of sampleValues(20_000, 1)) {
    assert.equal(indexOf(v), lib.countsArrayIndex(v), `value ${v}`);
    assert.ok(valueAt(indexOf(v)) <= v && v <= highestEquivalentAt(indexOf(v)), `value ${v} within its slot`);
  }
});

test('shared counts give the same percentiles, min, max and mean as hdr-histogram-js fed the same values', () => {
  const layout = createLayout(['op']);
  const rec = new MetricsRecorder(layout, allocateMetrics(layout));
  const lib = newHistogram();
  const values = sampleValues(50_000, 2).map(clampUs);
  for (const v of values) {
    rec.response(0, 200, v, v, 10, 0);
    lib.recordValue(v);
  }
  const shared = countsToHistogram(rec.view, opBase(0) + OpSlot.LATENCY);
  assert.equal(shared.totalCount, lib.totalCount);
  for (const p of [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]) {
    assert.equal(shared.getValueAtPercentile(p), lib.getValueAtPercentile(p), `p${p}`);
    if (p > 0) assert.equal(percentileOfCounts(rec.view, opBase(0) + OpSlot.LATENCY, values.length, p), lib.getValueAtPercentile(p), `raw p${p}`);
  }
  const a = summarize(shared);
  const b = summarize(lib);
  assert.deepEqual({ ...a, hdr: '' }, { ...b, hdr: '' });
  // The mean is computed from bucket midpoints by both, so it agrees to floating-point precision.
  assert.ok(Math.abs(shared.mean - lib.mean) / lib.mean < 1e-9);
});

test('slot pairs carry counts to a histogram exactly as countsToHistogram does', () => {
  const counts = new Float64Array(COUNTS_LENGTH);
  for (const v of sampleValues(5_000, 7)) counts[indexOf(clampUs(v))]++;
  const pairs = slotPairs(counts);
  assert.equal(pairs.length % 2, 0);
  assert.ok(pairs.length < 2 * COUNTS_LENGTH);
  const h = newHistogram();
  addSlots(h, pairs);
  addSlots(h, []);
  assert.equal(summarize(h).hdr, summarize(countsToHistogram(counts)).hdr);
  assert.deepEqual(slotPairs(new Float64Array(COUNTS_LENGTH)), []);
});

test("moments are bit-for-bit hdr-histogram-js's mean and stdDeviation; another layout gets the library's own", () => {
  for (const seed of [4, 5, 6]) {
    const h = newHistogram();
    for (const v of sampleValues(20_000, seed)) h.recordValue(clampUs(v));
    for (const x of [h, decodeHistogram(summarize(h).hdr)]) assert.deepEqual(moments(x), { mean: h.mean, stddev: h.stdDeviation }, `seed ${seed}`);
  }
  const narrow = newHistogram();
  for (const v of [3, 3, 5, 700, 70_000]) narrow.recordValue(v);
  assert.deepEqual(moments(narrow), { mean: narrow.mean, stddev: narrow.stdDeviation });
  assert.deepEqual(moments(newHistogram()), { mean: 0, stddev: 0 });
  const other = hdr.build({ lowestDiscernibleValue: 1000, highestTrackableValue: 10 ** 7, numberOfSignificantValueDigits: 2 });
  for (const v of [1500, 25_000, 25_000, 900_000]) other.recordValue(v);
  assert.deepEqual(moments(other), { mean: other.mean, stddev: other.stdDeviation });
});

test('the stored encoding decodes back to the same counts (also with the library decoder directly)', () => {
  const h = newHistogram();
  for (const v of sampleValues(10_000, 3)) h.recordValue(clampUs(v));
  const s = summarize(h);
  assert.equal(s.count, h.totalCount);
  for (const decoded of [decodeHistogram(s.hdr), hdr.decodeFromCompressedBase64(s.hdr)]) {
    assert.equal(decoded.totalCount, h.totalCount);
    for (const p of [50, 90, 99, 99.9, 100]) assert.equal(decoded.getValueAtPercentile(p), h.getValueAtPercentile(p));
  }
  const lib = h as unknown as { getCountAtIndex(i: number): number };
  const back = decodeHistogram(s.hdr) as unknown as { getCountAtIndex(i: number): number };
  for (let i = 0; i < COUNTS_LENGTH; i++) assert.equal(back.getCountAtIndex(i), lib.getCountAtIndex(i), `slot ${i}`);
});

test('snapshot differences isolate one interval and 64-bit byte counters carry', () => {
  const layout = createLayout(['a', 'b']);
  const buf = allocateMetrics(layout);
  const rec = new MetricsRecorder(layout, buf);
  rec.response(0, 200, 100, 100, 2 ** 32 - 10, 5);
  const first = Snapshot.take(layout, buf, 1000);
  rec.response(0, 404, 300, 200, 20, 0);
  rec.response(1, 200, 50, 50, 1, 1);
  rec.failure(1, 'refused', 7);
  rec.dropped(1, 3);
  const second = Snapshot.take(layout, buf, 2000);
  assert.equal(second.counters(0).bytesIn, 2 ** 32 + 10);
  const d = second.minus(first);
  assert.deepEqual(d.counters(0), { requests: 1, errors: 1, dropped: 0, bytesIn: 20, bytesOut: 0, status: { '404': 1 }, errorKinds: {}, reasons: {}, responses: 1 });
  assert.deepEqual(d.counters(1), { requests: 2, errors: 1, dropped: 3, bytesIn: 1, bytesOut: 8, status: { '200': 1 }, errorKinds: { refused: 1 }, reasons: {}, responses: 1 });
  assert.deepEqual(d.totals(), { requests: 3, errors: 2, dropped: 3 });
  assert.deepEqual(d.percentilesAll([50, 100]), [50, 300]);
});

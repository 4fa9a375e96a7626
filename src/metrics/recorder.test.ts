import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { allocateMetrics, createLayout } from './layout.js';
import { Snapshot } from './snapshot.js';
import { newHistogram } from './histogram.js';

test('four threads recording at once lose no count and no histogram sample', async () => {
  const layout = createLayout(['x', 'y']);
  const buffer = allocateMetrics(layout);
  const count = 50_000;
  const workers = [0, 1, 2, 3].map(
    (seed) => new Worker(new URL('./recorder.test-worker.js', import.meta.url), { workerData: { layout, buffer, count, seed } }),
  );
  await Promise.all(workers.map((w) => once(w, 'message')));
  await Promise.all(workers.map((w) => w.terminate()));
  const snap = Snapshot.take(layout, buffer, 0);
  // The same values recorded single-threaded into hdr-histogram-js, as ground truth.
  const expected = [newHistogram(), newHistogram()];
  let errors = 0;
  for (let seed = 0; seed < 4; seed++) {
    for (let i = 0; i < count; i++) {
      expected[i % 2]!.recordValue(1 + ((i * 7919 + seed * 104729) % 5_000_000));
      if (i % 3 === 0) errors++;
    }
  }
  const x = snap.counters(0);
  const y = snap.counters(1);
  assert.equal(x.requests + y.requests, 4 * count);
  assert.equal(x.errors + y.errors, errors);
  assert.equal(x.bytesIn + y.bytesIn, 3 * 4 * count);
  for (const op of [0, 1]) {
    const got = snap.latency(op);
    assert.equal(got.totalCount, expected[op]!.totalCount);
    for (const p of [50, 90, 99, 99.9, 100]) assert.equal(got.getValueAtPercentile(p), expected[op]!.getValueAtPercentile(p));
  }
});

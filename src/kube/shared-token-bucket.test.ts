import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedTokenBucket, TOKEN_BUCKET_SLOTS, tokenBucketSlot } from './shared-token-bucket.js';

test('the bucket starts full, then hands out tokens 1/qps apart as waits; idle time refills it up to burst only', () => {
  const buffer = new SharedArrayBuffer(64);
  const b = new SharedTokenBucket(buffer, { qps: 10, burst: 5, slot: 3, epochWallMs: 0 });
  const s = 1e9;
  assert.equal(b.tokens(1 * s), 5);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => b.acquire(1 * s)), [0, 0, 0, 0, 0]);
  assert.equal(b.acquire(1 * s), 100_000);
  assert.equal(b.acquire(1 * s), 200_000);
  assert.ok(Math.abs(b.tokens(1 * s) + 2) < 1e-9, 'two callers queued');
  // A second handle on the same slot (another thread's view) sees the same queue.
  const other = new SharedTokenBucket(buffer, { qps: 10, burst: 5, slot: 3, epochWallMs: 0 });
  assert.equal(other.acquire(1 * s), 300_000);
  assert.equal(b.acquire(1.3 * s), 100_000);
  assert.equal(b.tokens(100 * s), 5, 'refill is capped at burst');
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.acquire(100 * s)), [0, 0, 0, 0, 0, 100_000]);
  assert.ok(TOKEN_BUCKET_SLOTS >= 3);
  assert.throws(() => new SharedTokenBucket(buffer, { qps: 0, burst: 1, slot: 0, epochWallMs: 0 }), RangeError);
  assert.throws(() => new SharedTokenBucket(buffer, { qps: 1, burst: 1, slot: 15, epochWallMs: 0 }), /outside/);
});

test('concurrent acquisitions over many handles never lose or duplicate a reservation', () => {
  const buffer = new SharedArrayBuffer(16);
  const handles = Array.from({ length: 4 }, () => new SharedTokenBucket(buffer, { qps: 1000, burst: 1, slot: 0, epochWallMs: 0 }));
  const waits = new Set<number>();
  for (let i = 0; i < 400; i++) waits.add(handles[i % 4]!.acquire(5e9));
  assert.equal(waits.size, 400, 'every caller got its own slot in time');
  assert.equal(Math.max(...waits), 399_000);
});

test('tokenBucketSlot places buckets side by side in the extra area and refuses one that does not fit', () => {
  const layout = { extraBase: 1000, extraSlots: 3 * TOKEN_BUCKET_SLOTS };
  assert.deepEqual([0, 1, 2].map((k) => tokenBucketSlot(layout, k)), [1000, 1000 + TOKEN_BUCKET_SLOTS, 1000 + 2 * TOKEN_BUCKET_SLOTS]);
  assert.throws(() => tokenBucketSlot(layout, 3), RangeError);
  // Two neighbouring buckets never share bytes, whatever the alignment of extraBase.
  for (const base of [1000, 1001]) {
    const buffer = new SharedArrayBuffer((base + 2 * TOKEN_BUCKET_SLOTS) * 4);
    const a = new SharedTokenBucket(buffer, { qps: 1, burst: 1, slot: tokenBucketSlot({ extraBase: base, extraSlots: 6 }, 0), epochWallMs: 0 });
    const b = new SharedTokenBucket(buffer, { qps: 1, burst: 1, slot: tokenBucketSlot({ extraBase: base, extraSlots: 6 }, 1), epochWallMs: 0 });
    assert.equal(a.acquire(10e9), 0);
    assert.equal(b.acquire(10e9), 0, `base ${base}: the second bucket is untouched by the first`);
    assert.equal(a.acquire(10e9), 1_000_000);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentIteration, componentIterations, componentWorkers, globalNumber, shardCap, shardCount, shardLimiter } from './profile-shard.js';
import { componentArrivals } from '../profile-run/profile-worker.js';
import { SharedTokenBucket } from '../kube/shared-token-bucket.js';
import type { Component } from '../profile/types.js';

const comp = (over: Partial<Component>): Component =>
  ({ name: 'c', load: { kind: 'rate', perSecond: 100 }, delayMs: 0, mode: 'scenario', steps: [], at: { file: 'p.yaml', line: 1, column: 1 }, ...over }) as Component;
const slices = (count: number) => Array.from({ length: count }, (_, index) => ({ index, count }));

test('bucket split: qps/N exactly, burst split with shardShare at least 1; the totals are the profile\'s', () => {
  for (const [qps, burst, n] of [[50, 10, 3], [7, 7, 2], [1000, 1, 4], [3, 2, 5]] as const) {
    const parts = slices(n).map((s) => shardLimiter({ qps, burst }, s));
    assert.ok(Math.abs(parts.reduce((a, p) => a + p.qps, 0) - qps) < 1e-9, `qps ${qps} over ${n}`);
    for (const p of parts) assert.ok(p.burst >= 1);
    // The burst total is the profile's unless it is below the shard count (each shard needs one token).
    assert.equal(parts.reduce((a, p) => a + p.burst, 0), Math.max(burst, n), `burst ${burst} over ${n}: ${parts.map((p) => p.burst)}`);
  }
  assert.deepEqual(slices(3).map((s) => shardLimiter({ qps: 50, burst: 10 }, s).burst), [4, 3, 3]);
  assert.deepEqual(shardLimiter({ qps: 50, burst: 10 }, undefined), { qps: 50, burst: 10 }, 'not sharded: unchanged');
});

test('bucket split: N shard buckets together grant what the one bucket grants over the same time', () => {
  // Each shard's bucket is its own SharedTokenBucket (one per process): tokens granted within 10 s to callers all asking at one time.
  const grants = (qps: number, burst: number): number => {
    const b = new SharedTokenBucket(new SharedArrayBuffer(64), { qps, burst, slot: 0, epochWallMs: 0 });
    let n = 0;
    while (b.acquire(1e12) <= 10_000_000 && n < 10_000) n++;
    return n;
  };
  const whole = grants(20, 6);
  const split = slices(3).reduce((a, s) => {
    const l = shardLimiter({ qps: 20, burst: 6 }, s);
    return a + grants(l.qps, l.burst);
  }, 0);
  assert.ok(Math.abs(split - whole) <= 3, `one bucket ${whole}, three shard buckets ${split}`);
  assert.ok(whole >= 205 && whole <= 207, `20/s for 10 s plus the burst of 6: ${whole}`);
});

test('closed-model split: workers, iteration caps and in-flight caps split with shardShare; iterations numbered globally without collision', () => {
  const c = comp({ load: { kind: 'concurrency', workers: 5 }, iterations: 11 });
  assert.deepEqual(slices(2).map((s) => componentWorkers(c, s)), [3, 2]);
  assert.deepEqual(slices(3).map((s) => shardCount(11, s)), [4, 4, 3]);
  assert.equal(shardCount(Infinity, { index: 1, count: 3 }), Infinity, 'an unbounded component stays unbounded');
  assert.deepEqual(slices(4).map((s) => shardCap(2, s)), [1, 1, 1, 1], 'an in-flight cap stays at least 1');
  assert.equal(componentWorkers(c, undefined), 5);
  assert.deepEqual(slices(2).map((s) => componentIterations(c, s)), [6, 5]);
  // Fewer workers than shards: the shards holding a worker share the iterations; the others run none (and do not wait for any).
  const one = comp({ load: { kind: 'concurrency', workers: 2 }, iterations: 7 });
  assert.deepEqual(slices(3).map((s) => [componentWorkers(one, s), componentIterations(one, s)]), [[1, 4], [1, 3], [0, 0]]);
  const numbers = slices(3).flatMap((s) => Array.from({ length: componentIterations(one, s) }, (_, k) => componentIteration(one, k, s)));
  assert.deepEqual(numbers.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(componentIterations(comp({ load: { kind: 'concurrency', workers: 1 } }), { index: 0, count: 2 }), Infinity, 'an unbounded watcher runs on shard 0 only');
  // Every shard numbers its share 0 … share−1; globally they are 0 … total−1, each once.
  for (const [total, n] of [[11, 3], [9, 2], [4, 4], [10, 1]] as const) {
    const numbers = slices(n).flatMap((s) => Array.from({ length: shardCount(total, s) }, (_, k) => globalNumber(k, s)));
    assert.deepEqual(numbers.sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i), `${total} over ${n}`);
  }
});

test('open-model split: the shards\' schedules together are the whole schedule, iterations cap included', () => {
  const c = comp({ load: { kind: 'rate', perSecond: 40 }, iterations: 50, delayMs: 500 });
  const whole = componentArrivals(c, 2_000);
  const parts = slices(3).map((s) => componentArrivals(c, 2_000, s));
  const times = (p: ReturnType<typeof componentArrivals>) => Array.from({ length: p.plannedBy(1e9) }, (_, k) => p.arrivalMs(k));
  assert.equal(whole.plannedBy(1e9), 50, 'capped at the iterations');
  assert.deepEqual(parts.flatMap(times).sort((a, b) => a - b), times(whole));
  assert.deepEqual(parts.map((p) => p.plannedBy(1e9)), slices(3).map((s) => shardCount(50, s)), 'each shard plans its iteration share');
  for (const t of [0, 600, 1_234, 2_500]) assert.equal(parts.reduce((a, p) => a + p.plannedBy(t), 0), whole.plannedBy(t), `planned by ${t} ms`);
});

/**
 * One shard's share of a profile run (`run <profile> --shard i/N`): open-model arrivals split exactly
 * (global arrival k → shard k mod N, see shard-pacer.ts), closed-model workers and every iteration
 * cap split with shardShare, client-side qps/burst buckets split so the shards together keep the
 * profile's totals, and iteration/worker numbers made global so templated names never collide.
 */
import type { Component, Profile } from '../profile/types.js';
import { shardShare, type ShardSlice } from '../engine/shard-pacer.js';

/**
 * shardLimiter returns shard `shard`'s part of a client-side bucket: qps/N (exact, a fraction is fine),
 * burst split with shardShare but at least 1 (a bucket of 0 tokens would never send), so the total
 * burst across shards is the profile's, or N when the profile's burst is below N.
 */
export function shardLimiter(limit: { qps: number; burst: number }, shard: ShardSlice | undefined): { qps: number; burst: number } {
  if (!shard) return limit;
  return { qps: limit.qps / shard.count, burst: Math.max(1, shardShare(limit.burst, shard)) };
}

/** shardCount returns shard `shard`'s share of `total` units (workers, iterations, in-flight caps); `total` unchanged when not sharded. */
export function shardCount(total: number, shard: ShardSlice | undefined): number {
  return shard ? shardShare(total, shard) : total;
}

/** shardCap is shardCount for a cap that must stay at least 1 (in-flight caps): a cap of 0 would stall the shard. */
export function shardCap(total: number, shard: ShardSlice | undefined): number {
  return shard ? Math.max(1, shardShare(total, shard)) : total;
}

/**
 * globalNumber turns a shard's local number (iteration, worker) into the run's: local k of shard i of
 * N is k·N + i. Every shard's numbers differ, and shards that split a count with shardShare together
 * number 0 … total−1 exactly as one run would.
 */
export function globalNumber(local: number, shard: ShardSlice | undefined): number {
  return shard ? local * shard.count + shard.index : local;
}

/** componentWorkers returns a closed-model component's workers for this shard (its share of `concurrency`). */
export function componentWorkers(c: Component, shard: ShardSlice | undefined): number {
  return c.load.kind === 'concurrency' ? shardCount(c.load.workers, shard) : 0;
}

/**
 * distributedProblems lists why a profile cannot run as `count` shards: a closed-model component with
 * fewer workers than shards (a shard with iterations and no worker would never end), and what a shard
 * cannot do alone yet (a system under test and observers, lifecycle measurements over every shard's objects).
 */
export function distributedProblems(profile: Profile, count: number): string[] {
  const problems: string[] = [];
  if (count <= 1) return problems;
  for (const ph of profile.phases) {
    for (const c of ph.components) {
      if (c.load.kind === 'concurrency' && c.load.workers < count) {
        problems.push(`phase "${ph.name}", component "${c.name}": concurrency ${c.load.workers} is below the ${count} shards (each shard runs its share of the workers; give at least one per shard)`);
      }
    }
  }
  if (profile.sut) problems.push('a profile with a system under test (sut:) cannot run as shards yet: every shard would start its own');
  if (profile.observe.length) problems.push('a profile with observers (observe:) cannot run as shards yet: every shard would observe the same pods');
  if (profile.measure.length) problems.push("a profile with lifecycle measurements (measure:) cannot run as shards yet: every shard's watch would see every shard's objects");
  return problems;
}

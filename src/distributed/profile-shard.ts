/**
 * One shard's share of a profile run (`run <profile> --shard i/N`): open-model arrivals split exactly
 * (global arrival k → shard k mod N, see shard-pacer.ts), closed-model workers and every iteration
 * cap split with shardShare (a closed-model component's iterations among the shards holding its workers), client-side qps/burst buckets split so the shards together keep the
 * profile's totals, and iteration/worker numbers made global so templated names never collide.
 */
import type { Component } from '../profile/types.js';
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

/**
 * componentSlice returns the slice a component's units are split by: every shard for an open-model
 * component; for a closed-model one only the first min(workers, N) shards, which hold its workers
 * (undefined for a shard with none of them: it runs none of the component's iterations either).
 */
export function componentSlice(c: Component, shard: ShardSlice): ShardSlice | undefined {
  if (c.load.kind !== 'concurrency') return shard;
  const holders = Math.min(c.load.workers, shard.count);
  return shard.index < holders ? { index: shard.index, count: holders } : undefined;
}

/** componentWorkers returns a closed-model component's workers for this shard (its share of `concurrency`; 0 for an open-model component). */
export function componentWorkers(c: Component, shard: ShardSlice | undefined): number {
  return c.load.kind === 'concurrency' ? shardCount(c.load.workers, shard) : 0;
}

/** componentIterations returns a component's iteration cap for this shard (Infinity when unbounded): its share among the shards that run the component. */
export function componentIterations(c: Component, shard: ShardSlice | undefined): number {
  const total = c.iterations ?? Infinity;
  if (!shard) return total;
  const slice = componentSlice(c, shard);
  return slice ? shardShare(total, slice) : 0;
}

/** componentIteration returns the run's number of this shard's local iteration `unit` of a component (see globalNumber; a closed-model component's shards number among themselves). */
export function componentIteration(c: Component, unit: number, shard: ShardSlice | undefined): number {
  return shard ? globalNumber(unit, componentSlice(c, shard) ?? shard) : unit;
}


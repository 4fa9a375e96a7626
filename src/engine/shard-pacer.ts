import type { Pacer } from './pacer.js';

/** ShardSlice names one shard of a distributed run: shard `index` (0-based) of `count`. */
export interface ShardSlice {
  index: number;
  count: number;
}

/**
 * shardPacer keeps shard `index` of `count`'s share of an open model: global arrival k goes to shard
 * k mod count, so local arrival j is global arrival j·count + index at the same intended time, and
 * `count` shards together send the whole schedule with its spacing.
 */
export function shardPacer(p: Pacer, { index, count }: ShardSlice): Pacer {
  return {
    open: p.open,
    arrivalMs: (j) => p.arrivalMs(j * count + index),
    plannedBy(elapsedMs) {
      // Global arrivals 0 … P−1 hold ⌈(P − index) / count⌉ of this shard's.
      const planned = p.plannedBy(elapsedMs);
      return planned <= index ? 0 : Math.ceil((planned - index) / count);
    },
    rateAt: (elapsedMs) => p.rateAt(elapsedMs) / count,
  };
}

/** shardShare returns shard `index` of `count`'s share of `total` units split as evenly as possible (the first `total mod count` shards take one more). */
export function shardShare(total: number, { index, count }: ShardSlice): number {
  if (!Number.isFinite(total)) return total;
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/** LoadModel is the serializable description of a pacer, sent to workers; `createPacer` builds it. */
import type { Pacer } from './pacer.js';
import { constantPacer } from './constant-pacer.js';
import { linearPacer } from './linear-pacer.js';
import { closedPacer } from './closed-pacer.js';
import { shardPacer, type ShardSlice } from './shard-pacer.js';

/** LoadModel names a pacer and its parameters (rates per second, durations in ms); `shard` keeps one shard's share of an open model's arrivals. */
export type LoadModel =
  | { kind: 'closed' }
  | { kind: 'constant'; rate: number; durationMs: number; shard?: ShardSlice }
  | { kind: 'linear'; from: number; to: number; durationMs: number; shard?: ShardSlice };

/** createPacer builds the pacer of a load model, capped at `maxArrivals` arrivals (of its shard's, when sharded; Infinity: no cap). */
export function createPacer(model: LoadModel, maxArrivals = Infinity): Pacer {
  let p: Pacer;
  switch (model.kind) {
    case 'closed':
      return closedPacer();
    case 'constant':
      p = constantPacer(model.rate, model.durationMs);
      break;
    case 'linear':
      p = linearPacer(model.from, model.to, model.durationMs);
      break;
  }
  if (model.shard) p = shardPacer(p, model.shard);
  if (maxArrivals === Infinity) return p;
  return {
    open: p.open,
    arrivalMs: (i) => (i < maxArrivals ? p.arrivalMs(i) : Infinity),
    plannedBy: (t) => Math.min(maxArrivals, p.plannedBy(t)),
    rateAt: (t) => p.rateAt(t),
  };
}

/**
 * A client-side token bucket (qps, burst) like client-go's, whose whole state is one 64-bit slot of
 * the run's SharedArrayBuffer, so every worker thread of a component shares one limit. The slot holds
 * the bucket's "empty time" E in ns since a shared epoch (tokens at time t = min(burst, (t − E)·qps));
 * taking a token advances E by 1/qps with Atomics.compareExchange, and the caller waits until E.
 */
import { performance } from 'node:perf_hooks';

/** TOKEN_BUCKET_SLOTS is how many u32 slots of the layout's extra area one bucket needs (one 8-byte aligned i64 plus alignment). */
export const TOKEN_BUCKET_SLOTS = 3;

/** tokenBucketSlot returns the first slot of the `k`-th bucket in a layout's extra area; throws when it does not fit. */
export function tokenBucketSlot(layout: { extraBase: number; extraSlots: number }, k: number): number {
  if (!Number.isInteger(k) || k < 0 || (k + 1) * TOKEN_BUCKET_SLOTS > layout.extraSlots) {
    throw new RangeError(`token bucket ${k} does not fit in ${layout.extraSlots} extra slots (${TOKEN_BUCKET_SLOTS} each)`);
  }
  return layout.extraBase + k * TOKEN_BUCKET_SLOTS;
}

/** TokenBucketConfig places and sizes a bucket; plain data, identical in every thread that shares it. */
export interface TokenBucketConfig {
  /** Tokens per second (> 0). */
  qps: number;
  /** Bucket size in tokens (≥ 1). */
  burst: number;
  /** First u32 slot reserved for this bucket (e.g. `layout.extraBase + k * TOKEN_BUCKET_SLOTS`). */
  slot: number;
  /** Shared epoch, wall-clock ms (performance.timeOrigin + performance.now() of any thread). */
  epochWallMs: number;
}

/** SharedTokenBucket is one thread's handle on a shared bucket; `acquire` is safe from any number of threads at once. */
export class SharedTokenBucket {
  private readonly cell: BigInt64Array;
  private readonly intervalNs: number;
  private readonly burstNs: number;
  private readonly offsetMs: number;

  constructor(buffer: SharedArrayBuffer, readonly config: TokenBucketConfig) {
    if (!(config.qps > 0) || !(config.burst >= 1)) throw new RangeError(`token bucket needs qps > 0 and burst >= 1 (got qps ${config.qps}, burst ${config.burst})`);
    const byte = config.slot * 4;
    const aligned = byte % 8 === 0 ? byte : byte + 4;
    if (aligned + 8 > buffer.byteLength) throw new RangeError(`token bucket slot ${config.slot} is outside the shared buffer`);
    this.cell = new BigInt64Array(buffer, aligned, 1);
    this.intervalNs = 1e9 / config.qps;
    this.burstNs = config.burst * this.intervalNs;
    this.offsetMs = performance.timeOrigin - config.epochWallMs;
  }

  /** nowNs returns this thread's time in ns since the shared epoch. */
  nowNs(): number {
    return Math.round((this.offsetMs + performance.now()) * 1e6);
  }

  /** acquire takes one token and returns how long the caller must wait for it, µs (0 when one was available); never blocks. */
  acquire(nowNs = this.nowNs()): number {
    const floor = nowNs - this.burstNs;
    for (;;) {
      const cur = Atomics.load(this.cell, 0);
      const e = cur === 0n ? floor : Number(cur); // 0: never used, the bucket starts full
      const next = Math.round((e > floor ? e : floor) + this.intervalNs);
      if (Atomics.compareExchange(this.cell, 0, cur, BigInt(next)) === cur) return next > nowNs ? Math.ceil((next - nowNs) / 1000) : 0;
    }
  }

  /** tokens returns the tokens available now (negative when callers are queued), for tests and live views. */
  tokens(nowNs = this.nowNs()): number {
    const cur = Atomics.load(this.cell, 0);
    return cur === 0n ? this.config.burst : Math.min(this.config.burst, (nowNs - Number(cur)) / this.intervalNs);
  }
}

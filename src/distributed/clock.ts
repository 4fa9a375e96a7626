/**
 * Clock offsets of a distributed run's shards. Every shard starts at the agreed `--start-at` by its
 * own clock, so a shard whose clock is off starts off by as much. Each NDJSON progress line carries
 * the shard's wall clock when it was written (`at`); the coordinator compares it with its own clock
 * when the line arrives. `at - received` is the shard's offset minus the line's transit time, so the
 * largest of these over a shard's lines (the line that travelled fastest) estimates the offset from
 * below: the true offset lies between the estimate and the estimate plus the fastest transit.
 */

/** CLOCK_OFFSET_WARN_MS is the estimated offset (either sign) beyond which a shard's clock is reported. */
export const CLOCK_OFFSET_WARN_MS = 250;

/** ClockEstimate accumulates one shard's offset samples. */
export class ClockEstimate {
  private best = -Infinity;
  private n = 0;

  /** sample records one progress line written at `shardMs` (the shard's clock) and received at `localMs` (ours). */
  sample(shardMs: number, localMs: number): void {
    if (!Number.isFinite(shardMs)) return;
    this.n++;
    this.best = Math.max(this.best, shardMs - localMs);
  }

  /** offsetMs is the shard's clock minus ours, ms (rounded to 0.1), or undefined before any sample. */
  get offsetMs(): number | undefined {
    return this.n ? Math.round(this.best * 10) / 10 : undefined;
  }

  get samples(): number {
    return this.n;
  }
}

/** clockWarnings names the shards whose estimated offset is beyond `thresholdMs`. */
export function clockWarnings(shards: ReadonlyArray<{ index: number; clockOffsetMs?: number }>, thresholdMs = CLOCK_OFFSET_WARN_MS): string[] {
  return shards
    .filter((s) => s.clockOffsetMs !== undefined && Math.abs(s.clockOffsetMs) > thresholdMs)
    .map((s) => `shard ${s.index}: clock ${s.clockOffsetMs! > 0 ? 'ahead' : 'behind'} by about ${Math.abs(s.clockOffsetMs!).toFixed(0)} ms (beyond ${thresholdMs} ms): it started that much ${s.clockOffsetMs! > 0 ? 'early' : 'late'} against the others`);
}

/**
 * `--progress ndjson`: one JSON line per second on stdout while a run goes on (what a coordinator
 * following a shard's log merges into its live view), and the whole result as the last line.
 */
import os from 'node:os';
import type { Writable } from '../cli/context.js';
import type { EngineTick } from '../engine/engine.js';
import type { ShardSlice } from '../engine/shard-pacer.js';
import type { RunResult, ShardInfo } from '../results/model.js';

/** ProgressLine is one second of a run: cumulative counts and the last interval's. */
export interface ProgressLine {
  type: 'progress';
  /** The shard's index, when sharded. */
  shard?: number;
  /** Run-clock ms since the (agreed) start. */
  elapsedMs: number;
  /** The shard's wall clock when it wrote the line, epoch ms (a coordinator estimates the shard's clock offset from it). */
  at?: number;
  /** Cumulative counts since the start. */
  requests: number;
  errors: number;
  dropped: number;
  /** The last interval (about a second): its counts, corrected p50/p99 (µs), in flight at its end. */
  interval: { ms: number; requests: number; errors: number; dropped: number; p50: number; p99: number; inFlight: number };
  /** Target rate of this shard now, per second (null in the closed model). */
  targetRate: number | null;
}

/** ResultLine is the last line: the whole result, compressed HdrHistograms included. */
export interface ResultLine {
  type: 'result';
  shard?: number;
  result: RunResult;
}

/** NdjsonProgress writes progress lines and the result line to `out`; call from the main thread only. */
export class NdjsonProgress {
  /** Counts of earlier engines of the same run (a profile's earlier phases), added to every line's cumulative counts. */
  private carried = { requests: 0, errors: 0, dropped: 0 };

  constructor(
    private readonly out: Writable,
    private readonly shard?: ShardSlice,
  ) {}

  /** carry adds a finished engine's totals (a profile phase's) to the cumulative counts of the lines that follow. */
  carry(totals: { requests: number; errors: number; dropped: number }): void {
    this.carried = { requests: this.carried.requests + totals.requests, errors: this.carried.errors + totals.errors, dropped: this.carried.dropped + totals.dropped };
  }

  /** tick writes the progress line of one engine tick. */
  tick(t: EngineTick): void {
    const now = t.total.totals();
    const total = { requests: now.requests + this.carried.requests, errors: now.errors + this.carried.errors, dropped: now.dropped + this.carried.dropped };
    const line: ProgressLine = {
      type: 'progress',
      ...(this.shard ? { shard: this.shard.index } : {}),
      elapsedMs: Math.round(t.elapsedMs),
      at: Date.now(),
      requests: total.requests,
      errors: total.errors,
      dropped: total.dropped,
      interval: { ms: Math.round(t.intervalMs), requests: t.point.requests, errors: t.point.errors, dropped: t.point.dropped, p50: t.point.p50, p99: t.point.p99, inFlight: t.point.inFlight },
      targetRate: Number.isNaN(t.targetRate) ? null : t.targetRate,
    };
    this.out.write(JSON.stringify(line) + '\n');
  }

  /** result writes the result line; nothing may follow it. */
  result(result: RunResult): void {
    const line: ResultLine = { type: 'result', ...(this.shard ? { shard: this.shard.index } : {}), result };
    this.out.write(JSON.stringify(line) + '\n');
  }
}

/** shardInfo returns the `shard` section of a shard's result (undefined for an ordinary run). */
export function shardInfo(shard: ShardSlice | undefined, startAtMs: number | undefined, startLatenessMs: number | undefined): ShardInfo | undefined {
  if (!shard) return undefined;
  return {
    index: shard.index,
    count: shard.count,
    ...(startAtMs !== undefined ? { startAt: new Date(startAtMs).toISOString() } : {}),
    ...(startLatenessMs !== undefined ? { startLatenessMs } : {}),
    host: os.hostname(),
  };
}

/** parseNdjsonResult returns the result of a shard's NDJSON output (its last result line), or undefined when it has none. */
export function parseNdjsonResult(text: string): RunResult | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const doc = JSON.parse(lines[i]!) as Partial<ResultLine>;
      if (doc.type === 'result' && doc.result) return doc.result;
    } catch {
      // not JSON: a stray line
    }
  }
  return undefined;
}

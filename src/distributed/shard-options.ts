/**
 * The flags of one shard of a distributed `run <url|profile>`: `--shard i/N` (this shard's share of the load),
 * `--start-at <epoch ms>` (the agreed start of every shard) and `--progress ndjson` (machine-readable
 * progress on stdout and the whole result as its last line).
 */
import type { Command } from 'commander';
import type { ShardSlice } from '../engine/shard-pacer.js';

/** PROGRESS_FORMATS lists the accepted `--progress` values. */
export const PROGRESS_FORMATS = ['ndjson'] as const;

/** ShardFlags are the raw commander values of the shard flags. */
export interface ShardFlags {
  shard?: string;
  startAt?: string;
  progress?: string;
}

/** ShardPlan is the validated shard flags of a run. */
export interface ShardPlan {
  shard?: ShardSlice;
  /** Wall-clock epoch ms at which the run's clock starts. */
  startAtMs?: number;
  progress?: (typeof PROGRESS_FORMATS)[number];
}

/** START_AT_PAST_LIMIT_MS is how far in the past a --start-at may lie (further: most likely seconds given for ms), ms. */
const START_AT_PAST_LIMIT_MS = 24 * 3600_000;

/** addShardFlags adds `--shard`, `--start-at` and `--progress` to a command. */
export function addShardFlags(cmd: Command): Command {
  return cmd
    .option('--shard <i/N>', 'be shard i (0-based) of N: open model: arrival k of the whole schedule goes to shard k mod N; URL runs split connections, --requests and --max-in-flight; profiles split closed-model workers, iteration and in-flight caps and every qps/burst bucket, number iterations globally, and skip setup and cleanup (the coordinator\'s)')
    .option('--start-at <epoch ms>', 'start the run clock at this wall-clock time (Unix epoch ms, or ISO 8601), so shards on several machines share one schedule (a profile\'s later phases: 2 s after the previous planned end); lateness is recorded')
    .option('--progress <format>', '"ndjson": one progress line per second on stdout, and the whole result as the last line (no human output)');
}

/** parseShardFlags validates the shard flags at wall-clock `nowMs`, adding a problem for each invalid one. */
export function parseShardFlags(o: ShardFlags, nowMs: number, problems: string[]): ShardPlan {
  const plan: ShardPlan = {};
  if (o.shard !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(o.shard);
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || !(count >= 1) || !(index < count) || !Number.isSafeInteger(count)) problems.push(`--shard must be i/N with 0 ≤ i < N, e.g. 0/3, got "${o.shard}"`);
    else plan.shard = { index, count };
  }
  if (o.startAt !== undefined) {
    const text = o.startAt.trim();
    const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(ms)) problems.push(`--start-at must be a Unix epoch in ms (e.g. ${Math.round(nowMs)}) or an ISO 8601 time, got "${o.startAt}"`);
    else if (ms < nowMs - START_AT_PAST_LIMIT_MS) problems.push(`--start-at ${o.startAt} is ${new Date(ms).toISOString()}, more than a day ago (milliseconds are expected, not seconds)`);
    else plan.startAtMs = ms;
  }
  if (o.progress !== undefined) {
    if (!(PROGRESS_FORMATS as readonly string[]).includes(o.progress)) problems.push(`--progress must be ${PROGRESS_FORMATS.join(' or ')}, got "${o.progress}"`);
    else plan.progress = o.progress as ShardPlan['progress'];
  }
  return plan;
}

/** Assembles the result file of a run from the engine's outcome. */
import os from 'node:os';
import { RESULT_SCHEMA, type RunResult, type OperationResult, type ShardInfo, type TargetInfo } from './model.js';
import type { EngineOutcome } from '../engine/engine.js';
import { summarize } from '../metrics/histogram.js';
import { VERSION } from '../version.js';
import { GlobalSlot } from '../metrics/layout.js';

/** RunMeta is what the command knows about a run besides its measurements. */
export interface RunMeta {
  name: string;
  labels: Record<string, string>;
  target: TargetInfo;
  config: Record<string, unknown>;
  /** Whether arrival times were planned (open model): corrected latency differs from uncorrected. */
  openModel: boolean;
  profile?: { name: string; sha256: string };
  /**
   * The planned run length, ms (Infinity or undefined: none). A run that was not stopped early reports
   * its duration and rates over this span, even when its last response came sooner (-r 0.5 -d 1s) or later.
   */
  plannedDurationMs?: number;
  /** Set when the run is one shard of a distributed run. */
  shard?: ShardInfo;
}

/** END_BOUND is the `stoppedBy` of a profile run whose end bound (a phase's duration + one --timeout) aborted work still in flight: partial, but it ran its plan. */
export const END_BOUND = 'end bound';

/** buildResult turns an engine outcome into a `racerig/result@1` document. */
export function buildResult(outcome: EngineOutcome, meta: RunMeta): RunResult {
  const planned = meta.plannedDurationMs;
  const overPlan = (outcome.stoppedBy === undefined || outcome.stoppedBy === END_BOUND) && planned !== undefined && Number.isFinite(planned) && planned > 0;
  const seconds = overPlan ? planned / 1000 : Math.max(outcome.elapsedMs / 1000, 1e-9);
  const measurements = outcome.layout.measurements;
  const operations: OperationResult[] = outcome.layout.operations.map((name, op) => {
    const c = outcome.final.counters(op);
    return {
      name,
      ...(measurements.includes(op) ? { measurement: true } : {}),
      ...(outcome.layout.streams[op] !== undefined ? { streamDuration: outcome.layout.operations[outcome.layout.streams[op]!]! } : {}),
      requests: c.requests,
      errors: c.errors,
      dropped: c.dropped,
      achievedRate: round(c.requests / seconds, 3),
      status: c.status,
      errorKinds: c.errorKinds,
      ...(Object.keys(c.reasons).length ? { reasons: c.reasons } : {}),
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      ...(c.watch ? { watch: c.watch } : {}),
      latencyUs: summarize(outcome.final.latency(op)),
      uncorrectedLatencyUs: summarize(outcome.final.uncorrected(op)),
    };
  });
  // Totals count requests: measurement operations (delivery lag, limiter waits) record samples, not requests.
  const counted = operations.filter((o) => !o.measurement);
  const requests = counted.reduce((a, o) => a + o.requests, 0);
  const lateness = outcome.lateness;
  return {
    schema: RESULT_SCHEMA,
    name: meta.name,
    partial: outcome.stoppedBy !== undefined,
    ...(outcome.stoppedBy ? { stoppedBy: outcome.stoppedBy } : {}),
    labels: meta.labels,
    startedAt: new Date(outcome.startedWallMs).toISOString(),
    endedAt: new Date(outcome.endedWallMs).toISOString(),
    durationSeconds: round(seconds, 6),
    ...(overPlan ? { elapsedSeconds: round(outcome.elapsedMs / 1000, 6) } : {}),
    target: meta.target,
    config: meta.config,
    environment: { racerigVersion: VERSION, node: process.version, platform: `${process.platform}-${process.arch}`, cpus: os.availableParallelism() },
    ...(meta.profile ? { profile: meta.profile } : {}),
    totals: {
      requests,
      errors: counted.reduce((a, o) => a + o.errors, 0),
      dropped: counted.reduce((a, o) => a + o.dropped, 0),
      achievedRate: round(requests / seconds, 3),
    },
    ...(meta.openModel && lateness.totalCount > 0
      ? {
          schedule: {
            lateUs: { p50: lateness.getValueAtPercentile(50), p99: lateness.getValueAtPercentile(99), max: lateness.getValueAtPercentile(100) },
            startedLate: outcome.final.global(GlobalSlot.LATE),
          },
        }
      : {}),
    operations,
    timeSeries: outcome.timeSeries,
    ...(meta.shard ? { shard: meta.shard } : {}),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

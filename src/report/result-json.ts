/**
 * A run's numbers as JSON (`racerig report --format json`): the result file without its encoded
 * histograms and time series, for scripts that want percentiles without an HdrHistogram decoder.
 */
import type { LatencySummary } from '../results/model.js';
import type { LoadedResult } from '../results/read-result.js';

/** REPORT_SCHEMA identifies the JSON form of `racerig report`. */
export const REPORT_SCHEMA = 'racerig/report@1';

/** ReportLatency is a latency summary without its histogram encoding (µs). */
export type ReportLatency = Omit<LatencySummary, 'hdr'>;

function strip(l: LatencySummary): ReportLatency {
  const { hdr: _omit, ...rest } = l;
  void _omit;
  return rest;
}

/** reportJson returns the JSON document for one or more results (every value in the result file's units). */
export function reportJson(results: readonly LoadedResult[]): object {
  return {
    schema: REPORT_SCHEMA,
    results: results.map(({ file, result: r }) => ({
      file,
      name: r.name,
      labels: r.labels,
      partial: r.partial,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationSeconds: r.durationSeconds,
      target: r.target,
      profile: r.profile,
      totals: r.totals,
      operations: r.operations.map((op) => ({ ...op, latencyUs: strip(op.latencyUs), uncorrectedLatencyUs: strip(op.uncorrectedLatencyUs) })),
      lifecycles: r.lifecycles?.map((lc) => ({ name: lc.name, latencyUs: strip(lc.latencyUs) })),
      thresholds: r.thresholds,
      findings: r.findings,
    })),
  };
}

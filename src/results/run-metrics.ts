/**
 * The metrics a comparison looks at, and their values in one run: per operation, per lifecycle,
 * and for all operations together (`all`, whose latencies come from the merged histograms).
 */
import type { LatencySummary, RunResult } from './model.js';
import { mergeHistograms } from './merge-histograms.js';

/** MetricId names a compared metric; also the names `--fail-on` rules use (`p99.9` is also written `p999`). */
export type MetricId = 'throughput' | 'p50' | 'p90' | 'p99' | 'p99.9' | 'errors' | 'dropped';

/** MetricDef describes a metric: its unit, which direction is better, and how its change is expressed. */
export interface MetricDef {
  id: MetricId;
  /** "req/s", "us" (microseconds) or "%" (a share of requests). */
  unit: 'req/s' | 'us' | '%';
  /** Whether a larger value is better (throughput) or worse (latency, errors, dropped). */
  higherIsBetter: boolean;
  /** "%" when changes are relative (percent of the baseline), "pp" when absolute percentage points (rates). */
  deltaUnit: '%' | 'pp';
}

/** METRICS lists every compared metric in display order. */
export const METRICS: readonly MetricDef[] = [
  { id: 'throughput', unit: 'req/s', higherIsBetter: true, deltaUnit: '%' },
  { id: 'p50', unit: 'us', higherIsBetter: false, deltaUnit: '%' },
  { id: 'p90', unit: 'us', higherIsBetter: false, deltaUnit: '%' },
  { id: 'p99', unit: 'us', higherIsBetter: false, deltaUnit: '%' },
  { id: 'p99.9', unit: 'us', higherIsBetter: false, deltaUnit: '%' },
  { id: 'errors', unit: '%', higherIsBetter: false, deltaUnit: 'pp' },
  { id: 'dropped', unit: '%', higherIsBetter: false, deltaUnit: 'pp' },
];

/** ALL_OPERATIONS is the name of the pseudo-operation that sums every operation of a run. */
export const ALL_OPERATIONS = 'all';

/** LIFECYCLE_PREFIX starts the subject name of a lifecycle latency (e.g. `lifecycle: pod startup`). */
export const LIFECYCLE_PREFIX = 'lifecycle: ';

/** SubjectMetrics maps a subject (operation, lifecycle or `all`) to its metric values in one run. */
export type SubjectMetrics = Map<string, Map<MetricId, number>>;

/** SubjectHistograms maps a subject to its encoded corrected-latency histograms (compressed base64, µs). */
export type SubjectHistograms = Map<string, string[]>;

/** percentOf returns part/whole in percent (0 when whole is 0). */
export function percentOf(part: number, whole: number): number {
  return whole > 0 ? (100 * part) / whole : 0;
}

function latencyMetrics(into: Map<MetricId, number>, l: Pick<LatencySummary, 'count' | 'p50' | 'p90' | 'p99' | 'p999'>): void {
  if (l.count <= 0) return;
  into.set('p50', l.p50);
  into.set('p90', l.p90);
  into.set('p99', l.p99);
  into.set('p99.9', l.p999);
}

/** runMetrics extracts every metric of one run, by subject, in display order (`all` first, then operations, then lifecycles). */
export function runMetrics(run: RunResult): SubjectMetrics {
  const out: SubjectMetrics = new Map();
  const all = new Map<MetricId, number>();
  all.set('throughput', run.totals.achievedRate);
  all.set('errors', percentOf(run.totals.errors, run.totals.requests));
  all.set('dropped', percentOf(run.totals.dropped, run.totals.requests + run.totals.dropped));
  // `all` is every request: measurement operations (delivery lag, stream durations, limiter waits) hold samples of something else.
  const requestOps = run.operations.filter((o) => !o.measurement);
  if (requestOps.length > 1) {
    const merged = mergeHistograms(requestOps.map((o) => o.latencyUs.hdr));
    latencyMetrics(all, {
      count: merged.totalCount,
      p50: merged.getValueAtPercentile(50),
      p90: merged.getValueAtPercentile(90),
      p99: merged.getValueAtPercentile(99),
      p999: merged.getValueAtPercentile(99.9),
    });
  } else if (requestOps.length === 1) latencyMetrics(all, requestOps[0]!.latencyUs);
  out.set(ALL_OPERATIONS, all);
  for (const op of run.operations) {
    const m = new Map<MetricId, number>();
    // A measurement's samples have latencies only: no rate, errors or dropped of their own.
    if (!op.measurement) m.set('throughput', op.achievedRate);
    latencyMetrics(m, op.latencyUs);
    if (!op.measurement) {
      m.set('errors', percentOf(op.errors, op.requests));
      m.set('dropped', percentOf(op.dropped, op.requests + op.dropped));
    }
    out.set(op.name, m);
  }
  for (const lc of run.lifecycles ?? []) {
    const m = new Map<MetricId, number>();
    latencyMetrics(m, lc.latencyUs);
    out.set(LIFECYCLE_PREFIX + lc.name, m);
  }
  return out;
}

/** runHistograms returns each subject's encoded corrected-latency histograms in one run (`all` holds every operation's). */
export function runHistograms(run: RunResult): SubjectHistograms {
  const out: SubjectHistograms = new Map();
  out.set(ALL_OPERATIONS, run.operations.filter((o) => !o.measurement).map((o) => o.latencyUs.hdr));
  for (const op of run.operations) out.set(op.name, [op.latencyUs.hdr]);
  for (const lc of run.lifecycles ?? []) out.set(LIFECYCLE_PREFIX + lc.name, [lc.latencyUs.hdr]);
  return out;
}

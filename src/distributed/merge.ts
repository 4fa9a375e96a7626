/**
 * The exact merge of several results (the shards of a distributed run) into one: counts summed,
 * HdrHistograms added (the merged p99 is the p99 of every sample, not an average of p99s), time
 * series summed per wall-clock second, rates over the window from the earliest start to the latest end.
 */
import { RESULT_SCHEMA, type Finding, type LifecycleResult, type OperationResult, type RunResult, type ShardSummary, type TimeSeriesPoint, type WatchResult } from '../results/model.js';
import type { LoadedResult } from '../results/read-result.js';
import { mergeHistograms } from '../results/merge-histograms.js';
import { summarize } from '../metrics/histogram.js';
import { UsageError } from '../errors.js';

/** MergeOptions tune `mergeResults`. */
export interface MergeOptions {
  /** Merge even when the inputs name different targets or profiles, or mix shard and plain results. */
  force?: boolean;
}

/** mergeResults merges `inputs` (at least one) into one result; throws a UsageError when they do not belong together (see MergeOptions.force). */
export function mergeResults(inputs: readonly LoadedResult[], options: MergeOptions = {}): RunResult {
  if (inputs.length === 0) throw new UsageError('merge needs at least one result');
  const results = inputs.map((i) => i.result);
  const { indices, missing } = shardIndices(inputs, options.force === true);
  if (!options.force) checkSameRun(inputs);

  const starts = results.map((r) => Date.parse(r.startedAt));
  const startMs = Math.min(...starts);
  const endMs = Math.max(...results.map((r, i) => starts[i]! + r.durationSeconds * 1000));
  const seconds = Math.max((endMs - startMs) / 1000, 1e-9);
  const lastMs = Math.max(...results.map((r, i) => starts[i]! + (r.elapsedSeconds ?? r.durationSeconds) * 1000));
  const endedMs = Math.max(...results.map((r) => Date.parse(r.endedAt)));

  const operations = mergeOperations(results, seconds);
  const requests = sum(results, (r) => r.totals.requests);
  const shards: ShardSummary[] = inputs.map(({ file, result: r }, i) => ({
    index: indices[i]!,
    file,
    ...(r.shard?.host ? { host: r.shard.host } : {}),
    requests: r.totals.requests,
    errors: r.totals.errors,
    dropped: r.totals.dropped,
    startedAt: r.startedAt,
    durationSeconds: r.durationSeconds,
    ...(r.shard?.startLatenessMs !== undefined ? { startLatenessMs: r.shard.startLatenessMs } : {}),
    partial: r.partial,
    ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
  }));
  shards.sort((a, b) => a.index - b.index);
  const reasons = [
    ...shards.filter((s) => s.partial).map((s) => `shard ${s.index}: ${s.stoppedBy ?? 'partial'}`),
    ...missing.map((i) => `shard ${i}: missing`),
  ];
  const withSchedule = results.filter((r) => r.schedule);
  const lifecycles = mergeLifecycles(results);
  const findings = mergeFindings(results);
  const withRetries = results.filter((r) => r.retries);
  const withIterations = results.filter((r) => r.iterations);
  const profiles = new Set(results.map((r) => r.profile?.sha256));
  const first = results[0]!;
  const names = new Set(results.map((r) => r.name));
  return {
    schema: RESULT_SCHEMA,
    name: names.size === 1 ? first.name : `${first.name} (merged)`,
    partial: reasons.length > 0,
    ...(reasons.length ? { stoppedBy: reasons.join('; ') } : {}),
    labels: commonEntries(results.map((r) => r.labels)) as Record<string, string>,
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endedMs).toISOString(),
    durationSeconds: round(seconds, 6),
    ...(results.some((r) => r.elapsedSeconds !== undefined) ? { elapsedSeconds: round((lastMs - startMs) / 1000, 6) } : {}),
    target: first.target,
    config: commonEntries(results.map((r) => r.config)),
    environment: first.environment,
    ...(first.profile && profiles.size === 1 ? { profile: first.profile } : {}),
    totals: {
      requests,
      errors: sum(results, (r) => r.totals.errors),
      dropped: sum(results, (r) => r.totals.dropped),
      achievedRate: round(requests / seconds, 3),
    },
    ...(withSchedule.length
      ? {
          // Per-shard lateness percentiles only: the merged ones are their maxima, an upper bound.
          schedule: {
            lateUs: {
              p50: Math.max(...withSchedule.map((r) => r.schedule!.lateUs.p50)),
              p99: Math.max(...withSchedule.map((r) => r.schedule!.lateUs.p99)),
              max: Math.max(...withSchedule.map((r) => r.schedule!.lateUs.max)),
            },
            startedLate: sum(withSchedule, (r) => r.schedule!.startedLate),
          },
        }
      : {}),
    operations,
    timeSeries: mergeTimeSeries(results, starts, startMs),
    ...(withRetries.length ? { retries: { retries: sum(withRetries, (r) => r.retries!.retries), exhausted: sum(withRetries, (r) => r.retries!.exhausted) } } : {}),
    ...(withIterations.length ? { iterations: mergeIterations(withIterations) } : {}),
    ...(findings ? { findings } : {}),
    ...(lifecycles.length ? { lifecycles } : {}),
    shards,
  };
}

/** shardIndices returns each input's shard index (its `shard.index`, else its position) and the indices of shards that no input holds. */
function shardIndices(inputs: readonly LoadedResult[], force: boolean): { indices: number[]; missing: number[] } {
  const sharded = inputs.filter((i) => i.result.shard !== undefined);
  if (sharded.length === 0) return { indices: inputs.map((_, i) => i), missing: [] };
  if (sharded.length !== inputs.length) {
    if (!force) {
      const plain = inputs.filter((i) => i.result.shard === undefined).map((i) => i.file);
      throw new UsageError(`merge: ${plain.join(', ')} ${plain.length === 1 ? 'is not a shard result' : 'are not shard results'} while the others are`, 'merge the shards of one run (--force merges anyway)');
    }
    return { indices: inputs.map((_, i) => i), missing: [] };
  }
  const counts = new Set(sharded.map((i) => i.result.shard!.count));
  const problems: string[] = [];
  if (counts.size > 1) problems.push(`the inputs come from runs of different shard counts (${[...counts].join(', ')})`);
  const seen = new Map<number, string>();
  for (const { file, result } of inputs) {
    const at = seen.get(result.shard!.index);
    if (at !== undefined) problems.push(`${at} and ${file} are both shard ${result.shard!.index}`);
    seen.set(result.shard!.index, file);
  }
  if (problems.length) throw new UsageError(`merge: ${problems.join('; ')}`, 'merge each shard of one run once');
  const count = Math.max(...counts);
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!seen.has(i)) missing.push(i);
  return { indices: inputs.map((i) => i.result.shard!.index), missing };
}

/** checkSameRun throws when the inputs name different targets or profiles. */
function checkSameRun(inputs: readonly LoadedResult[]): void {
  const problems: string[] = [];
  const first = inputs[0]!;
  for (const { file, result } of inputs.slice(1)) {
    if (result.target?.url !== first.result.target?.url) problems.push(`${file} targets ${result.target?.url}, ${first.file} targets ${first.result.target?.url}`);
    if (result.profile?.sha256 !== first.result.profile?.sha256) problems.push(`${file} ran profile ${result.profile?.name ?? '(none)'} ${result.profile?.sha256?.slice(0, 12) ?? ''}, ${first.file} ${first.result.profile?.name ?? '(none)'} ${first.result.profile?.sha256?.slice(0, 12) ?? ''}`.replace(/ +,/g, ','));
  }
  if (problems.length) throw new UsageError(`merge: the inputs are not shards of one run:\n  ${problems.join('\n  ')}`, '--force merges them anyway');
}

/** mergeOperations merges operations by name, in order of first appearance; rates over `seconds`. */
function mergeOperations(results: readonly RunResult[], seconds: number): OperationResult[] {
  const byName = new Map<string, OperationResult[]>();
  for (const r of results) for (const o of r.operations) byName.set(o.name, [...(byName.get(o.name) ?? []), o]);
  return [...byName.values()].map((ops) => {
    const o = ops[0]!;
    const requests = sum(ops, (x) => x.requests);
    const reasons = ops.some((x) => x.reasons) ? addCounts(ops.map((x) => x.reasons ?? {})) : undefined;
    const watches = ops.filter((x) => x.watch).map((x) => x.watch!);
    const uncorrected = ops.map((x) => (x as Partial<OperationResult>).uncorrectedLatencyUs?.hdr ?? x.latencyUs.hdr);
    return {
      name: o.name,
      ...(ops.some((x) => x.measurement) ? { measurement: true } : {}),
      ...(o.streamDuration !== undefined ? { streamDuration: o.streamDuration } : {}),
      requests,
      errors: sum(ops, (x) => x.errors),
      dropped: sum(ops, (x) => x.dropped),
      achievedRate: round(requests / seconds, 3),
      status: addCounts(ops.map((x) => x.status ?? {})),
      errorKinds: addCounts(ops.map((x) => x.errorKinds ?? {})),
      ...(reasons ? { reasons } : {}),
      bytesIn: sum(ops, (x) => x.bytesIn ?? 0),
      bytesOut: sum(ops, (x) => x.bytesOut ?? 0),
      ...(watches.length ? { watch: mergeWatch(watches) } : {}),
      latencyUs: summarize(mergeHistograms(ops.map((x) => x.latencyUs.hdr))),
      uncorrectedLatencyUs: summarize(mergeHistograms(uncorrected)),
    };
  });
}

function mergeWatch(watches: readonly WatchResult[]): WatchResult {
  return {
    events: addCounts(watches.map((w) => w.events)),
    relists: sum(watches, (w) => w.relists),
    expired: sum(watches, (w) => w.expired),
    rewatches: sum(watches, (w) => w.rewatches),
  };
}

function mergeLifecycles(results: readonly RunResult[]): LifecycleResult[] {
  const byName = new Map<string, string[]>();
  for (const r of results) for (const lc of r.lifecycles ?? []) byName.set(lc.name, [...(byName.get(lc.name) ?? []), lc.latencyUs.hdr]);
  return [...byName].map(([name, hdrs]) => ({ name, latencyUs: summarize(mergeHistograms(hdrs)) }));
}

/** mergeFindings unites findings by kind and signature (counts summed, the earliest occurrence kept); undefined when no input was observed. */
function mergeFindings(results: readonly RunResult[]): Finding[] | undefined {
  if (!results.some((r) => r.findings)) return undefined;
  const byKey = new Map<string, Finding>();
  for (const r of results) {
    for (const f of r.findings ?? []) {
      const key = `${f.kind}\0${f.signature}`;
      const had = byKey.get(key);
      if (!had) byKey.set(key, { ...f });
      else {
        const earlier = (f.firstAt ?? '\uffff') < (had.firstAt ?? '\uffff') ? f : had;
        byKey.set(key, { ...earlier, count: had.count + f.count });
      }
    }
  }
  return [...byKey.values()];
}

function mergeIterations(results: readonly RunResult[]): NonNullable<RunResult['iterations']> {
  const its = results.map((r) => r.iterations!);
  const byComponent: Record<string, { completed: number; failed: number }> = {};
  for (const it of its) {
    for (const [c, v] of Object.entries(it.byComponent ?? {})) {
      const into = (byComponent[c] ??= { completed: 0, failed: 0 });
      into.completed += v.completed;
      into.failed += v.failed;
    }
  }
  return {
    completed: sum(its, (i) => i.completed),
    failed: sum(its, (i) => i.failed),
    failures: addCounts(its.map((i) => i.failures ?? {})),
    ...(Object.keys(byComponent).length ? { byComponent } : {}),
  };
}

/**
 * mergeTimeSeries sums the inputs' points per second of wall-clock time since the earliest start
 * (a point at t s of a run that started o s after it falls in second round(o + t), at least 1).
 * Counts are summed; in-flight and open streams are each input's last value in the second, summed;
 * p50 and p99 are the largest of the inputs' values (the interval histograms are not stored, and the
 * largest is an upper bound of the merged percentile).
 */
export function mergeTimeSeries(results: readonly RunResult[], starts: readonly number[], startMs: number): TimeSeriesPoint[] {
  interface Acc {
    point: TimeSeriesPoint;
    inFlight: Map<number, number>;
    openStreams: Map<number, number>;
  }
  const buckets = new Map<number, Acc>();
  const streams = results.some((r) => r.timeSeries.some((p) => p.openStreams !== undefined));
  results.forEach((r, i) => {
    const offset = (starts[i]! - startMs) / 1000;
    for (const p of r.timeSeries) {
      const s = Math.max(1, Math.round(offset + p.t));
      let acc = buckets.get(s);
      if (!acc) {
        acc = { point: { t: s, requests: 0, errors: 0, dropped: 0, p50: 0, p99: 0, inFlight: 0 }, inFlight: new Map(), openStreams: new Map() };
        buckets.set(s, acc);
      }
      acc.point.requests += p.requests;
      acc.point.errors += p.errors;
      acc.point.dropped += p.dropped;
      if (p.requests > 0) {
        acc.point.p50 = Math.max(acc.point.p50, p.p50);
        acc.point.p99 = Math.max(acc.point.p99, p.p99);
      }
      acc.inFlight.set(i, p.inFlight ?? 0);
      if (p.openStreams !== undefined) acc.openStreams.set(i, p.openStreams);
    }
  });
  return [...buckets.keys()]
    .sort((a, b) => a - b)
    .map((s) => {
      const acc = buckets.get(s)!;
      acc.point.inFlight = [...acc.inFlight.values()].reduce((a, b) => a + b, 0);
      if (streams) acc.point.openStreams = [...acc.openStreams.values()].reduce((a, b) => a + b, 0);
      return acc.point;
    });
}

/** commonEntries returns the entries whose value (compared as JSON) is the same in every record. */
function commonEntries(records: readonly (Record<string, unknown> | undefined)[]): Record<string, unknown> {
  const [first, ...rest] = records.map((r) => r ?? {});
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(first ?? {})) {
    const json = JSON.stringify(v);
    if (rest.every((r) => k in r && JSON.stringify(r[k]) === json)) out[k] = v;
  }
  return out;
}

function addCounts(parts: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p)) out[k] = (out[k] ?? 0) + n;
  return out;
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((a, x) => a + f(x), 0);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

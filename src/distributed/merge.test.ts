import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeResults } from './merge.js';
import { decodeHistogram, newHistogram, summarize } from '../metrics/histogram.js';
import { runMetrics } from '../results/run-metrics.js';
import { parseResult } from '../results/read-result.js';
import { makeRun, OPERATIONS } from '../../test/results/make-run.js';
import type { RunResult } from '../results/model.js';

const STARTED = '2026-11-26T06:00:00.000Z';

/** shardRuns builds `n` shard results of one run (different latency distributions), keeping every sample. */
function shardRuns(n: number, samples: Map<string, number[]>[]): RunResult[] {
  return Array.from({ length: n }, (_, i) => {
    const kept = new Map<string, number[]>();
    samples.push(kept);
    const r = makeRun({ seed: 11 + i, medianUs: 1000 * (i + 1), requests: 1500 + 250 * i, samples: kept, startedAt: STARTED, errorRate: 0.01 });
    return { ...r, shard: { index: i, count: n, startAt: STARTED, startLatenessMs: i } };
  });
}

const loaded = (results: RunResult[]) => results.map((result, i) => ({ file: `shard-${i}.json`, result }));

test('merged percentiles are exactly those of one histogram of every sample, per operation and for all operations', () => {
  const samples: Map<string, number[]>[] = [];
  const shards = shardRuns(3, samples);
  const merged = mergeResults(loaded(shards));
  for (const name of OPERATIONS) {
    const all = newHistogram();
    for (const s of samples) for (const us of s.get(name)!) all.recordValue(us);
    const expected = summarize(all);
    const got = merged.operations.find((o) => o.name === name)!.latencyUs;
    for (const k of ['count', 'p50', 'p90', 'p99', 'p999', 'min', 'max', 'mean', 'stddev'] as const) assert.equal(got[k], expected[k], `${name} ${k}`);
    assert.equal(decodeHistogram(got.hdr).totalCount, samples.reduce((a, s) => a + s.get(name)!.length, 0));
    // The average of the shards' p99s is not the merged p99: the shards' distributions differ.
    const mean = shards.reduce((a, r) => a + r.operations.find((o) => o.name === name)!.latencyUs.p99, 0) / shards.length;
    assert.notEqual(got.p99, mean);
  }
  const everything = newHistogram();
  for (const s of samples) for (const list of s.values()) for (const us of list) everything.recordValue(us);
  const all = runMetrics(merged).get('all')!;
  assert.equal(all.get('p99'), everything.getValueAtPercentile(99));
  assert.equal(all.get('p50'), everything.getValueAtPercentile(50));
});

test('counts are summed, rates taken over the common window, time series summed per second, and the shards listed', () => {
  const shards = shardRuns(3, []);
  const merged = parseResult(JSON.parse(JSON.stringify(mergeResults(loaded(shards)))), 'merged.json');
  const total = (f: (r: RunResult) => number) => shards.reduce((a, r) => a + f(r), 0);
  assert.equal(merged.totals.requests, total((r) => r.totals.requests));
  assert.equal(merged.totals.errors, total((r) => r.totals.errors));
  assert.equal(merged.durationSeconds, 10);
  assert.equal(merged.totals.achievedRate, Math.round((merged.totals.requests / 10) * 1000) / 1000);
  const op = merged.operations[0]!;
  assert.equal(op.status['200']! + (op.status['503'] ?? 0), op.requests);
  assert.equal(op.bytesIn, total((r) => r.operations[0]!.bytesIn));
  assert.equal(merged.timeSeries.length, 10);
  assert.equal(merged.timeSeries.reduce((a, p) => a + p.requests, 0), merged.totals.requests);
  assert.deepEqual(merged.timeSeries.map((p) => p.t), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(merged.timeSeries[0]!.inFlight, total((r) => r.timeSeries[0]!.inFlight));
  assert.equal(merged.timeSeries[0]!.p99, Math.max(...shards.map((r) => r.timeSeries[0]!.p99)));
  assert.equal(merged.partial, false);
  assert.deepEqual(merged.shards!.map((s) => [s.index, s.requests, s.startLatenessMs]), shards.map((r, i) => [i, r.totals.requests, i]));
  assert.equal(merged.shard, undefined);
});

test('a shard started later lands in the seconds of the common clock, and the window spans first start to last end', () => {
  const a = makeRun({ seed: 1, startedAt: STARTED, requests: 100 });
  const b = makeRun({ seed: 2, startedAt: '2026-11-26T06:00:02.000Z', requests: 100 });
  const merged = mergeResults(loaded([a, b]));
  assert.equal(merged.durationSeconds, 12);
  assert.equal(merged.timeSeries.length, 12);
  assert.equal(merged.timeSeries[0]!.requests, a.timeSeries[0]!.requests);
  assert.equal(merged.timeSeries[2]!.requests, a.timeSeries[2]!.requests + b.timeSeries[0]!.requests);
  assert.equal(merged.timeSeries[11]!.requests, b.timeSeries[9]!.requests);
  assert.equal(merged.endedAt, '2026-11-26T06:00:12.000Z');
});

test('a partial or missing shard makes the merged result partial, naming it', () => {
  const shards = shardRuns(3, []);
  shards[1] = { ...shards[1]!, partial: true, stoppedBy: 'interrupted' };
  const merged = mergeResults(loaded([shards[0]!, shards[1]!]));
  assert.equal(merged.partial, true);
  assert.equal(merged.stoppedBy, 'shard 1: interrupted; shard 2: missing');
});

test('inputs that are not shards of one run are refused, each problem named, unless forced', () => {
  const shards = shardRuns(2, []);
  assert.throws(() => mergeResults(loaded([shards[0]!, shards[0]!])), /shard-0\.json and shard-1\.json are both shard 0/);
  const other = { ...shards[1]!, target: { ...shards[1]!.target, url: 'http://127.0.0.1:1' } };
  assert.throws(() => mergeResults(loaded([shards[0]!, other])), /shard-1\.json targets http:\/\/127\.0\.0\.1:1/);
  assert.equal(mergeResults(loaded([shards[0]!, other]), { force: true }).totals.requests, shards[0]!.totals.requests + other.totals.requests);
  const { shard: _s, ...plain } = shards[1]!;
  assert.throws(() => mergeResults(loaded([shards[0]!, plain as RunResult])), /shard-1\.json is not a shard result/);
  assert.throws(() => mergeResults([]), /at least one/);
});

test('findings are united by signature, counts summed, the earliest kept', () => {
  const f = (count: number, firstAt: string, message: string) => ({ kind: 'race', signature: 'a|b', message, count, firstAt });
  const a = { ...makeRun({ seed: 1, startedAt: STARTED, requests: 10 }), findings: [f(2, '2026-11-26T06:00:05Z', 'late')] };
  const b = { ...makeRun({ seed: 2, startedAt: STARTED, requests: 10 }), findings: [f(3, '2026-11-26T06:00:01Z', 'early')] };
  assert.deepEqual(mergeResults(loaded([a, b])).findings, [f(5, '2026-11-26T06:00:01Z', 'early')]);
});

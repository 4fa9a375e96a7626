import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSets } from '../../src/results/compare.js';
import type { RunResult } from '../../src/results/model.js';
import { makeRun } from './make-run.js';

const WATCH = 'exec pods/exec';

/** run makes a result whose third operation is a stream (as written since streams are recorded apart) or, `old`, as older files had it. */
function run(seed: number, old: boolean): RunResult {
  const r = makeRun({ seed });
  const stream = r.operations.find((o) => o.name === WATCH)!;
  const duration = { ...stream, name: `${WATCH} · duration`, measurement: true, latencyUs: { ...stream.latencyUs, p50: 30_000_000, p90: 30_000_000, p99: 30_000_000, p999: 30_000_000 } };
  if (!old) {
    stream.streamDuration = duration.name;
    r.operations.push(duration);
  }
  return r;
}

const set = (runs: RunResult[], spec: string) => ({ spec, kind: 'folder' as const, runs: runs.map((result, i) => ({ file: `${spec}/r${i}.json`, result })) });

test('compare: stream durations stay out of `all` and have only latency rows; an older file\'s stream latency is flagged as not comparable', () => {
  const cmp = compareSets(set([1, 2, 3, 4].map((s) => run(s, true)), 'old'), set([5, 6, 7, 8].map((s) => run(s, false)), 'new'));
  const allP99 = cmp.rows.find((r) => r.subject === 'all' && r.metric === 'p99')!;
  assert.ok(allP99.candidate.median < 1_000_000, `all p99 leaves the 30 s durations out: ${allP99.candidate.median}`);
  assert.deepEqual(cmp.rows.filter((r) => r.subject === `${WATCH} · duration`).map((r) => r.metric), [], 'only in the candidate: no rows');
  assert.ok(cmp.warnings.some((w) => w.startsWith(`${WATCH}: its latency is the time to establish each stream in results that record streams apart, but the whole stream in older ones`)), cmp.warnings.join('\n'));
  const same = compareSets(set([1, 2, 3, 4].map((s) => run(s, false)), 'a'), set([5, 6, 7, 8].map((s) => run(s, false)), 'b'));
  assert.deepEqual(same.rows.filter((r) => r.subject === `${WATCH} · duration`).map((r) => r.metric), ['p50', 'p90', 'p99', 'p99.9']);
  assert.ok(!same.warnings.some((w) => w.includes('time to establish')));
});

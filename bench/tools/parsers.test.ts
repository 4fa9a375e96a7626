import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAutocannon } from './autocannon.js';
import { parseHey } from './hey.js';
import { parseWrk } from './wrk.js';
import { parseRacerigResult } from './racerig.js';
import type { RunResult } from '../../src/results/model.js';

test('parseAutocannon reads totals and millisecond percentiles from --json', () => {
  const json = JSON.stringify({
    duration: 2,
    errors: 1,
    timeouts: 0,
    non2xx: 2,
    latency: { p50: 1, p90: 2, p99: 5, p99_9: 33, max: 34 },
    requests: { total: 9000, average: 4500 },
  });
  const r = parseAutocannon(`Running 2s test\n${json}\n`);
  assert.deepEqual(r, { requestsPerSec: 4500, requests: 9000, errors: 3, p50Ms: 1, p90Ms: 2, p99Ms: 5, p999Ms: 33, maxMs: 34 });
});

test('parseWrk reads the JSON line of the Lua hook (microseconds to ms)', () => {
  const out = 'Running 2s test @ http://127.0.0.1:1/\n  2 threads and 50 connections\nRACERIG_BENCH_WRK {"requests":80000,"durationUs":2000000,"errors":1,"status":2,"p50":630,"p90":3590,"p99":9780,"p999":19300,"max":21800}\n';
  const r = parseWrk(out);
  assert.equal(r.requestsPerSec, 40000);
  assert.equal(r.errors, 3);
  assert.equal(r.p50Ms, 0.63);
  assert.equal(r.p999Ms, 19.3);
  assert.equal(r.maxMs, 21.8);
});

test('parseHey reads the summary, status codes and errors; p99.9 is not reported', () => {
  const out = `
Summary:
  Total:	1.0042 secs
  Slowest:	0.0098 secs
  Fastest:	0.0001 secs
  Average:	0.0013 secs
  Requests/sec:	7469.7000

Latency distribution:
  10% in 0.0004 secs
  50% in 0.0011 secs
  90% in 0.0025 secs
  99% in 0.0055 secs

Status code distribution:
  [200]	7400 responses
  [503]	1 responses

Error distribution:
  [100]	Get "http://127.0.0.1:1/": dial tcp: connection refused
`;
  const r = parseHey(out);
  assert.equal(r.requestsPerSec, 7469.7);
  assert.equal(r.requests, 7501);
  assert.equal(r.errors, 101);
  assert.equal(r.p50Ms, 1.1);
  assert.equal(r.p99Ms, 5.5);
  assert.equal(r.p999Ms, null);
  assert.equal(r.maxMs, 9.8);
});

test('parseRacerigResult takes corrected latencies, keeps the uncorrected ones and dropped', () => {
  const lat = (k: number) => ({ count: 1, p50: 1000 * k, p90: 2000 * k, p99: 3000 * k, p999: 4000 * k, min: 0, max: 5000 * k, mean: 0, stddev: 0, hdr: '' });
  const result = {
    totals: { requests: 100, errors: 1, dropped: 2, achievedRate: 50 },
    operations: [{ latencyUs: lat(2), uncorrectedLatencyUs: lat(1) }],
  } as unknown as RunResult;
  const r = parseRacerigResult(result);
  assert.equal(r.requestsPerSec, 50);
  assert.equal(r.p99Ms, 6);
  assert.equal(r.extra?.uncorrected?.p99Ms, 3);
  assert.equal(r.extra?.dropped, 2);
  assert.equal(r.extra?.startLatenessP99Ms, undefined);
  const withSchedule = { ...result, schedule: { lateUs: { p50: 10, p99: 800, max: 2000 }, startedLate: 0 } } as unknown as RunResult;
  assert.equal(parseRacerigResult(withSchedule).extra?.startLatenessP99Ms, 0.8);
});

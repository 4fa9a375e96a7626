/**
 * Long-lived requests are streams: a watch, a wait's watch, a followed log and an exec session are
 * timed to their establishment (response headers or the upgrade) as requests, and their durations go to
 * `<operation> · duration`, a measurement operation outside the totals, the time series and `all`.
 * Watches held for the phase count every event of the phase's work after their establishment (items 2 and 9 of issue 17).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunResult } from '../../src/results/model.js';
import { runMetrics, ALL_OPERATIONS } from '../../src/results/run-metrics.js';

const PROFILE = `
name: streams
description: Two watches held for the phase while churners create and delete 300 pods; followed logs and exec sessions on a setup pod. Emulates no controller.
mock:
  lifecycle: {podStartDelayMs: 0, podRunDurationMs: 60000, jitter: 0}
setup:
  - {apiVersion: v1, kind: Pod, metadata: {name: streamer}, spec: {containers: [{name: main, image: busybox}]}}
phases:
  - name: p
    duration: 3s
    components:
      - name: watchers
        concurrency: 1
        scenario:
          - watch: {resource: pods, labelSelector: app=churn, count: 2}
      - name: churners
        rate: 150
        iterations: 300
        delay: 1s
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: Pod, metadata: {generateName: churn-, labels: {app: churn}}, spec: {containers: [{name: main, image: busybox}]}}
            as: pod
          - delete: {resource: pods, name: "{{pod.name}}", gracePeriodSeconds: 0}
      - name: followers
        rate: 4
        iterations: 4
        delay: 200ms
        scenario:
          - logs: {pod: streamer, follow: 600ms}
          - exec: {pod: streamer, command: [sh, -c, "sleep 0.3; echo hi"]}
`;

test('streams are timed to their establishment; their durations are a separate measurement; held watches count every event of the phase', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-streams-'));
  const file = join(dir, 'streams.yaml');
  writeFileSync(file, PROFILE);
  const out = join(dir, 'r.json');
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', file, '-o', out, '-w', '2'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  const op = (name: string) => {
    const o = result.operations.find((x) => x.name === name);
    assert.ok(o, `${name} in ${result.operations.map((x) => x.name).join(', ')}`);
    return o;
  };
  // The watches were held for the whole phase (≥ 2 s), but their latency is the time to the response headers.
  const watch = op('watch pods');
  assert.equal(watch.streamDuration, 'watch pods · duration');
  assert.equal(watch.requests, 2);
  assert.ok(watch.latencyUs.max < 1_500_000, `time to establish: ${watch.latencyUs.max} µs`);
  const watchDuration = op('watch pods · duration');
  assert.equal(watchDuration.measurement, true);
  assert.equal(watchDuration.requests, 2, 'one duration per watch stream');
  assert.ok(watchDuration.latencyUs.min >= 2_996_000, `held for the phase: ${watchDuration.latencyUs.min} µs`);
  assert.deepEqual(watchDuration.status, {}, 'a duration sample has no HTTP status');
  // Followed logs (600 ms each) and exec sessions (≥ 300 ms each) likewise.
  // A follow lasts 600 ms from its establishment: each duration holds the 600 ms (HDR values are bucket
  // bounds, up to 0.1% below), and the latency is the establishment alone, far below it (uncorrected: the
  // corrected latency also counts the time an arrival waited for its start).
  const logs = op('logs pods').uncorrectedLatencyUs ?? op('logs pods').latencyUs;
  const logsDuration = op('logs pods · duration').latencyUs;
  assert.ok(logsDuration.min >= 599_000, `follow ${logsDuration.min} µs`);
  assert.ok(logs.min + 500_000 < logsDuration.min, `establishment from ${logs.min} µs, follows from ${logsDuration.min} µs`);
  assert.equal(op('logs pods · duration').requests, 4);
  assert.deepEqual(op('exec pods').status, { '101': 4 });
  // Each session runs `sleep 0.3` after its upgrade: its duration holds the 300 ms, its latency is the upgrade alone.
  const upgrades = op('exec pods').uncorrectedLatencyUs ?? op('exec pods').latencyUs;
  const sessions = op('exec pods · duration').latencyUs;
  assert.ok(sessions.min >= 299_700, `exec sessions: ${sessions.min} µs`);
  assert.ok(upgrades.min + 200_000 < sessions.min, `upgrades from ${upgrades.min} µs, sessions from ${sessions.min} µs`);
  // Totals, the time series and the all-operations latency count requests only.
  assert.equal(result.totals.requests, result.operations.filter((o) => !o.measurement).reduce((a, o) => a + o.requests, 0));
  assert.equal(result.timeSeries.reduce((a, p) => a + p.requests, 0), result.totals.requests);
  // No second's p99 and no all-operations p99 is above the slowest request: a stream's duration (≥ 3 s) in
  // them would be (bounds relative to the requests, which a loaded machine slows too; HDR values ±0.1%).
  const slowest = Math.max(...result.operations.filter((o) => !o.measurement).map((o) => o.latencyUs.max));
  assert.ok(slowest < watchDuration.latencyUs.min, `requests (max ${slowest} µs) are faster than a held watch (${watchDuration.latencyUs.min} µs): otherwise this test shows nothing`);
  assert.ok(result.timeSeries.every((p) => p.p99 <= slowest * 1.001), `time series p99: ${result.timeSeries.map((p) => p.p99).join(' ')}; slowest request ${slowest} µs`);
  assert.ok(runMetrics(result).get(ALL_OPERATIONS)!.get('p99')! <= slowest * 1.001, 'compare: all p99 leaves stream durations out');
  assert.ok(result.timeSeries.some((p) => (p.openStreams ?? 0) >= 2), `open streams: ${result.timeSeries.map((p) => p.openStreams).join(' ')}`);
  // Every one of the 300 pods was seen created and deleted by both watches, though the phase timer fired with
  // iterations in flight. The churners start 1 s into the phase, after the watches are open: a pod created and
  // deleted before a watch is established is not an event it can see (598 of 600 in a loaded fresh-clone run
  // when both started at once).
  assert.equal(watch.watch!.events.ADDED, 600, JSON.stringify(watch.watch));
  assert.equal(watch.watch!.events.DELETED, 600, JSON.stringify(watch.watch));
  assert.deepEqual(result.iterations?.byComponent, { watchers: { completed: 1, failed: 0 }, churners: { completed: 300, failed: 0 }, followers: { completed: 4, failed: 0 } });
  assert.match(ctx.out(), /iterations: 305 completed, 0 failed {2}— watchers 1, churners 300, followers 4/);
  assert.match(ctx.out(), /measurement +samples[^\n]*\n(.*\n)*watch pods · duration +2 /);
  assert.equal(result.integrity?.ok, true, JSON.stringify(result.integrity));
});

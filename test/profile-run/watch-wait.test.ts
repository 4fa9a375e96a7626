/**
 * Watch steps count every event by type into the shared metrics (result, summary) and time the
 * events racerig's own writes caused; wait steps watch their object instead of polling, and every
 * GET and watch request they send still matches the mock's /metrics; cleanup.timeout bounds the cleanup.
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

const PROFILE = `
name: watch-wait
description: Two watches on config maps while a writer creates, patches, updates and deletes five; pods waited for until Running. Emulates no controller.
mock:
  lifecycle: {podStartDelayMs: 300, podRunDurationMs: 60000, jitter: 0}
phases:
  - name: p
    duration: 2s
    components:
      - name: watchers
        concurrency: 1
        scenario:
          - watch: {resource: configmaps, labelSelector: app=ww, count: 2}
      - name: writers
        rate: 10
        iterations: 5
        delay: 300ms
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: ww-, labels: {app: ww}}, data: {x: "0"}}
            as: cm
          - patch: {resource: configmaps, name: "{{cm.name}}", body: {data: {x: "1"}}}
          - update: {resource: configmaps, name: "{{cm.name}}", set: {data.y: "2"}}
          - delete: {resource: configmaps, name: "{{cm.name}}"}
      - name: waiters
        rate: 10
        iterations: 2
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: Pod, metadata: {generateName: ww-}, spec: {containers: [{name: main, image: busybox}]}}
            as: pod
          - wait: {resource: pods, name: "{{pod.name}}", until: {field: status.phase, equals: Running}, timeout: 5s}
            as: running
          - wait: {resource: pods, name: "{{running.name}}", until: {field: status.phase, equals: Nope}, timeout: 300ms}
            operation: wait never
`;

test('watch steps count events by type and time stamped ADDED and MODIFIED events; wait steps watch until the condition holds or time out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-watchwait-'));
  const file = join(dir, 'watch-wait.yaml');
  writeFileSync(file, PROFILE);
  const out = join(dir, 'r.json');
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', file, '-o', out, '-w', '2'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  const op = (name: string) => result.operations.find((o) => o.name === name)!;
  // Two watches each see 5 creates, 10 writes (patch, update) and 5 deletes; nothing existed before.
  const w = op('watch configmaps').watch!;
  assert.deepEqual({ ...w.events, BOOKMARK: 0 }, { ADDED: 10, MODIFIED: 20, DELETED: 10, BOOKMARK: 0, ERROR: 0 }, JSON.stringify(w));
  assert.deepEqual([w.relists, w.expired, w.rewatches], [0, 0, 0]);
  // Every ADDED and MODIFIED event carries a fresh sent-at stamp of the write that caused it.
  assert.equal(op('watch configmaps · delivery lag').requests, 30);
  // Lag samples are a measurement, not requests: they stay out of the totals and of the request table.
  assert.equal(op('watch configmaps · delivery lag').measurement, true);
  assert.equal(result.totals.requests, result.operations.filter((o) => !o.measurement).reduce((a, o) => a + o.requests, 0));
  assert.equal(result.timeSeries.reduce((a, p) => a + p.requests, 0), result.totals.requests, 'the time series counts requests only');
  assert.match(ctx.out(), /measurement +samples .*\n.*watch configmaps · delivery lag +30 /);
  assert.ok(op('watch configmaps · delivery lag').latencyUs.max < 5_000_000);
  assert.match(ctx.out(), /watch events +total .*\n.*watch configmaps +40 /);
  // Waits: a GET, then one watch until Running; the impossible one times out.
  const wait = op('wait pods');
  assert.deepEqual(wait.status, { '200': 4 }, 'per pod: a GET (Pending) and a watch that saw Running');
  assert.deepEqual(result.iterations?.failures, { 'wait never: timeout': 2 });
  assert.equal(op('wait never').status['200'], 4, 'a GET and a watch per timed-out wait');
  assert.equal(result.integrity?.ok, true, JSON.stringify(result.integrity));
});

test('cleanup.timeout bounds the cleanup: a server that stalls deletes does not hold the run, and the run says objects may remain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-cleanup-timeout-'));
  const file = join(dir, 'slow-cleanup.yaml');
  writeFileSync(
    file,
    [
      'name: slow-cleanup',
      'description: Creates one config map; the mock stalls every deletecollection for 20 s. Emulates no controller.',
      'mock:',
      '  faults: {latency: [{verb: deletecollection, distribution: {kind: fixed, ms: 20000}}]}',
      'cleanup: {timeout: 300ms}',
      'phases:',
      '  - name: p',
      '    iterations: 1',
      '    components:',
      '      - name: c',
      '        concurrency: 1',
      '        scenario:',
      '          - create: {manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: slow-}}}',
      '',
    ].join('\n'),
  );
  const ctx = captureContext({ cwd: dir });
  const started = Date.now();
  const code = await main(['run', file, '-q', '-o', join(dir, 'r.json'), '-w', '1'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err());
  assert.match(ctx.err(), /cleanup did not finish within 300 ms: objects labelled racerig\.io\/run=\w+ may remain/);
  assert.ok(Date.now() - started < 15_000, 'the stalled delete did not hold the run');
});

const EXPIRING = `
name: wait-expired
description: Waits on pods while a writer churns config maps and the mock keeps one event of watch history, so a wait's watch from its GET's version often finds it expired. Emulates no controller.
# Pods start 2 s after their create: long enough that even on a busy host a wait's GET finds its pod
# Pending and has to watch (with 400 ms, pods were often Running before the GET and nothing watched).
mock:
  lifecycle: {podStartDelayMs: 2000, podRunDurationMs: 60000, jitter: 0}
  watchHistory: 1
phases:
  - name: p
    duration: 3s
    components:
      - name: churn
        rate: 800
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: churn-}, data: {x: "0"}}
      - name: waiters
        rate: 20
        iterations: 10
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: Pod, metadata: {generateName: we-}, spec: {containers: [{name: main, image: busybox}]}}
            as: pod
          - wait: {resource: pods, name: "{{pod.name}}", until: {field: status.phase, equals: Running}, timeout: 8s}
`;

test('a wait whose watch finds its version expired (410) gets the object again and still sees the condition', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-waitexpired-'));
  const file = join(dir, 'wait-expired.yaml');
  writeFileSync(file, EXPIRING);
  const out = join(dir, 'r.json');
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', file, '-q', '-o', out, '-w', '2'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  const wait = result.operations.find((o) => o.name === 'wait pods')!;
  // With 800 writes/s and one event of history, most watches from a GET's version are already too old:
  // the mock answers 200 and ends the stream with an ERROR event of code 410, as kube-apiserver does.
  assert.ok(wait.watch && wait.watch.expired > 0, `some wait watches found their version expired: ${JSON.stringify(wait.watch)}`);
  assert.ok(wait.watch!.rewatches >= wait.watch!.expired);
  assert.ok(wait.status['200']! >= 10 + 2 * wait.watch!.expired, 'a GET and a watch per expired attempt, then a last GET or watch per wait');
  assert.deepEqual(result.iterations?.failures ?? {}, {}, 'every wait saw its pod Running');
  assert.equal(result.integrity?.ok, true, JSON.stringify(result.integrity));
});

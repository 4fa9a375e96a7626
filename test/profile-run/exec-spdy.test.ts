/**
 * Profile exec steps with `protocol: spdy` run end to end: through the run's dispatch chain (counted as 101
 * like WebSocket execs), with exit codes checked, signals into every container but main, and the mock's
 * own /metrics agreeing with the run's counts (the integrity check, and apiserver_request_total read directly).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startMockServer } from '../../src/mock/server.js';
import type { RunResult } from '../../src/results/model.js';

const PROFILE = `
name: spdy-exec
description: Execs over SPDY/3.1 and WebSocket into pods a component creates, a failing exec with its expected exit code, and SIGTERM into every container but main. Emulates no controller.
mock:
  lifecycle: {podStartDelayMs: 0, podRunDurationMs: 60000, jitter: 0}
phases:
  - name: p
    duration: 2s
    components:
      - name: execers
        concurrency: 2
        iterations: 6
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: Pod, metadata: {generateName: spdy-, labels: {app: spdy}}, spec: {restartPolicy: Never, containers: [{name: main, image: busybox}, {name: wait, image: busybox}]}}
            as: pod
          - wait: {resource: pods, name: "{{pod.name}}", until: {field: status.phase, equals: Running}, timeout: 5s}
            as: running
          - exec: {pod: "{{pod.name}}", container: main, command: [echo, hi], protocol: spdy}
          - exec: {pod: "{{pod.name}}", container: main, command: [sh, -c, "exit 3"], expectExitCode: 3, protocol: spdy, timeout: 5s}
          - exec: {pod: "{{pod.name}}", container: main, command: [cat], stdin: "in", protocol: spdy}
          - exec: {pod: "{{pod.name}}", container: main, command: ["true"]}
          - exec: {pod: "{{pod.name}}", containers: {allExcept: [main], from: running}, command: [kill, "-15", "1"], protocol: spdy}
          - delete: {resource: pods, name: "{{pod.name}}", gracePeriodSeconds: 0}
`;

function check(result: RunResult): void {
  const op = (name: string) => {
    const o = result.operations.find((x) => x.name === name);
    assert.ok(o, `${name} in ${result.operations.map((x) => x.name).join(', ')}`);
    return o;
  };
  assert.deepEqual(result.iterations && { completed: result.iterations.completed, failed: result.iterations.failed }, { completed: 6, failed: 0 });
  // 5 execs per iteration (4 over SPDY, 1 over WebSocket), each counted once, as the 101 upgrade.
  assert.deepEqual(op('exec pods').status, { '101': 30 });
  assert.equal(op('exec pods · duration').requests, 30);
  assert.equal(result.integrity?.ok, true, JSON.stringify(result.integrity));
  assert.ok(result.integrity!.compared >= result.totals.requests, `${result.integrity!.compared} compared of ${result.totals.requests}`);
}

test('exec steps with protocol: spdy against the embedded mock: 101 per exec, exit codes checked, the integrity check passes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-spdy-'));
  const file = join(dir, 'spdy.yaml');
  writeFileSync(file, PROFILE);
  const out = join(dir, 'r.json');
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', file, '-o', out, '-w', '2'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  assert.match(ctx.out(), /integrity: OK/);
  check(JSON.parse(readFileSync(out, 'utf8')) as RunResult);
});

test('the same profile against a mock through a kubeconfig: its /metrics counts 30 exec upgrades answered 101', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-spdy-kc-'));
  const file = join(dir, 'spdy.yaml');
  writeFileSync(file, PROFILE.replace(/^mock:\n.*\n/m, ''));
  const kubeconfigPath = join(dir, 'mock.kubeconfig');
  const mock = await startMockServer({ kubeconfigPath, lifecycle: { podStartDelayMs: 0, podRunDurationMs: 60_000, jitter: 0 } });
  try {
    const out = join(dir, 'r.json');
    const ctx = captureContext({ cwd: dir });
    const code = await main(['run', file, '--kubeconfig', kubeconfigPath, '--integrity', '-q', '-o', out, '-w', '2'], ctx);
    assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
    check(JSON.parse(readFileSync(out, 'utf8')) as RunResult);
    // The mock counts an exec when its session ends, before the client has seen the connection close.
    const metrics = await (await fetch(`${mock.url}/metrics`)).text();
    const execs = metrics
      .split('\n')
      .filter((l) => l.startsWith('apiserver_request_total{') && l.includes('subresource="exec"'))
      .map((l) => ({ line: l, n: Number(l.slice(l.lastIndexOf(' ') + 1)) }));
    const lines = metrics.split('\n').filter((l) => l.includes('exec')).join('\n');
    assert.deepEqual(execs.map((e) => /code="(\d+)"/.exec(e.line)?.[1]), ['101'], lines);
    assert.equal(execs.reduce((a, e) => a + e.n, 0), 30, lines);
  } finally {
    await mock.close();
  }
});

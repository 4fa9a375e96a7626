/**
 * Pod logs and restarts observers against the embedded mock: logs of every container of every selected
 * pod (pods that appear during the run too) scanned for the real Go reports of test/fixtures/go-races; a
 * simulated restart reads the previous instance's log (the panic) and records a restart finding.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, json, waitFor, podManifest, type MockFixture } from '../mock/helpers.js';
import { ANNOTATIONS } from '../../src/mock/lifecycle.js';
import { openKubeAccess, type KubeAccess } from '../../src/observe/kube-access.js';
import { createPodLogsObserver } from '../../src/observe/pod-logs.js';
import { createPodRestartsObserver, type RestartRecord, type ReadinessChange } from '../../src/observe/pod-restarts.js';
import { goLog, testContext, waitForFindings } from './helpers.js';

let fx: MockFixture;
let kube: KubeAccess;

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 20, jitter: 0 } });
  kube = openKubeAccess({ origin: fx.url, pathPrefix: '', headers: {} });
});
after(async () => {
  await kube.close();
  await fx.close();
});

const RACE_WRAP =
  'race: read main.(*metricsTransport).RoundTrip < main.doRequest < main.main.func2 | write main.(*metricsTransport).Wrap < main.newClient < main.main.func1';
const NIL_PANIC = 'panic: runtime error: invalid memory address or nil pointer dereference | main.(*upgrader).Dial < main.handleExec';
const MAP_FATAL = 'fatal: concurrent map writes | main.record < main.worker';

function pod(name: string, ns: string, labels: Record<string, string>, annotations: Record<string, string>, containers = ['main']) {
  const p = podManifest(name, ns, labels, { containers: containers.map((c) => ({ name: c, image: 'controller' })) });
  (p.metadata as Record<string, unknown>).annotations = annotations;
  return p;
}

async function create(ns: string, body: unknown): Promise<void> {
  const r = await json(fx.url, 'POST', `/api/v1/namespaces/${ns}/pods`, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

test('pod logs and restarts: races in the log, the panic in the previous log, the restart, pods that appear later, other pods left alone', async () => {
  const ns = 'argo';
  await json(fx.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // Running before the observers start; restarts once after 1.5 s (time enough to start them on a loaded machine): its previous instance logged the panic.
  await create(ns, pod('ctl-a', ns, { app: 'ctl' }, { [ANNOTATIONS.logLines]: goLog('race-1.log'), [ANNOTATIONS.previousLogLines]: goLog('nil-panic.log'), [ANNOTATIONS.restartAfter]: '1500' }));
  // Not selected: its panic must not be reported.
  await create(ns, pod('other', ns, { app: 'other' }, { [ANNOTATIONS.logLines]: goLog('repanic.log') }));
  await waitFor('ctl-a running', async () => (await json(fx.url, 'GET', `/api/v1/namespaces/${ns}/pods/ctl-a`)).body.status?.phase === 'Running');

  const ctx = testContext();
  const logs = createPodLogsObserver(ctx, { kube, namespace: ns, selector: 'app=ctl', idleFlushMs: 200, patterns: ['/concurrent map (read|writes)/'] });
  const restarts = createPodRestartsObserver(ctx, { kube, namespace: ns, selector: 'app=ctl' });
  ctx.findings.setPhase('setup');
  await logs.start();
  await restarts.start();
  ctx.findings.setPhase('churn');
  // Appears during the run, two containers.
  await create(ns, pod('ctl-b', ns, { app: 'ctl' }, { [ANNOTATIONS.logLines]: goLog('map-writes.log') }, ['main', 'sidecar']));

  const list = await waitForFindings(ctx.findings, 'races, the panic, the fatal error and the restart', (fs) => {
    const has = (s: string) => fs.some((f) => f.signature === s && f.report !== undefined);
    return has(RACE_WRAP) && has(NIL_PANIC) && fs.filter((f) => f.signature === MAP_FATAL).some((f) => f.count === 2) && has('restart: main Error exit 2');
  });
  const by = (s: string) => list.find((f) => f.signature === s)!;
  assert.equal(by(RACE_WRAP).source, `pod ${ns}/ctl-a/main`);
  assert.equal(by(RACE_WRAP).count, 1);
  assert.equal(by(RACE_WRAP).phase, 'setup');
  assert.match(by(RACE_WRAP).report!, /^==================\nWARNING: DATA RACE\nWrite at/);
  assert.equal(list.filter((f) => f.kind === 'race').length, 3);
  assert.equal(by(NIL_PANIC).source, `pod ${ns}/ctl-a/main`);
  assert.equal(by(NIL_PANIC).count, 1);
  assert.equal(by(NIL_PANIC).phase, 'churn');
  assert.equal(by(MAP_FATAL).count, 2, 'both containers of ctl-b');
  assert.equal(by('pattern: /concurrent map (read|writes)/').count, 2);
  const restart = by('restart: main Error exit 2');
  assert.equal(restart.kind, 'restart');
  assert.equal(restart.source, `pod ${ns}/ctl-a/main`);
  assert.equal(restart.count, 1);
  assert.equal(restart.message, 'container main restarted: Error, exit code 2 (restart count 1)');
  assert.match(restart.report!, /^panic: runtime error: invalid memory address/);
  assert.ok(!list.some((f) => f.signature.startsWith('panic: boom')), 'pod app=other is not selected');

  await json(fx.url, 'DELETE', `/api/v1/namespaces/${ns}/pods/ctl-b`);
  const timeline = () => (restarts.resultData()[restarts.name] as { readiness: ReadinessChange[]; restarts: RestartRecord[] });
  await waitFor('ctl-b deleted in the timeline', () => timeline().readiness.some((e) => e.pod === `${ns}/ctl-b` && e.event === 'deleted'));
  await logs.stop();
  await restarts.stop();
  await logs.stop(); // idempotent

  const t = timeline();
  assert.deepEqual(
    t.restarts.map((r) => [r.pod, r.container, r.reason, r.exitCode, r.restartCount]),
    [[`${ns}/ctl-a`, 'main', 'Error', 2, 1]],
  );
  assert.deepEqual(t.readiness.find((e) => e.pod === `${ns}/ctl-a`)?.event, 'seen');
  assert.ok(t.readiness.some((e) => e.pod === `${ns}/ctl-b` && e.event === 'changed' && e.phase === 'Running' && e.ready));
  assert.ok(!t.readiness.some((e) => e.pod.endsWith('/other')));
  assert.equal(logs.counters.follows, 3, 'ctl-a/main, ctl-b/main, ctl-b/sidecar');
  assert.equal(logs.counters.previousLogs, 1);
  assert.equal(logs.counters.deduplicated, 0);
  assert.deepEqual(ctx.said, []);
});

test('a previous log that repeats the followed stream (as a kubelet serves it) is not counted twice; the new instance is followed', async () => {
  const ns = 'same-log';
  await json(fx.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const ctx = testContext();
  const logs = createPodLogsObserver(ctx, { kube, namespace: ns, selector: '' });
  await logs.start();
  // No previous-log annotation: the mock serves the same text for the previous instance and the new one.
  await create(ns, pod('ctl', ns, {}, { [ANNOTATIONS.logLines]: goLog('race-2.log'), [ANNOTATIONS.restartAfter]: '300' }));
  const list = await waitForFindings(ctx.findings, 'the races of both instances', (fs) => fs.filter((f) => f.kind === 'race').length === 3 && fs.every((f) => f.count === 2));
  await waitFor('the previous log read', () => logs.counters.previousLogs === 1 && logs.counters.follows === 2);
  await logs.stop();
  assert.equal(logs.counters.deduplicated, 3);
  assert.deepEqual(
    ctx.findings.list().map((f) => f.count),
    [2, 2, 2],
  );
  assert.ok(list.some((f) => f.signature === RACE_WRAP));
});

test('stop through the run signal ends every followed stream; a bad pattern fails before anything starts', async () => {
  const ns = 'stop-signal';
  await json(fx.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await create(ns, pod('p', ns, {}, { [ANNOTATIONS.logLines]: 'starting\npanic: lost leader election lease 7 times' }));
  await waitFor('p running', async () => (await json(fx.url, 'GET', `/api/v1/namespaces/${ns}/pods/p`)).body.status?.phase === 'Running');
  const ctx = testContext();
  const logs = createPodLogsObserver(ctx, { kube, namespace: ns, selector: '' });
  await logs.start();
  // The stream stays open (the pod runs on); the open panic block is reported when the stream ends.
  await waitFor('bytes read', () => logs.counters.bytes > 0);
  ctx.abort.abort();
  await logs.stop();
  assert.deepEqual(
    ctx.findings.list().map((f) => f.signature),
    ['panic: lost leader election lease N times'],
  );
  assert.throws(() => createPodLogsObserver(testContext(), { kube, namespace: ns, selector: '', patterns: ['/(/'] }), (e: Error & { code?: string }) => e.code === 'RACERIG_OBSERVE_PATTERN');
});

test('restarts written by a kubelet through pods/status: OOMKilled exit 137, two restarts at once counted as two, one signature per reason', async () => {
  const ns = 'oom';
  await json(fx.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const ctx = testContext();
  const restarts = createPodRestartsObserver(ctx, { kube, namespace: ns, selector: 'app=mem', tailLines: 0 });
  await restarts.start();
  await create(ns, pod('mem-0', ns, { app: 'mem' }, {}));
  await waitFor('mem-0 running', async () => (await json(fx.url, 'GET', `/api/v1/namespaces/${ns}/pods/mem-0`)).body.status?.phase === 'Running');
  const status = (restartCount: number, reason: string, exitCode: number) => ({
    status: {
      containerStatuses: [
        { name: 'main', image: 'controller', ready: true, started: true, restartCount, state: { running: { startedAt: new Date().toISOString() } }, lastState: { terminated: { reason, exitCode } } },
      ],
    },
  });
  const patch = async (body: unknown) => {
    const r = await json(fx.url, 'PATCH', `/api/v1/namespaces/${ns}/pods/mem-0/status`, body, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  await patch(status(1, 'OOMKilled', 137));
  await waitForFindings(ctx.findings, 'the OOM restart', (fs) => fs.some((f) => f.signature === 'restart: main OOMKilled exit 137'));
  await patch(status(3, 'OOMKilled', 137));
  await patch(status(4, 'Error', 1));
  const fs = await waitForFindings(ctx.findings, 'three OOM restarts and an error', (l) => l.some((f) => f.signature === 'restart: main Error exit 1'));
  await restarts.stop();
  assert.deepEqual(
    fs.map((f) => [f.signature, f.count, f.source]),
    [
      ['restart: main OOMKilled exit 137', 3, `pod ${ns}/mem-0/main`],
      ['restart: main Error exit 1', 1, `pod ${ns}/mem-0/main`],
    ],
  );
  assert.equal(fs[0]!.message, 'container main restarted: OOMKilled, exit code 137 (restart count 1)');
  assert.equal(fs[0]!.report, undefined);
});

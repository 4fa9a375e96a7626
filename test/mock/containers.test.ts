/**
 * Per-container lifecycle: containers listed in racerig.dev/container-exit-after-ms end on their own
 * while the others run, `kill <sig> 1` through exec ends only the exec's container, and the pod ends
 * (Succeeded or Failed, Ready False) once no container runs, as Argo's pod cleanup needs it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { json, kubectl, podManifest, waitFor, startFixture, type MockFixture } from './helpers.js';

let fx: MockFixture;
let url: string;
let kc: string;

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 60_000, jitter: 0 } });
  ({ url, kc } = fx);
});

after(() => fx.close());

interface PodOptions {
  containers: string[];
  restartPolicy: string;
  annotations?: Record<string, string>;
}

async function createPod(name: string, o: PodOptions): Promise<void> {
  const pod = podManifest(name, 'default', {}, { restartPolicy: o.restartPolicy, containers: o.containers.map((c) => ({ name: c, image: 'busybox' })) }) as { metadata: Record<string, unknown> };
  if (o.annotations) pod.metadata.annotations = o.annotations;
  assert.equal((await json(url, 'POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
}

async function getPod(name: string): Promise<any> {
  return (await json(url, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body;
}

function container(pod: any, name: string): any {
  return pod.status.containerStatuses.find((c: { name: string }) => c.name === name);
}

function condition(pod: any, type: string): any {
  return pod.status.conditions.find((c: { type: string }) => c.type === type);
}

/** podWhen polls the pod until `check` holds (5 s deadline) and returns it. */
function podWhen(name: string, what: string, check: (pod: any) => boolean): Promise<any> {
  return waitFor(`${name}: ${what}`, async () => {
    const p = await getPod(name);
    return p.status?.containerStatuses && check(p) ? p : undefined;
  });
}

test('Argo pod cleanup: main ends by annotation, wait and sidecar run until exec kills each; the pod then fails with Ready False', async () => {
  await createPod('wf-pod', { containers: ['main', 'wait', 'sidecar'], restartPolicy: 'Never', annotations: { 'racerig.dev/container-exit-after-ms': '{"main": 30}' } });
  const mainDone = await podWhen('wf-pod', 'main terminated', (p) => !!container(p, 'main').state.terminated);
  assert.deepEqual(
    { exitCode: container(mainDone, 'main').state.terminated.exitCode, reason: container(mainDone, 'main').state.terminated.reason, ready: container(mainDone, 'main').ready },
    { exitCode: 0, reason: 'Completed', ready: false },
  );
  assert.equal(mainDone.status.phase, 'Running');
  assert.ok(container(mainDone, 'wait').state.running && container(mainDone, 'sidecar').state.running);
  assert.equal(condition(mainDone, 'Ready').status, 'False');
  assert.equal(condition(mainDone, 'ContainersReady').reason, 'ContainersNotReady');

  const refused = await kubectl(kc, ['exec', 'wf-pod', '-c', 'main', '--', 'echo', 'x']);
  assert.notEqual(refused.code, 0, 'no exec into a terminated container');
  assert.match(refused.stderr, /container not found \("main"\)/);

  const killWait = await kubectl(kc, ['exec', 'wf-pod', '-c', 'wait', '--', 'kill', '15', '1']);
  assert.equal(killWait.code, 0, killWait.stderr);
  const waitDone = await podWhen('wf-pod', 'wait terminated', (p) => !!container(p, 'wait').state.terminated);
  assert.equal(container(waitDone, 'wait').state.terminated.exitCode, 143);
  assert.ok(container(waitDone, 'sidecar').state.running, 'the sidecar keeps running');
  assert.equal(waitDone.status.phase, 'Running');

  const killSidecar = await kubectl(kc, ['exec', 'wf-pod', '-c', 'sidecar', '--', '/var/run/argo/argoexec', 'kill', '9', '1']);
  assert.equal(killSidecar.code, 0, killSidecar.stderr);
  const done = await podWhen('wf-pod', 'Failed', (p) => p.status.phase === 'Failed');
  assert.deepEqual(
    done.status.containerStatuses.map((c: any) => [c.name, c.state.terminated.exitCode, c.restartCount]),
    [['main', 0, 0], ['wait', 143, 0], ['sidecar', 137, 0]],
  );
  for (const type of ['Ready', 'ContainersReady']) assert.deepEqual([condition(done, type).status, condition(done, type).reason], ['False', 'PodCompleted']);
});

test('every listed container ending with 0 makes the pod Succeeded; racerig.dev/exit-code sets their code', async () => {
  await createPod('all-listed', { containers: ['main', 'wait'], restartPolicy: 'Never', annotations: { 'racerig.dev/container-exit-after-ms': '{"main": 10, "wait": 40}' } });
  const ok = await podWhen('all-listed', 'Succeeded', (p) => p.status.phase === 'Succeeded');
  assert.deepEqual(ok.status.containerStatuses.map((c: any) => [c.name, c.state.terminated.exitCode, c.state.terminated.reason]), [['main', 0, 'Completed'], ['wait', 0, 'Completed']]);
  assert.equal(condition(ok, 'Ready').reason, 'PodCompleted');

  await createPod('main-fails', { containers: ['main', 'wait'], restartPolicy: 'Never', annotations: { 'racerig.dev/container-exit-after-ms': '{"main": 10}', 'racerig.dev/exit-code': '3' } });
  const failedMain = await podWhen('main-fails', 'main terminated', (p) => !!container(p, 'main').state.terminated);
  assert.deepEqual([container(failedMain, 'main').state.terminated.exitCode, container(failedMain, 'main').state.terminated.reason], [3, 'Error']);
  assert.equal(failedMain.status.phase, 'Running');
  assert.equal((await kubectl(kc, ['exec', 'main-fails', '-c', 'wait', '--', 'kill', '1'])).code, 0);
  await podWhen('main-fails', 'Failed', (p) => p.status.phase === 'Failed');
});

test('racerig.dev/ignored-signals: a listed signal leaves the container running, SIGKILL still ends it', async () => {
  await createPod('stubborn', { containers: ['main', 'wait', 'sidecar'], restartPolicy: 'Never', annotations: { 'racerig.dev/container-exit-after-ms': '{"main": 10}', 'racerig.dev/ignored-signals': '{"sidecar": [15], "wait": [9]}' } });
  await podWhen('stubborn', 'main terminated', (p) => !!container(p, 'main').state.terminated);
  for (const c of ['wait', 'sidecar']) assert.equal((await kubectl(kc, ['exec', 'stubborn', '-c', c, '--', 'kill', '15', '1'])).code, 0);
  // The kill is applied before the exec's status is sent, so the pod already shows its outcome.
  const afterTerm = await getPod('stubborn');
  assert.equal(container(afterTerm, 'wait').state.terminated.exitCode, 143, 'wait does not ignore SIGTERM');
  assert.ok(container(afterTerm, 'sidecar').state.running, 'the sidecar ignores SIGTERM');
  assert.equal(afterTerm.status.phase, 'Running');
  assert.equal((await kubectl(kc, ['exec', 'stubborn', '-c', 'sidecar', '--', 'kill', '9', '1'])).code, 0);
  const done = await podWhen('stubborn', 'Failed', (p) => p.status.phase === 'Failed');
  assert.deepEqual(done.status.containerStatuses.map((c: any) => [c.name, c.state.terminated.exitCode]), [['main', 0], ['wait', 143], ['sidecar', 137]]);
});

test('restart policies apply per container: Always restarts only the killed or listed container, OnFailure keeps a 0 exit terminated', async () => {
  await createPod('always', { containers: ['a', 'b'], restartPolicy: 'Always' });
  await podWhen('always', 'Running', (p) => p.status.phase === 'Running');
  const kill = await kubectl(kc, ['exec', 'always', '-c', 'b', '--', 'kill', '-9', '1']);
  assert.equal(kill.code, 0, kill.stderr);
  const restarted = await podWhen('always', 'b restarted', (p) => container(p, 'b').restartCount === 1);
  assert.equal(container(restarted, 'b').lastState.terminated.exitCode, 137);
  assert.ok(container(restarted, 'b').state.running);
  assert.equal(container(restarted, 'a').restartCount, 0);
  assert.equal(restarted.status.phase, 'Running');

  await createPod('always-listed', { containers: ['main', 'side'], restartPolicy: 'Always', annotations: { 'racerig.dev/container-exit-after-ms': '{"main": 10}' } });
  const again = await podWhen('always-listed', 'main restarted', (p) => container(p, 'main').restartCount === 1);
  assert.deepEqual([container(again, 'main').lastState.terminated.reason, container(again, 'side').restartCount, again.status.phase], ['Completed', 0, 'Running']);

  await createPod('on-failure', { containers: ['main', 'side'], restartPolicy: 'OnFailure', annotations: { 'racerig.dev/container-exit-after-ms': '{"main": 10}' } });
  const kept = await podWhen('on-failure', 'main terminated', (p) => !!container(p, 'main').state.terminated);
  assert.deepEqual([container(kept, 'main').restartCount, container(kept, 'side').state.running !== undefined, kept.status.phase], [0, true, 'Running']);
});

test('pods without the annotation keep their behaviour: Never pods end all containers after the run duration; an invalid annotation is ignored', async () => {
  const short = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 40, jitter: 0 } });
  try {
    for (const [name, annotations] of [['plain', {}], ['invalid', { 'racerig.dev/container-exit-after-ms': 'main=10' }]] as const) {
      const pod = podManifest(name, 'default', {}, { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }, { name: 'wait', image: 'busybox' }] }) as { metadata: Record<string, unknown> };
      pod.metadata.annotations = annotations;
      assert.equal((await json(short.url, 'POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
      const done = await waitFor(`${name} Succeeded`, async () => {
        const p = (await json(short.url, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body;
        return p.status?.phase === 'Succeeded' ? p : undefined;
      });
      assert.deepEqual(done.status.containerStatuses.map((c: any) => c.state.terminated.exitCode), [0, 0]);
    }
  } finally {
    await short.close();
  }
});

test('racerig.dev/restart-after-ms repeats every N ms of running up to racerig.dev/restart-limit, each restart exit 2/Error with the previous log', async () => {
  const crash = { 'racerig.dev/restart-after-ms': '25', 'racerig.dev/previous-log': 'panic: boom\ngoroutine 1 [running]:' };
  await createPod('limited', { containers: ['main', 'side'], restartPolicy: 'Always', annotations: { ...crash, 'racerig.dev/restart-limit': '3' } });
  await createPod('unlimited', { containers: ['main'], restartPolicy: 'OnFailure', annotations: crash });
  const many = await podWhen('unlimited', 'six restarts', (p) => container(p, 'main').restartCount >= 6);
  assert.equal(many.status.phase, 'Running');
  assert.deepEqual([container(many, 'main').lastState.terminated.exitCode, container(many, 'main').lastState.terminated.reason], [2, 'Error']);
  // By now the limited pod (created first, same pace) had six chances: it stopped at three.
  const limited = await getPod('limited');
  assert.deepEqual(limited.status.containerStatuses.map((c: any) => [c.name, c.restartCount, c.lastState.terminated.exitCode, !!c.state.running]), [['main', 3, 2, true], ['side', 3, 2, true]]);
  const prev = await kubectl(kc, ['logs', 'limited', '-c', 'side', '--previous']);
  assert.equal(prev.code, 0, prev.stderr);
  assert.equal(prev.stdout, 'panic: boom\ngoroutine 1 [running]:\n');

  await createPod('never-crash', { containers: ['main'], restartPolicy: 'Never', annotations: crash });
  const failed = await podWhen('never-crash', 'Failed', (p) => p.status.phase === 'Failed');
  assert.deepEqual([container(failed, 'main').restartCount, container(failed, 'main').state.terminated.exitCode], [0, 2]);
});

test('POST /racerig/pods/<ns>/<name>/restart restarts one container (OOMKilled, 137) or every running one, per restart policy; bad requests get a Status', async () => {
  await createPod('victim', { containers: ['a', 'b'], restartPolicy: 'Always', annotations: { 'racerig.dev/previous-log': 'fatal error: concurrent map writes' } });
  await podWhen('victim', 'Running', (p) => p.status.phase === 'Running');
  const oom = await json(url, 'POST', '/racerig/pods/default/victim/restart?container=b&reason=OOMKilled');
  assert.equal(oom.status, 200, JSON.stringify(oom.body));
  assert.equal(oom.body.kind, 'Pod');
  assert.deepEqual([container(oom.body, 'b').restartCount, container(oom.body, 'b').lastState.terminated.exitCode, container(oom.body, 'b').lastState.terminated.reason], [1, 137, 'OOMKilled']);
  assert.equal(container(oom.body, 'a').restartCount, 0);
  const all = await json(url, 'POST', '/racerig/pods/default/victim/restart');
  assert.deepEqual(all.body.status.containerStatuses.map((c: any) => [c.name, c.restartCount, c.lastState.terminated.exitCode, c.lastState.terminated.reason]), [['a', 1, 2, 'Error'], ['b', 2, 2, 'Error']]);
  const custom = await json(url, 'POST', '/racerig/pods/default/victim/restart?container=a&exitCode=0&reason=Completed');
  assert.deepEqual([container(custom.body, 'a').restartCount, container(custom.body, 'a').lastState.terminated.exitCode], [2, 0]);
  assert.equal((await getPod('victim')).status.containerStatuses[0].restartCount, 2, 'stored, not only answered');
  const prev = await kubectl(kc, ['logs', 'victim', '-c', 'b', '--previous']);
  assert.equal(prev.stdout, 'fatal error: concurrent map writes\n');

  await createPod('once', { containers: ['main'], restartPolicy: 'Never' });
  await podWhen('once', 'Running', (p) => p.status.phase === 'Running');
  const ended = await json(url, 'POST', '/racerig/pods/default/once/restart?exitCode=1');
  assert.deepEqual([ended.body.status.phase, container(ended.body, 'main').state.terminated.exitCode, container(ended.body, 'main').restartCount], ['Failed', 1, 0]);

  const refusals: Array<[string, string, number, RegExp]> = [
    ['POST', '/racerig/pods/default/ghost/restart', 404, /pods "ghost" not found/],
    ['POST', '/racerig/pods/default/victim/restart?container=nope', 400, /container nope is not valid/],
    ['POST', '/racerig/pods/default/victim/restart?exitCode=300&reason=not%20a%20reason', 400, /exitCode must be an integer in \[0, 255\].*; reason must be/],
    ['GET', '/racerig/pods/default/victim/restart', 405, /use POST/],
    ['POST', '/racerig/pods/default/once/restart', 409, /is Failed, not Running/],
  ];
  for (const [method, path, code, message] of refusals) {
    const r = await json(url, method, path);
    assert.equal(r.status, code, path);
    assert.equal(r.body.kind, 'Status');
    assert.match(r.body.message, message);
  }
});

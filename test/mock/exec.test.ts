/**
 * pods/exec over WebSocket: kubectl exec and @kubernetes/client-node's Exec, exit codes, stdin, kill.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { KubeConfig, Exec, type V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { http, json, kubectl, podManifest, waitFor, startFixture, type MockFixture, NO_KUBECTL } from './helpers.js';

let fx: MockFixture;
let url: string;
let kc: string;

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 60000, jitter: 0 } });
  ({ url, kc } = fx);
  for (const [name, policy] of [['shell', 'Always'], ['victim', 'Never']]) {
    await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest(name!, 'default', {}, { restartPolicy: policy }));
    await waitFor(`${name} Running`, async () => (await json(url, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body.status.phase === 'Running');
  }
});

after(() => fx.close());

test('kubectl exec: echo prints hi, exit codes come back, stdin reaches cat, unknown commands fail clearly', { skip: NO_KUBECTL }, async () => {
  const hi = await kubectl(kc, ['exec', 'shell', '--', 'echo', 'hi']);
  assert.equal(hi.code, 0, hi.stderr);
  assert.equal(hi.stdout, 'hi\n');
  const failed = await kubectl(kc, ['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
  assert.equal(failed.code, 3);
  assert.match(failed.stderr, /command terminated with exit code 3/);
  const cat = await kubectl(kc, ['exec', '-i', 'shell', '--', 'cat'], { stdin: 'piped\n' });
  assert.equal(cat.stdout, 'piped\n');
  const interactive = await kubectl(kc, ['exec', '-i', 'shell', '--', 'sh'], { stdin: 'echo one\nhostname; exit 4\necho never\n' });
  assert.equal(interactive.code, 4);
  assert.equal(interactive.stdout, '# one\n# shell\n');
  const unknown = await kubectl(kc, ['exec', 'shell', '--', 'ls', '/']);
  assert.equal(unknown.code, 127);
  assert.match(unknown.stderr, /ls: command not found in the mock container/);
});

function collect(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => out };
}

async function clientExec(command: string[], stdin?: string): Promise<{ status: V1Status; stdout: string; stderr: string }> {
  const config = new KubeConfig();
  config.loadFromFile(kc);
  const out = collect();
  const err = collect();
  let status: V1Status | undefined;
  let input: PassThrough | null = null;
  if (stdin !== undefined) {
    input = new PassThrough();
    input.end(stdin);
  }
  await new Exec(config).exec('default', 'shell', 'main', command, out.stream, err.stream, input, false, (s) => (status = s));
  const final = await waitFor('exec status', () => status, 5000);
  return { status: final, stdout: out.text(), stderr: err.text() };
}

test('@kubernetes/client-node Exec: stdout, the error-channel Status and its exit code', async () => {
  const ok = await clientExec(['echo', 'from', 'client-node']);
  assert.equal(ok.status.status, 'Success');
  assert.equal(ok.stdout, 'from client-node\n');
  const bad = await clientExec(['exit', '42']);
  assert.equal(bad.status.status, 'Failure');
  assert.equal(bad.status.reason, 'NonZeroExitCode');
  assert.equal(bad.status.details?.causes?.[0]?.message, '42');
  const cat = await clientExec(['cat'], 'via stdin');
  assert.equal(cat.stdout, 'via stdin');
});

test('exec kill of pid 1 terminates the container; exec into a missing pod or a non-running pod is refused', { skip: NO_KUBECTL }, async () => {
  const kill = await kubectl(kc, ['exec', 'victim', '--', 'kill', '-s', 'TERM', '1']);
  assert.equal(kill.code, 0, kill.stderr);
  const pod = await waitFor('Failed', async () => {
    const p = (await json(url, 'GET', '/api/v1/namespaces/default/pods/victim')).body;
    return p.status.phase === 'Failed' ? p : undefined;
  });
  assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 143);
  const done = await kubectl(kc, ['exec', 'victim', '--', 'echo', 'x']);
  assert.notEqual(done.code, 0);
  const missing = await kubectl(kc, ['exec', 'ghost', '--', 'echo', 'x']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /not found/);
  const plain = await http(url, 'GET', '/api/v1/namespaces/default/pods/shell/exec?command=echo');
  assert.equal(plain.status, 400, 'exec without an upgrade is a 400');
});

function rawExec(protocol: string, command: string[]): Promise<{ protocol: string; frames: Array<[number, string]>; closeCode: number }> {
  return new Promise((resolve, reject) => {
    const q = command.map((c) => `command=${encodeURIComponent(c)}`).join('&');
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/namespaces/default/pods/shell/exec?${q}&stdout=true&stderr=true`, [protocol]);
    const frames: Array<[number, string]> = [];
    const timer = setTimeout(() => ws.terminate(), 5000);
    ws.on('message', (d: Buffer) => frames.push([d[0]!, d.subarray(1).toString()]));
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ protocol: ws.protocol, frames, closeCode: code });
    });
    ws.on('error', reject);
  });
}

test('exec speaks v4.channel.k8s.io too, and refuses clients without a supported subprotocol', async () => {
  const v4 = await rawExec('v4.channel.k8s.io', ['echo', 'four']);
  assert.equal(v4.protocol, 'v4.channel.k8s.io');
  assert.deepEqual(v4.frames[0], [1, 'four\n']);
  const status = v4.frames.find(([ch]) => ch === 3);
  assert.deepEqual(JSON.parse(status![1]), { metadata: {}, status: 'Success' });
  await assert.rejects(rawExec('channel.k8s.io', ['echo', 'x']), /Unexpected server response: 400/);
});

test('faults apply to exec: injected latency delays it, an injected 503 fails it, other requests are untouched', { skip: NO_KUBECTL }, async () => {
  await fx.server.setFaults({ latency: [{ verb: 'connect', resource: 'pods/exec', distribution: { kind: 'fixed', ms: 300 } }] });
  const t = performance.now();
  const slow = await rawExec('v5.channel.k8s.io', ['echo', 'late']);
  assert.ok(performance.now() - t >= 290, `exec took ${performance.now() - t} ms`);
  assert.deepEqual(slow.frames[0], [1, 'late\n']);
  await fx.server.setFaults({ errors: [{ resource: 'pods/exec', code: 503, fraction: 1 }] });
  await assert.rejects(rawExec('v5.channel.k8s.io', ['echo', 'x']), /Unexpected server response: 503/);
  const failed = await kubectl(kc, ['exec', 'shell', '--', 'echo', 'hi']);
  assert.notEqual(failed.code, 0);
  assert.equal((await json(url, 'GET', '/api/v1/namespaces/default/pods/shell')).status, 200);
  await fx.server.setFaults({});
  const again = await kubectl(kc, ['exec', 'shell', '--', 'echo', 'hi']);
  assert.equal(again.stdout, 'hi\n', `exit ${again.code}, stderr: ${again.stderr}`);
});

test('logs --previous: 400 until the container restarted, then the previous instance\'s log (after kill 1, or the restart-after annotation)', { skip: NO_KUBECTL }, async () => {
  await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest('restarter', 'default', {}, { restartPolicy: 'Always' }));
  await waitFor('restarter Running', async () => (await json(url, 'GET', '/api/v1/namespaces/default/pods/restarter')).body.status.phase === 'Running');
  const none = await json(url, 'GET', '/api/v1/namespaces/default/pods/restarter/log?previous=true');
  assert.equal(none.status, 400);
  assert.equal(none.body.reason, 'BadRequest');
  assert.equal(none.body.message, 'previous terminated container "main" in pod "restarter" not found');
  const kill = await kubectl(kc, ['exec', 'restarter', '--', 'kill', '1']);
  assert.equal(kill.code, 0, kill.stderr);
  const pod = await waitFor('restarted', async () => {
    const p = (await json(url, 'GET', '/api/v1/namespaces/default/pods/restarter')).body;
    return p.status.containerStatuses[0].restartCount === 1 ? p : undefined;
  });
  assert.equal(pod.status.phase, 'Running');
  assert.equal(pod.status.containerStatuses[0].lastState.terminated.exitCode, 143);
  const prev = await kubectl(kc, ['logs', 'restarter', '--previous']);
  assert.equal(prev.code, 0, prev.stderr);
  assert.match(prev.stdout, /container main of pod default\/restarter started\n[^]*exited with code 143\n$/);
  const current = await kubectl(kc, ['logs', 'restarter']);
  assert.doesNotMatch(current.stdout, /exited with code/);

  const annotated = podManifest('crasher2', 'default', {}, { restartPolicy: 'OnFailure' }) as { metadata: Record<string, unknown> };
  annotated.metadata.annotations = { 'racerig.dev/restart-after-ms': '30', 'racerig.dev/previous-log': 'panic: boom\ngoroutine 1 [running]:' };
  await json(url, 'POST', '/api/v1/namespaces/default/pods', annotated);
  await waitFor('crasher2 restarted', async () => (await json(url, 'GET', '/api/v1/namespaces/default/pods/crasher2')).body.status?.containerStatuses?.[0]?.restartCount === 1);
  const crash = await http(url, 'GET', '/api/v1/namespaces/default/pods/crasher2/log?previous=true');
  assert.equal(crash.status, 200);
  assert.equal(crash.body, 'panic: boom\ngoroutine 1 [running]:\n');
});

/**
 * pods/attach over WebSocket: kubectl on PATH (WebSocket by default since 1.30) and a raw
 * v5.channel.k8s.io client; the same checks as exec. SPDY attach is in spdy-exec/spdy-kubectl tests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { json, kubectl, podManifest, startKubectl, waitFor, startFixture, type MockFixture, NO_KUBECTL } from './helpers.js';

let fx: MockFixture;
let url: string;
let kc: string;

async function createRunningPod(name: string): Promise<void> {
  await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest(name, 'default', {}, { restartPolicy: 'Never' }));
  await waitFor(`${name} Running`, async () => (await json(url, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body.status?.phase === 'Running');
}

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 600_000, jitter: 0 }, logs: { lines: ['first line', 'second line'] } });
  ({ url, kc } = fx);
});

after(() => fx.close());

test('kubectl attach (WebSocket): the configured log lines, stdin echoed, exit 0 when the container is killed', { skip: NO_KUBECTL }, async () => {
  await createRunningPod('ws-attached');
  const att = startKubectl(kc, ['attach', '-i', 'ws-attached', '-v=8'], 15_000);
  const exited = new Promise<number | null>((resolve) => att.child.on('exit', (code) => resolve(code)));
  att.child.stdin!.write('hello attach\n');
  await waitFor('log lines and the echo', () => /first line\nsecond line\n/.test(att.output()) && att.output().includes('hello attach\n'));
  const kill = await kubectl(kc, ['exec', 'ws-attached', '--', 'kill', '1']);
  assert.equal(kill.code, 0, kill.stderr);
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000).unref())]);
  att.stop();
  assert.equal(code, 0, att.output());
  assert.match(att.output(), /Response Status: 101 Switching Protocols[^]*Upgrade: websocket/i, 'this kubectl attached over WebSocket');
  assert.doesNotMatch(att.output(), /SPDY\/3\.1/);
});

function rawAttach(pod: string, query = 'stdout=true&stderr=true'): Promise<{ frames: Array<[number, string]>; ws: WebSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/namespaces/default/pods/${pod}/attach?${query}`, ['v5.channel.k8s.io']);
    const frames: Array<[number, string]> = [];
    const timer = setTimeout(() => ws.terminate(), 10_000);
    const closed = new Promise<number>((r) => ws.on('close', (code) => (clearTimeout(timer), r(code))));
    ws.on('message', (d: Buffer) => frames.push([d[0]!, d.subarray(1).toString()]));
    ws.on('open', () => resolve({ frames, ws, closed }));
    ws.on('error', reject);
  });
}

test('raw v5 attach: log lines on stdout, Success on the error channel once the pod is deleted; refusals match exec', { skip: NO_KUBECTL }, async () => {
  await createRunningPod('raw-attached');
  const a = await rawAttach('raw-attached');
  await waitFor('the log', () => a.frames.length > 0);
  assert.deepEqual(a.frames[0], [1, 'first line\nsecond line\n']);
  assert.equal((await json(url, 'DELETE', '/api/v1/namespaces/default/pods/raw-attached?gracePeriodSeconds=0')).status, 200);
  assert.equal(await a.closed, 1000);
  const status = a.frames.find(([ch]) => ch === 3);
  assert.deepEqual(JSON.parse(status![1]), { metadata: {}, status: 'Success' });

  await assert.rejects(rawAttach('ghost'), /Unexpected server response: 404/);
  await assert.rejects(rawAttach('raw-attached'), /Unexpected server response: 404/, 'deleted');
  await createRunningPod('raw-2');
  await assert.rejects(rawAttach('raw-2', 'stdout=true&container=nope'), /Unexpected server response: 400/);
  await assert.rejects(rawAttach('raw-2', ''), /Unexpected server response: 400/, 'no stream asked for');
  const missing = await kubectl(kc, ['attach', 'ghost']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /not found/);
});

/**
 * The mock's pods/proxy subresource against a small HTTP server on 127.0.0.1:0 standing in for a pod's
 * port: a pod annotated racerig.dev/proxy-to-loopback forwards method, path, query and body (not the
 * caller's Authorization) and answers as the pod did; otherwise the Statuses kube-apiserver gives.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http, json, podManifest, waitFor, startFixture, type MockFixture } from './helpers.js';
import { parseProxyId } from '../../src/mock/pod-proxy.js';
import { parseResourcePath } from '../../src/mock/request-info.js';

let fx: MockFixture;
let backend: Server;
let port: number;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 60_000, jitter: 0 } });
  backend = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/missing') res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
      else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'x-pod': 'yes' }).end(`up 1\n# ${req.method} ${req.url}\n`);
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  port = (backend.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => backend.close(() => r()));
  await fx.close();
});

async function runningPod(name: string, annotations: Record<string, string>, extra: Record<string, unknown> = {}): Promise<void> {
  const pod = podManifest(name, 'default', { app: name }, extra) as { metadata: Record<string, unknown> };
  pod.metadata.annotations = annotations;
  assert.equal((await json(fx.url, 'POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
  await waitFor(`${name} Running`, async () => (await json(fx.url, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body.status?.phase === 'Running' || undefined);
}

test('parseProxyId and parseResourcePath read name[:port], scheme:name:port and the path after proxy', () => {
  assert.deepEqual(parseProxyId('p'), { scheme: '', name: 'p', port: '' });
  assert.deepEqual(parseProxyId('p:9090'), { scheme: '', name: 'p', port: '9090' });
  assert.deepEqual(parseProxyId('https:p:443'), { scheme: 'https', name: 'p', port: '443' });
  assert.equal(parseProxyId('ftp:p:1'), undefined);
  assert.equal(parseProxyId('a:b:c:d'), undefined);
  assert.equal(parseResourcePath('GET', '/api/v1/namespaces/ns/pods/p:9090/proxy/a/b%20c/', false)?.subpath, '/a/b%20c/');
  assert.equal(parseResourcePath('GET', '/api/v1/namespaces/ns/pods/p:9090/proxy', false)?.subpath, '/');
  assert.equal(parseResourcePath('GET', '/api/v1/namespaces/ns/pods/p/log/extra', false), undefined, 'only proxy takes a path');
});

test('a loopback-annotated pod: GET and POST go to 127.0.0.1:<port> with path, query and body, without Authorization; the answer comes back as the pod gave it', async () => {
  await runningPod('looped', { 'racerig.dev/proxy-to-loopback': 'true' });
  const r = await http(fx.url, 'GET', `/api/v1/namespaces/default/pods/looped:${port}/proxy/metrics?x=1&y=2`, undefined, { authorization: 'Bearer secret', 'x-extra': 'kept' });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'up 1\n# GET /metrics?x=1&y=2\n');
  assert.equal(r.headers['x-pod'], 'yes');
  const got = seen.at(-1)!;
  assert.equal(got.headers.authorization, undefined, "the caller's credentials stay with the API server");
  assert.equal(got.headers['x-extra'], 'kept');
  const post = await http(fx.url, 'POST', `/api/v1/namespaces/default/pods/http:looped:${port}/proxy/submit`, '{"a":1}');
  assert.equal(post.status, 200);
  assert.deepEqual([seen.at(-1)!.method, seen.at(-1)!.url, seen.at(-1)!.body], ['POST', '/submit', '{"a":1}']);
  const missing = await http(fx.url, 'GET', `/api/v1/namespaces/default/pods/looped:${port}/proxy/missing`);
  assert.deepEqual([missing.status, missing.body], [404, 'no such page'], "the pod's own error passes through");
  // The port defaults to the first declared containerPort.
  await runningPod('declared', { 'racerig.dev/proxy-to-loopback': 'true' }, { containers: [{ name: 'main', image: 'x', ports: [{ containerPort: port }] }] });
  assert.equal((await http(fx.url, 'GET', '/api/v1/namespaces/default/pods/declared/proxy/metrics')).status, 200);
});

test('unreachable pods get the Statuses kube-apiserver gives: 503 without the annotation or with nothing listening, 404 for a missing pod, 400 without an IP or for a bad name', async () => {
  await runningPod('plain', {});
  const plain = await json(fx.url, 'GET', `/api/v1/namespaces/default/pods/plain:${port}/proxy/metrics`);
  assert.equal(plain.status, 503);
  assert.deepEqual([plain.body.kind, plain.body.reason, plain.body.code], ['Status', 'ServiceUnavailable', 503]);
  assert.match(plain.body.message, /error trying to reach service: dial tcp 10\.[\d.]+:\d+.*racerig\.dev\/proxy-to-loopback/);

  // A port nothing listens on: take one from a server that is closed again.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const dead = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const refused = await json(fx.url, 'GET', `/api/v1/namespaces/default/pods/looped:${dead}/proxy/metrics`);
  assert.deepEqual([refused.status, refused.body.reason], [503, 'ServiceUnavailable']);
  assert.match(refused.body.message, /connection refused/);

  const nope = await json(fx.url, 'GET', `/api/v1/namespaces/default/pods/nope:${port}/proxy/metrics`);
  assert.deepEqual([nope.status, nope.body.reason], [404, 'NotFound']);
  const bad = await json(fx.url, 'GET', `/api/v1/namespaces/default/pods/a:b:c:d/proxy/`);
  assert.equal(bad.status, 400);

  const pending = podManifest('pending', 'default', {}) as { metadata: Record<string, unknown> };
  pending.metadata.annotations = { 'racerig.dev/proxy-to-loopback': 'true', 'racerig.dev/start-delay-ms': '600000' };
  assert.equal((await json(fx.url, 'POST', '/api/v1/namespaces/default/pods', pending)).status, 201);
  const noIp = await json(fx.url, 'GET', `/api/v1/namespaces/default/pods/pending:${port}/proxy/metrics`);
  assert.deepEqual([noIp.status, noIp.body.message], [400, 'address not allowed']);
});

test('discovery lists pods/proxy', async () => {
  const r = await json(fx.url, 'GET', '/api/v1');
  const proxy = r.body.resources.find((x: { name: string }) => x.name === 'pods/proxy');
  assert.ok(proxy, 'pods/proxy in /api/v1');
  assert.equal(proxy.kind, 'PodProxyOptions');
});

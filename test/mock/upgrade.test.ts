/**
 * The upgrade path: clients resetting connections at every stage of an upgrade never take the mock
 * down, and requests that carry upgrade headers to endpoints that are not upgrades are served as
 * ordinary requests (as kube-apiserver serves them), kept alive, with bodies, and counted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { json, podManifest, waitFor, startFixture, type MockFixture } from './helpers.js';
import { rawConnect, requestHead, SPDY_UPGRADE, websocketUpgrade, type RawConnection } from './raw-http.js';
import { parseSamples, sumSamples } from '../../src/mock/metrics-text.js';

let fx: MockFixture;
let url: string;

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 0, jitter: 0 } });
  url = fx.url;
  await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest('shell', 'default', {}, { restartPolicy: 'Always' }));
  await waitFor('shell Running', async () => (await json(url, 'GET', '/api/v1/namespaces/default/pods/shell')).body.status?.phase === 'Running');
});

after(() => fx.close());

const EXEC_LABELS = { verb: 'CONNECT', group: '', version: 'v1', resource: 'pods', subresource: 'exec', scope: 'resource' };

async function metricsText(): Promise<string> {
  return fx.server.metrics();
}

/** execSessions is the number of exec sessions the mock holds open (its long-running gauge). */
async function execSessions(): Promise<number> {
  return parseSamples(await metricsText(), 'apiserver_longrunning_requests').find((s) => Object.entries(EXEC_LABELS).every(([k, v]) => s.labels[k] === v))?.value ?? 0;
}

/** assertServes checks that the mock still answers an ordinary request on a new connection. */
async function assertServes(what: string): Promise<void> {
  const r = await json(url, 'GET', '/api/v1/namespaces/default/pods/shell');
  assert.equal(r.status, 200, `after ${what}`);
  assert.equal(r.body.metadata.name, 'shell');
}

function execPath(pod: string, command: string[], extra = ''): string {
  return `/api/v1/namespaces/default/pods/${pod}/exec?${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&stdout=true&stderr=true${extra}`;
}

async function sendUpgrade(path: string, headers = websocketUpgrade(), body?: string): Promise<RawConnection> {
  const c = await rawConnect(url);
  c.write(requestHead('GET', path, headers, body));
  return c;
}

/** wsExec runs one exec through the ws client and resolves with the exit Status frame's text. */
function wsExec(command: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}${execPath('shell', command)}`, ['v5.channel.k8s.io']);
    let status = '';
    const timer = setTimeout(() => ws.terminate(), 5000);
    ws.on('message', (d: Buffer) => {
      if (d[0] === 3) status = d.subarray(1).toString();
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(status);
    });
    ws.on('error', reject);
  });
}

test('resets before the response, after 101 and mid-session leave the mock serving, with no exec session left open', async () => {
  for (let i = 0; i < 20; i++) (await sendUpgrade(execPath('shell', ['echo', 'x']))).reset();
  await assertServes('resets right after sending an exec upgrade');

  const partial = await rawConnect(url);
  partial.write('GET /api/v1/namespaces/default/pods/shell/exec?command=echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upg');
  partial.reset();
  await assertServes('a reset in the middle of the request head');

  const after101 = await sendUpgrade(execPath('shell', ['sleep', '30']));
  assert.equal((await after101.response()).status, 101);
  after101.reset();
  await assertServes('a reset right after the 101');

  const session = await sendUpgrade(execPath('shell', ['sh'], '&stdin=true'));
  assert.equal((await session.response()).status, 101);
  await session.until('# ');
  assert.ok((await execSessions()) >= 1, 'the interactive session is open');
  session.reset();
  await assertServes('a reset in the middle of an exec session');
  await waitFor('every exec session ended', async () => (await execSessions()) === 0);
  assert.match(await wsExec(['echo', 'still', 'here']), /"Success"/);
});

test('resets while the mock writes a 4xx Status on the upgrade path (missing pod, no subprotocol, attach) leave it serving', async () => {
  const big = 'x'.repeat(256 * 1024);
  for (let i = 0; i < 20; i++) {
    (await sendUpgrade(execPath('ghost', ['echo', 'x']), websocketUpgrade(), big)).reset();
    (await sendUpgrade(execPath('shell', ['echo', 'x']), websocketUpgrade(['channel.k8s.io']), big)).reset();
    (await sendUpgrade('/api/v1/namespaces/default/pods/shell/attach?stdout=true', websocketUpgrade(), big)).reset();
  }
  await assertServes('resets during Status writes');
  // The Status is still delivered to a client that waits for it.
  const refused = await sendUpgrade(execPath('ghost', ['echo', 'x']));
  const r = await refused.response();
  assert.equal(r.status, 404);
  assert.equal(JSON.parse(r.body).reason, 'NotFound');
  await refused.closed();
});

test('resets while a fault gate holds the upgrade (latency, stall), and injected resets and errors on it, leave it serving', async () => {
  try {
    await fx.server.setFaults({ latency: [{ verb: 'connect', resource: 'pods/exec', distribution: { kind: 'fixed', ms: 150 } }] });
    for (let i = 0; i < 5; i++) (await sendUpgrade(execPath('shell', ['echo', 'x']))).reset();
    // The gate releases in order: this exec, sent after the resets, passes it after theirs did.
    assert.match(await wsExec(['echo', 'after']), /"Success"/);
    assert.equal(await execSessions(), 0, 'no session was started for a client that had gone');

    await fx.server.setFaults({ stall: { everyMs: 60_000, forMs: 150 } });
    for (let i = 0; i < 5; i++) (await sendUpgrade(execPath('shell', ['echo', 'x']))).reset();
    assert.match(await wsExec(['echo', 'after', 'stall']), /"Success"/);

    // Held, then answered with an injected 503 on a socket the client reset meanwhile.
    await fx.server.setFaults({ latency: [{ resource: 'pods/exec', distribution: { kind: 'fixed', ms: 100 } }], errors: [{ resource: 'pods/exec', code: 503, fraction: 1 }] });
    for (let i = 0; i < 5; i++) (await sendUpgrade(execPath('shell', ['echo', 'x']))).reset();
    await assert.rejects(wsExec(['echo', 'x']), /Unexpected server response: 503/);

    await fx.server.setFaults({ resetFraction: 1 });
    const injected = await sendUpgrade(execPath('shell', ['echo', 'x']));
    await injected.closed();
    await fx.server.setFaults({ errors: [{ resource: 'pods/exec', code: 503, fraction: 1 }] });
    for (let i = 0; i < 10; i++) (await sendUpgrade(execPath('shell', ['echo', 'x']), websocketUpgrade(), 'y'.repeat(128 * 1024))).reset();
    const unavailable = await sendUpgrade(execPath('shell', ['echo', 'x']));
    assert.equal((await unavailable.response()).status, 503);
  } finally {
    await fx.server.setFaults({});
  }
  await assertServes('resets under faults');
  assert.equal(await execSessions(), 0);
});

test('upgrade headers on a non-upgrade endpoint: the ordinary answer (SPDY and websocket), kept alive, pipelined, with bodies, counted', async () => {
  const before = await metricsText();
  const lists = sumSamples(before, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '200' });
  const creates = sumSamples(before, 'apiserver_request_total', { verb: 'POST', resource: 'configmaps', code: '201' });

  const c = await rawConnect(url);
  c.write(requestHead('GET', '/api/v1/namespaces/default/pods', SPDY_UPGRADE));
  const spdy = await c.response();
  assert.equal(spdy.status, 200);
  assert.equal(JSON.parse(spdy.body).kind, 'PodList');
  assert.equal(JSON.parse(spdy.body).items[0].metadata.name, 'shell');
  assert.notEqual(spdy.headers.connection, 'close');
  // The same connection again, with websocket headers, then two pipelined requests in one write, one with a body.
  c.write(requestHead('GET', '/api/v1/namespaces/default/pods', websocketUpgrade()));
  assert.equal((await c.response()).status, 200);
  const cm = JSON.stringify({ metadata: { name: 'through-upgrade' }, data: { a: 'b' } });
  c.write(requestHead('POST', '/api/v1/namespaces/default/configmaps', { ...SPDY_UPGRADE, 'Content-Type': 'application/json' }, cm) + requestHead('GET', '/api/v1/namespaces/default/pods/shell', SPDY_UPGRADE));
  const created = await c.response();
  assert.equal(created.status, 201, created.body);
  assert.equal(JSON.parse(created.body).data.a, 'b');
  const got = await c.response();
  assert.equal(got.status, 200);
  assert.equal(JSON.parse(got.body).kind, 'Pod');
  // Connection: close with the upgrade token: answered, then closed by the server.
  c.write(requestHead('GET', '/api/v1/namespaces/default/pods', { Connection: 'Upgrade, close', Upgrade: 'SPDY/3.1' }));
  const last = await c.response();
  assert.equal(last.status, 200);
  assert.equal(last.headers.connection, 'close');
  await c.closed();

  assert.equal((await json(url, 'GET', '/api/v1/namespaces/default/configmaps/through-upgrade')).body.data.a, 'b');
  const text = await metricsText();
  assert.equal(sumSamples(text, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '200' }) - lists, 3);
  assert.equal(sumSamples(text, 'apiserver_request_total', { verb: 'POST', resource: 'configmaps', code: '201' }) - creates, 1);
});

test('upgrade headers on a watch, on a 404 and on non-resource paths get the ordinary answers; exec and attach keep the upgrade path', async () => {
  const w = await rawConnect(url);
  w.write(requestHead('GET', '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=5', SPDY_UPGRADE));
  await w.until('HTTP/1.1 200');
  await w.until('"type":"ADDED"');
  w.socket.destroy();

  const missing = await sendUpgrade('/api/v1/namespaces/default/pods/nobody', SPDY_UPGRADE);
  const nf = await missing.response();
  assert.equal(nf.status, 404);
  assert.equal(JSON.parse(nf.body).reason, 'NotFound');
  const health = await sendUpgrade('/healthz', websocketUpgrade());
  assert.deepEqual([(await health.response()).body], ['ok']);
  const metrics = await sendUpgrade('/metrics', SPDY_UPGRADE);
  assert.match((await metrics.response()).body, /apiserver_request_total/);
  const discovery = await sendUpgrade('/api', SPDY_UPGRADE);
  assert.equal(JSON.parse((await discovery.response()).body).kind, 'APIVersions');

  // exec with SPDY headers but no stream protocol still reaches the (SPDY) exec handler: its 400, not a 200.
  const spdyExec = await sendUpgrade(execPath('shell', ['echo', 'x']), SPDY_UPGRADE);
  const refused = await spdyExec.response();
  assert.equal(refused.status, 400);
  assert.match(JSON.parse(refused.body).message, /header X-Stream-Protocol-Version does not exist or is empty/);
  const attach = await sendUpgrade('/api/v1/namespaces/default/pods/shell/attach?stdout=true');
  assert.equal((await attach.response()).status, 101, 'attach is an upgrade endpoint too');
  attach.socket.destroy();
  const ws = await sendUpgrade(execPath('shell', ['echo', 'x']));
  assert.equal((await ws.response()).status, 101);
  ws.socket.destroy();
  await waitFor('exec sessions ended', async () => (await execSessions()) === 0);
});

test('upgrades count in racerig_mock_client_requests_total (101 per session whatever its exit code, refusals, injected errors) and in apiserver_request_total', async () => {
  const ua = 'exec-client/0.1 (test)';
  const clientCount = async (verb: string, code: string) =>
    parseSamples(await metricsText(), 'racerig_mock_client_requests_total').find((s) => s.labels.user_agent === ua && s.labels.verb === verb && s.labels.code === code)?.value ?? 0;
  const connects = async (code: string) => sumSamples(await metricsText(), 'apiserver_request_total', { ...EXEC_LABELS, code });
  const before101 = await connects('101');
  const before127 = await connects('127');
  const headers = { ...websocketUpgrade(), 'User-Agent': ua };
  for (const command of [['echo', 'x'], ['exit', '127'], ['sh', '-c', 'exit 3']]) {
    const c = await sendUpgrade(execPath('shell', command), headers);
    assert.equal((await c.response()).status, 101);
    await c.until('"status":');
    c.socket.destroy();
  }
  const ghost = await sendUpgrade(execPath('ghost', ['echo']), headers);
  assert.equal((await ghost.response()).status, 404);
  try {
    await fx.server.setFaults({ errors: [{ resource: 'pods/exec', code: 429, fraction: 1 }] });
    const limited = await sendUpgrade(execPath('shell', ['echo']), headers);
    assert.equal((await limited.response()).status, 429);
  } finally {
    await fx.server.setFaults({});
  }
  const plain = await sendUpgrade('/api/v1/namespaces/default/pods', { ...SPDY_UPGRADE, 'User-Agent': ua });
  assert.equal((await plain.response()).status, 200);
  await waitFor('three sessions counted', async () => (await clientCount('GET', '101')) === 3);
  assert.equal(await clientCount('GET', '404'), 1);
  assert.equal(await clientCount('GET', '429'), 1);
  assert.equal(await clientCount('GET', '200'), 1);
  assert.equal((await connects('101')) - before101, 3, 'exit codes 127 and 3 are sessions answered with 101');
  assert.equal((await connects('127')) - before127, 0);
  assert.equal(await connects('429'), 1, 'an injected error on exec is counted like one on any request');
});

test('TLS: upgrade headers on an ordinary request are served after authentication (401 without, 200 with the token)', async () => {
  const tls = await startFixture({ tls: true, token: 'upgrade-token', lifecycle: { disabled: true } });
  try {
    const anon = await rawConnect(tls.url, tls.server.auth!.caPem);
    anon.write(requestHead('GET', '/api/v1/namespaces', SPDY_UPGRADE));
    assert.equal((await anon.response()).status, 401);
    const anonExec = await rawConnect(tls.url, tls.server.auth!.caPem);
    anonExec.write(requestHead('GET', execPath('shell', ['echo']), { ...websocketUpgrade(), 'User-Agent': 'no-credentials' }));
    assert.equal((await anonExec.response()).status, 401);
    const unauthorized = parseSamples(await tls.server.metrics(), 'racerig_mock_client_requests_total').filter((s) => s.labels.code === '401');
    assert.deepEqual(unauthorized.map((s) => [s.labels.user_agent, s.labels.verb, s.value]).sort(), [['', 'GET', 1], ['no-credentials', 'GET', 1]]);
    const c = await rawConnect(tls.url, tls.server.auth!.caPem);
    for (let i = 0; i < 2; i++) {
      c.write(requestHead('GET', '/api/v1/namespaces', { ...SPDY_UPGRADE, Authorization: 'Bearer upgrade-token' }));
      const r = await c.response();
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).kind, 'NamespaceList');
    }
    c.reset();
    anon.socket.destroy();
  } finally {
    await tls.close();
  }
});

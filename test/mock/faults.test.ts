/**
 * Faults are observable exactly as configured: latency, injected errors with Retry-After, resets,
 * stalls, max-inflight 429s (long-running requests exempt), slow watch delivery; and the server
 * survives a fuzz of malformed requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { parseErrorRule, parseLatencyRule, sampleMs, type FaultConfig } from '../../src/mock/faults.js';
import { http, json, openWatch, waitFor, useMock } from './helpers.js';

let url: string;

useMock({ lifecycle: { disabled: true } }, async (s) => {
  url = s.url;
  await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'target' } });
});

const setFaults = async (f: FaultConfig) => {
  const r = await json(url, 'PUT', '/racerig/faults', f);
  assert.equal(r.status, 200, JSON.stringify(r.body));
};

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
}

test('fault rules parse from flags and distributions sample sensibly', () => {
  assert.deepEqual(parseLatencyRule('get/pods=fixed:5'), { verb: 'get', resource: 'pods', distribution: { kind: 'fixed', ms: 5 } });
  assert.deepEqual(parseLatencyRule('uniform:1:3'), { distribution: { kind: 'uniform', minMs: 1, maxMs: 3 } });
  assert.deepEqual(parseErrorRule('create/pods=429:0.25:2'), { verb: 'create', resource: 'pods', code: 429, fraction: 0.25, retryAfterSeconds: 2 });
  assert.throws(() => parseErrorRule('404:0.5'), /code must be 500, 503 or 429/);
  assert.throws(() => parseLatencyRule('poisson:3'), /expected fixed/);
  const samples = Array.from({ length: 2000 }, () => sampleMs({ kind: 'lognormal', medianMs: 10, sigma: 0.5 })).sort((a, b) => a - b);
  assert.ok(Math.abs(samples[1000]! - 10) < 1.5, `lognormal median ${samples[1000]}`);
  const uni = Array.from({ length: 500 }, () => sampleMs({ kind: 'uniform', minMs: 2, maxMs: 4 }));
  assert.ok(uni.every((x) => x >= 2 && x <= 4));
});

test('latency applies to the matching verb and resource only', async () => {
  await setFaults({ latency: [{ verb: 'get', resource: 'configmaps', distribution: { kind: 'fixed', ms: 150 } }] });
  const [slow, slowMs] = await timed(() => json(url, 'GET', '/api/v1/namespaces/default/configmaps/target'));
  assert.equal(slow.status, 200);
  assert.ok(slowMs >= 145, `GET configmap took ${slowMs} ms`);
  const [, listMs] = await timed(() => json(url, 'GET', '/api/v1/namespaces/default/configmaps'));
  const [, otherMs] = await timed(() => json(url, 'GET', '/api/v1/namespaces/default'));
  assert.ok(listMs < 145 && otherMs < 145, `unmatched requests were delayed: list ${listMs} ms, namespace ${otherMs} ms`);
  await setFaults({});
});

test('injected errors: 503 and 429 carry Retry-After; a fraction of requests fails in proportion', async () => {
  await setFaults({ errors: [{ verb: 'create', resource: 'configmaps', code: 429, fraction: 1, retryAfterSeconds: 3 }] });
  const r = await http(url, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'x' } }));
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '3');
  assert.equal(JSON.parse(r.body).reason, 'TooManyRequests');
  assert.equal((await json(url, 'GET', '/api/v1/namespaces/default/configmaps/x')).status, 404, 'the injected failure did not create');
  await setFaults({ errors: [{ code: 503, fraction: 1 }] });
  const u = await http(url, 'GET', '/api/v1/namespaces/default/configmaps/target');
  assert.equal(u.status, 503);
  assert.equal(u.headers['retry-after'], '1');
  await setFaults({ errors: [{ verb: 'get', code: 500, fraction: 0.5 }] });
  let failed = 0;
  for (let i = 0; i < 200; i++) if ((await http(url, 'GET', '/api/v1/namespaces/default/configmaps/target')).status === 500) failed++;
  assert.ok(failed > 60 && failed < 140, `${failed} of 200 failed at fraction 0.5`);
  await setFaults({});
});

test('connection resets: the client sees the connection reset, never an answer', async () => {
  await setFaults({ resetFraction: 1 });
  await assert.rejects(http(url, 'GET', '/api/v1/namespaces/default/configmaps/target'), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET' || /socket hang up/.test(e.message));
  await setFaults({});
  assert.equal((await http(url, 'GET', '/api/v1/namespaces/default/configmaps/target')).status, 200);
});

test('periodic stall holds requests until the stall window ends', async () => {
  await setFaults({ stall: { everyMs: 60000, forMs: 300 } });
  const [r, ms] = await timed(() => http(url, 'GET', '/api/v1/namespaces/default/configmaps/target'));
  assert.equal(r.status, 200);
  assert.ok(ms >= 200, `request during the stall took ${ms} ms`);
  const [, after] = await timed(() => http(url, 'GET', '/api/v1/namespaces/default/configmaps/target'));
  assert.ok(after < 250, `request after the stall took ${after} ms`);
  await setFaults({});
});

test('max-inflight: requests over the limit get 429 text with Retry-After: 1; watches are exempt', async () => {
  await setFaults({ maxInflight: 2, latency: [{ verb: 'get', resource: 'configmaps', distribution: { kind: 'fixed', ms: 400 } }] });
  const held = [http(url, 'GET', '/api/v1/namespaces/default/configmaps/target'), http(url, 'GET', '/api/v1/namespaces/default/configmaps/target')];
  await waitFor('two requests in flight', async () => /request_kind="readOnly"\} [2-9]/.test((await http(url, 'GET', '/metrics')).body), 2000);
  const over = await http(url, 'GET', '/api/v1/namespaces/default/configmaps');
  assert.equal(over.status, 429);
  assert.equal(over.headers['retry-after'], '1');
  assert.match(String(over.headers['content-type']), /text\/plain/);
  assert.equal(over.body, 'Too many requests, please try again later.\n');
  const w = await openWatch(url, '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1');
  await waitFor('watch served while saturated', () => w.events.length > 0);
  w.close();
  for (const r of await Promise.all(held)) assert.equal(r.status, 200);
  assert.equal((await http(url, 'GET', '/api/v1/namespaces/default/configmaps')).status, 200, 'capacity is back');
  await setFaults({});
});

test('slow watch delivery delays every event by the configured time', async () => {
  await setFaults({ watchDelayMs: 250 });
  const w = await openWatch(url, '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=' + (await json(url, 'GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion);
  try {
    const t = performance.now();
    await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'slow-watch' } });
    await waitFor('delayed event', () => w.events.length > 0, 3000);
    const lag = performance.now() - t;
    assert.ok(lag >= 240, `event arrived after ${lag} ms`);
    assert.equal(w.events[0].object.metadata.name, 'slow-watch');
  } finally {
    w.close();
    await setFaults({});
  }
});

test('a watcher that opens while delayed events are in flight gets each object once (its initial state covers them)', async () => {
  const path = '/api/v1/namespaces/default/configmaps';
  const first = await openWatch(url, `${path}?watch=1&labelSelector=delayed%3Djoin`);
  await setFaults({ watchDelayMs: 150 });
  let second: Awaited<ReturnType<typeof openWatch>> | undefined;
  try {
    await json(url, 'POST', path, { metadata: { name: 'delayed-a', labels: { delayed: 'join' } } });
    // Opens while the ADDED of delayed-a waits out the delay for the first watcher.
    second = await openWatch(url, `${path}?watch=1&labelSelector=delayed%3Djoin`);
    await json(url, 'POST', path, { metadata: { name: 'delayed-b', labels: { delayed: 'join' } } });
    await waitFor('both watchers see delayed-b', () => [first, second!].every((w) => w.events.some((e) => e.object.metadata.name === 'delayed-b')), 3000);
    const names = (w: { events: Array<{ type: string; object: { metadata: { name: string } } }> }) => w.events.map((e) => `${e.type} ${e.object.metadata.name}`);
    assert.deepEqual(names(first), ['ADDED delayed-a', 'ADDED delayed-b']);
    assert.deepEqual(names(second), ['ADDED delayed-a', 'ADDED delayed-b']);
  } finally {
    first.close();
    second?.close();
    await setFaults({});
  }
});

test('invalid fault configurations are refused with every problem listed', async () => {
  const r = await json(url, 'PUT', '/racerig/faults', { errors: [{ code: 404, fraction: 2 }], resetFraction: -1 });
  assert.equal(r.status, 400);
  assert.match(r.body.message, /code must be 500, 503 or 429/);
  assert.match(r.body.message, /resetFraction/);
});

/** rng is a small seeded generator so the fuzz is repeatable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => sock.destroy(), 2000);
    sock.on('data', (d) => (out += d.toString()));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.on('error', () => undefined);
    sock.end(text);
  });
}

test('fuzz: malformed bodies, paths and raw requests never crash the server or produce a 500', async () => {
  const rand = rng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const paths = [
    '/api/v1/namespaces/default/configmaps',
    '/api/v1/namespaces/default/configmaps/target',
    '/api/v1/namespaces/default/pods/x/exec',
    '/api/v1/namespaces/default/pods/x/log',
    '/apis/apps/v1/namespaces/default/deployments',
    '/apis/argoproj.io/v1alpha1/namespaces/default/workflows',
    '/api/v1/namespaces',
    '/api/v1/nodes/racerig-node',
    '/apis/nope/v9/things',
    '/api/v1/namespaces/%ZZ/pods',
    '/api//v1///pods',
    '/api/v1/namespaces/default/pods/' + 'a'.repeat(300),
    '/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(',
    '/api/v1/namespaces/default/configmaps?limit=-3&continue=!!!',
    '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=abc',
  ];
  const bodies = ['', '{', 'null', '[]', '"s"', '{"metadata":[]}', '{"metadata":{"name":5}}', '{"kind":"Pod"}', '{"metadata":{"labels":{"a":1}}}', '\u0000\u0001\u0002', '{"metadata":{"name":"ok-name"},"data":{"k":7}}', '[{"op":"nope"}]', 'k8s\u0000garbage', '{"metadata":{"name":"o","ownerReferences":{"uid":1}}}', '{"metadata":{"name":"f","finalizers":"x"}}', '{"metadata":{"name":["a"]}}', '{"metadata":{"generateName":7}}', '{"metadata":null}'];
  const types = ['application/json', 'application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/vnd.kubernetes.protobuf', 'text/html'];
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const method = pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    const path = pick(paths);
    const body = method === 'GET' ? undefined : pick(bodies);
    let status = 0;
    try {
      const r = await http(url, method, path, body, { 'Content-Type': pick(types) });
      status = r.status;
      if (r.headers['content-type']?.toString().includes('json') && r.body && !path.includes('watch')) JSON.parse(r.body);
    } catch (e) {
      if (!path.includes('watch')) throw e;
    }
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  assert.equal(statuses.get(500) ?? 0, 0, `statuses: ${JSON.stringify([...statuses])}`);
  const port = Number(new URL(url).port);
  const upgrade = (path: string, extra = '') =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
  for (const raw of [
    upgrade('/api/v1/namespaces/default/pods/%ZZ/exec?command=echo', 'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n'),
    upgrade('/api/v1/namespaces/default/pods/x/exec?command=echo', 'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n'),
    upgrade('/api/v1/namespaces/default/configmaps/target/exec'),
    upgrade('/not/an/api'),
    upgrade('/apis/%%/v1/x'),
    'GET /api/v1/namespaces/default/pods/p/exec HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  ]) {
    await rawRequest(port, raw);
  }
  for (const raw of ['GARBAGE\r\n\r\n', 'GET /api/v1/pods HTTP/1.1\r\nContent-Length: nope\r\n\r\n', 'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{', '\u0016\u0003\u0001\u0000']) {
    await rawRequest(port, raw);
  }
  assert.equal((await http(url, 'GET', '/healthz')).body, 'ok');
  assert.equal((await json(url, 'GET', '/api/v1/namespaces/default')).status, 200);
  const created = await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after-fuzz' } });
  assert.equal(created.status, 201);
});

test('watchers whose connections reset mid-stream do not hurt the server', async () => {
  const port = Number(new URL(url).port);
  const sockets = Array.from({ length: 40 }, () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.write('GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n');
    return s;
  });
  await waitFor('40 watchers connected', async () => Number(/apiserver_longrunning_requests\{verb="WATCH"[^}]*\} (\d+)/.exec((await http(url, 'GET', '/metrics')).body)?.[1] ?? 0) >= 40);
  for (let i = 0; i < 120; i++) {
    if (i % 3 === 0 && sockets.length) sockets.pop()!.resetAndDestroy();
    await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'churn-' }, data: { blob: 'x'.repeat(2000) } });
  }
  for (const s of sockets) s.destroy();
  assert.equal((await http(url, 'GET', '/healthz')).body, 'ok');
  const list = await json(url, 'GET', '/api/v1/namespaces/default/configmaps?labelSelector=');
  assert.equal(list.status, 200);
});

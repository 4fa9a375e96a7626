import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadTarget } from '../../src/kube/target.js';
import { createTargetDispatcher, composeDispatch } from '../../src/kube/target-dispatcher.js';
import { composeWrappers } from '../../src/http/interceptors/compose.js';
import { send } from '../../src/kube/send.js';
import { retryAfterInterceptor, retryAfterMs, type RetryCounters } from '../../src/http/interceptors/retry-after.js';
import { metricsInterceptor } from '../../src/http/interceptors/metrics.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { allocateMetrics, createLayout } from '../../src/metrics/layout.js';
import { Snapshot } from '../../src/metrics/snapshot.js';
import { createRunClock, wallMs } from '../../src/engine/clock.js';
import { startKubeFixture } from './helpers.js';
import { mockRequestCount } from './mock-metrics.js';

test('429s from the mock are retried after Retry-After (cut to maxDelayMs); every attempt is recorded and matches the mock /metrics', async () => {
  const fx = await startKubeFixture({ faults: { errors: [{ verb: 'get', resource: 'configmaps', code: 429, fraction: 0.3, retryAfterSeconds: 1 }] } });
  const target = await loadTarget({ kubeconfig: fx.kubeconfig });
  const client = createTargetDispatcher(target, { connections: 4 });
  const layout = createLayout(['get configmaps']);
  const buffer = allocateMetrics(layout);
  const recorder = new MetricsRecorder(layout, buffer);
  const counters: RetryCounters = { retries: 0, exhausted: 0 };
  const delays: number[] = [];
  const d = composeWrappers(client, [
    metricsInterceptor({ recorder, clock: createRunClock(wallMs()) }),
    retryAfterInterceptor({ maxRetries: 12, maxDelayMs: 15, counters, onRetry: (ms) => delays.push(ms) }),
  ]);
  try {
    const created = await send(d, { method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"hot"}}' });
    assert.equal(created.status, 201);
    const n = 80;
    const statuses = await Promise.all(Array.from({ length: n }, () => send(d, { method: 'GET', path: '/api/v1/namespaces/default/configmaps/hot', operation: 0 }).then((r) => r.status)));
    assert.deepEqual(new Set(statuses), new Set([200]), 'the caller sees only the final answer');
    assert.ok(counters.retries > 5, `retries: ${counters.retries}`);
    assert.equal(counters.exhausted, 0);
    assert.ok(delays.every((ms) => ms === 15), 'Retry-After: 1 is cut to maxDelayMs');
    const c = Snapshot.take(layout, buffer, 0).counters(0);
    assert.equal(c.status['201'], 1);
    assert.equal(c.status['200'], n);
    assert.equal(c.status['429'], counters.retries);
    assert.equal(await mockRequestCount(d, { verb: 'GET', resource: 'configmaps', code: 429 }), counters.retries);
    assert.equal(await mockRequestCount(d, { verb: 'GET', resource: 'configmaps', code: 200 }), n);
  } finally {
    await client.close();
    await fx.close();
  }
});

test('retries are bounded: after maxRetries the 429 reaches the caller and is counted as exhausted; HTTP-date Retry-After', async () => {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(429, { 'retry-after': new Date(Date.now() - 1000).toUTCString(), 'content-type': 'application/json' });
    res.end('{"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createTargetDispatcher({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connect: { rejectUnauthorized: true } });
  const counters: RetryCounters = { retries: 0, exhausted: 0 };
  try {
    const d = composeDispatch(client, [retryAfterInterceptor({ maxRetries: 2, counters })]);
    const r = await send(d, { method: 'POST', path: '/x', body: 'payload', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 429);
    assert.match(r.body.toString(), /TooManyRequests/);
    assert.deepEqual(counters, { retries: 2, exhausted: 1 });
    assert.equal(hits, 3);
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(['0']), 0);
  assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT')), 2000);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(retryAfterMs(undefined), undefined);
});

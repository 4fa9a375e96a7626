import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { allocateMetrics, createLayout } from '../../src/metrics/layout.js';
import { Snapshot } from '../../src/metrics/snapshot.js';
import { wallMs } from '../../src/engine/clock.js';
import { loadTarget } from '../../src/kube/target.js';
import { createCredentials } from '../../src/kube/credentials.js';
import { composeDispatch, createTargetDispatcher } from '../../src/kube/target-dispatcher.js';
import { authInterceptor } from '../../src/http/interceptors/auth.js';
import { send } from '../../src/kube/send.js';
import { RATELIMIT_OPERATION_PREFIX } from '../../src/http/interceptors/rate-limit.js';
import { mockRequestCount } from './mock-metrics.js';
import { podManifest, startKubeFixture, waitFor } from './helpers.js';

test('execs and ordinary requests at once from 4 workers through auth ▸ rate-limit ▸ metrics ▸ logging on the TLS mock: counts per operation equal the mock /metrics', async () => {
  const fx = await startKubeFixture({ tls: true, token: 'mixed-token' });
  // A token-only user: without the auth wrapper every request would be 401.
  const kubeconfig = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'mock', cluster: { server: fx.server.url, 'certificate-authority-data': Buffer.from(fx.server.auth!.caPem).toString('base64') } }],
    users: [{ name: 'token-user', user: { token: 'mixed-token' } }],
    contexts: [{ name: 'mock', context: { cluster: 'mock', user: 'token-user' } }],
    'current-context': 'mock',
  });
  const target = await loadTarget({ kubeconfigYaml: kubeconfig });
  const setup = createTargetDispatcher(target);
  const d = composeDispatch(setup, [authInterceptor({ credentials: createCredentials(target) })]);
  const logPath = join(fx.dir, 'requests.ndjson');
  writeFileSync(logPath, '');
  try {
    assert.equal((await send(d, { method: 'POST', path: '/api/v1/namespaces', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"mixed"}}' })).status, 201);
    assert.equal((await send(d, { method: 'POST', path: '/api/v1/namespaces/mixed/pods', headers: { 'content-type': 'application/json' }, body: JSON.stringify(podManifest('target', 'mixed')) })).status, 201);
    await waitFor('pod Running', async () => JSON.parse((await send(d, { method: 'GET', path: '/api/v1/namespaces/mixed/pods/target' })).body.toString()).status?.phase === 'Running');
    const labels = {
      get: { verb: 'GET', resource: 'pods', subresource: '', scope: 'resource', code: 200 },
      list: { verb: 'LIST', resource: 'configmaps', scope: 'namespace', code: 200 },
      create: { verb: 'POST', resource: 'configmaps', scope: 'namespace', code: 201 },
      exec: { verb: 'CONNECT', resource: 'pods', subresource: 'exec', code: 101 },
    };
    const before = Object.fromEntries(await Promise.all(Object.entries(labels).map(async ([k, l]) => [k, await mockRequestCount(d, l)] as const)));

    const layout = createLayout(['get pods', 'list configmaps', 'create configmaps', 'exec pods', `${RATELIMIT_OPERATION_PREFIX}mixed`]);
    const buffer = allocateMetrics(layout);
    const bucket = { qps: 4000, burst: 50, slot: layout.extraBase, epochWallMs: wallMs() };
    const workers = 4;
    const perKind = 15; // every exec is a new TLS connection, handshaken by the mock's single thread
    const threads = Array.from(
      { length: workers },
      (_, index) => new Worker(new URL('../fixtures/kube-mixed-worker.js', import.meta.url), { workerData: { target, layout, buffer, logPath, index, perKind, bucket } }),
    );
    const reports = await Promise.all(threads.map(async (w) => (await once(w, 'message'))[0] as { execOk: number; failures: string[]; frozen: boolean }));
    assert.deepEqual(reports.flatMap((r) => r.failures), []);
    assert.equal(reports.reduce((a, r) => a + r.execOk, 0), workers * perKind);
    assert.ok(reports.every((r) => r.frozen));

    const n = workers * perKind;
    const snap = Snapshot.take(layout, buffer, 0);
    assert.deepEqual(snap.counters(0).status, { '200': n });
    assert.deepEqual(snap.counters(1).status, { '200': n });
    assert.deepEqual(snap.counters(2).status, { '201': n });
    assert.deepEqual(snap.counters(3).status, { '101': n });
    for (const op of [0, 1, 2, 3]) assert.deepEqual(snap.counters(op).errorKinds, {});
    assert.equal(snap.counters(4).requests, 4 * n, 'one limiter wait recorded per request');
    // The mock counts an exec when its session ends, which may be just after the client saw the close.
    for (const [k, l] of Object.entries(labels)) {
      await waitFor(`mock count of ${k} to reach ${n}`, async () => (await mockRequestCount(d, l)) - before[k]! === n, 3000);
    }
    const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { operation: string; status: number });
    const byOp = new Map<string, number>();
    for (const l of lines) byOp.set(`${l.operation} ${l.status}`, (byOp.get(`${l.operation} ${l.status}`) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(byOp), { 'get pods 200': n, 'list configmaps 200': n, 'create configmaps 201': n, 'exec pods 101': n });
    await Promise.all(threads.map((t) => t.terminate()));
  } finally {
    await setup.close();
    await fx.close();
  }
});

/**
 * The metrics observer's pod form: a fake Prometheus server on 127.0.0.1:0 stands in for a controller pod's
 * port, read through the embedded mock's pods/proxy with the run's credentials; the pod is replaced between
 * phases and the observer follows it, counting the new pod's counters from zero.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createObservers } from '../../src/observe/create-observers.js';
import type { MetricsScrapeObserver } from '../../src/observe/metrics-scrape.js';
import { pickRunningPod } from '../../src/observe/pod-metrics-source.js';
import { parseTemplate } from '../../src/profile/template.js';

const tpl = (text: string) => parseTemplate(text, new Set()).template;
import { json, podManifest, waitFor, startFixture } from '../mock/helpers.js';
import { testContext } from './helpers.js';

const counter = (n: number) => `# TYPE argo_workflows_k8s_request_total counter\nargo_workflows_k8s_request_total{verb="Get"} ${n}\n`;

test('pickRunningPod: Running and not being deleted, oldest first, then by name', () => {
  const pod = (name: string, phase: string, created: string, deleting = false) => ({ metadata: { name, creationTimestamp: created, ...(deleting ? { deletionTimestamp: created } : {}) }, status: { phase } });
  assert.equal(pickRunningPod([pod('c', 'Running', '2024-01-02T00:00:00Z'), pod('b', 'Running', '2024-01-01T00:00:00Z'), pod('a', 'Pending', '2023-01-01T00:00:00Z')])?.metadata.name, 'b');
  assert.equal(pickRunningPod([pod('old', 'Running', '2023-01-01T00:00:00Z', true), pod('y', 'Running', '2024-01-01T00:00:00Z'), pod('x', 'Running', '2024-01-01T00:00:00Z')])?.metadata.name, 'x');
  assert.equal(pickRunningPod([pod('p', 'Succeeded', '2024-01-01T00:00:00Z')]), undefined);
});

test("metrics observer with pod: scrapes the pod's port through the API server's proxy with the run's credentials and follows a replacement", async () => {
  let value = 10;
  const hits: Array<{ url: string; auth: string | undefined }> = [];
  const prom = createServer((req, res) => {
    hits.push({ url: req.url ?? '', auth: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(counter(value));
  });
  await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
  const port = (prom.address() as AddressInfo).port;
  const fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 600_000, jitter: 0 } });
  const ctx = testContext();
  try {
    const createPod = async (name: string) => {
      const pod = podManifest(name, 'argo', { app: 'workflow-controller' }) as { metadata: Record<string, unknown> };
      pod.metadata.annotations = { 'racerig.dev/proxy-to-loopback': 'true' };
      assert.equal((await json(fx.url, 'POST', '/api/v1/namespaces/argo/pods', pod)).status, 201);
      await waitFor(`${name} Running`, async () => (await json(fx.url, 'GET', `/api/v1/namespaces/argo/pods/${name}`)).body.status?.phase === 'Running' || undefined);
    };
    assert.equal((await json(fx.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argo' } })).status, 201);
    await createPod('controller-a');
    const created = createObservers(
      [{ kind: 'metrics', pod: { namespace: tpl('{{namespace}}'), selector: 'app=workflow-controller', port, path: '/metrics' }, metrics: ['argo_workflows_k8s_request_total'] }],
      { ctx, target: { origin: fx.url, pathPrefix: '', headers: { authorization: 'Bearer run-token' } }, namespace: 'argo' },
    );
    const o = created.observers[0] as MetricsScrapeObserver;
    assert.equal(o.name, `metrics pod argo/app=workflow-controller:${port}/metrics`);
    await o.start();
    value = 25;
    await o.onPhase({ phase: 'drive', at: 'end' });

    // The controller's pod is replaced (a new pod, its counters from zero): the next scrape reads the new one.
    assert.equal((await json(fx.url, 'DELETE', '/api/v1/namespaces/argo/pods/controller-a?gracePeriodSeconds=0')).status, 200);
    await createPod('controller-b');
    value = 4;
    await o.onPhase({ phase: 'drain', at: 'end' });
    value = 9;
    await o.stop();
    await created.close();

    assert.deepEqual(
      o.windows.map((w) => [w.phase, w.deltas.argo_workflows_k8s_request_total!.total, w.instance?.split(' ')[1], w.replaced ?? false]),
      [
        ['drive', 15, 'controller-a', false],
        ['drain', 4, 'controller-b', true],
        ['stop', 5, 'controller-b', false],
      ],
    );
    assert.equal(o.failures, 0);
    assert.ok(hits.length >= 4 && hits.every((h) => h.url === '/metrics' && h.auth === undefined), JSON.stringify(hits));
    const data = o.resultData()[o.name] as { pod: unknown; url?: string };
    assert.deepEqual(data.pod, { namespace: 'argo', selector: 'app=workflow-controller', port, path: '/metrics' });
    assert.equal(data.url, undefined);
  } finally {
    await fx.close();
    await new Promise<void>((r) => prom.close(() => r()));
  }
});

test('metrics observer with pod: no Running pod is a clear start error', async () => {
  const fx = await startFixture({ lifecycle: { podStartDelayMs: 0, jitter: 0 } });
  try {
    const created = createObservers([{ kind: 'metrics', pod: { namespace: tpl('default'), selector: 'app=none', port: 9090, path: '/metrics' }, metrics: [] }], {
      ctx: testContext(),
      target: { origin: fx.url, pathPrefix: '', headers: {} },
      namespace: 'default',
    });
    await assert.rejects(created.observers[0]!.start(), (e: Error & { code?: string }) => e.code === 'RACERIG_OBSERVE_METRICS' && /no Running pod matches app=none in default/.test(e.message));
    await created.close();
  } finally {
    await fx.close();
  }
});

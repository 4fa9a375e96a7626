/**
 * The metrics observer against small fake Prometheus servers on 127.0.0.1:0: the SUT's endpoint and an API
 * server's /metrics with racerig_mock_client_requests_total{user_agent,verb,code}, changed between phases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetricsScrapeObserver, fetchTextUndici } from '../../src/observe/metrics-scrape.js';
import { testContext } from './helpers.js';

interface Fake {
  url: string;
  server: Server;
  /** The body of each path, changed by the test between scrapes. */
  bodies: Record<string, string>;
  hits: Record<string, number>;
  close(): Promise<void>;
}

async function fakePrometheus(): Promise<Fake> {
  const bodies: Record<string, string> = {};
  const hits: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits[path] = (hits[path] ?? 0) + 1;
    const body = bodies[path];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, bodies, hits, close: () => new Promise((r) => server.close(() => r())) };
}

const sut = (get: number, list: number, queue: number) =>
  [
    '# HELP argo_workflows_k8s_request_total Number of kubernetes requests executed.',
    '# TYPE argo_workflows_k8s_request_total counter',
    `argo_workflows_k8s_request_total{kind="pods",verb="Get",status_code="200"} ${get}`,
    `argo_workflows_k8s_request_total{kind="pods",verb="List",status_code="200"} ${list}`,
    '# TYPE argo_workflows_queue_adds_count counter',
    `argo_workflows_queue_adds_count{queue_name="workflow_queue"} ${queue}`,
    'go_goroutines 42',
  ].join('\n') + '\n';

const UA = 'workflow-controller/v3.6.0-rc1 (linux/amd64) argo-workflows/';
const apiServer = (get: number, list: number, kubectl: number) =>
  [
    '# TYPE racerig_mock_client_requests_total counter',
    `racerig_mock_client_requests_total{user_agent="${UA}abc",verb="GET",code="200"} ${get}`,
    `racerig_mock_client_requests_total{user_agent="${UA}abc",verb="LIST",code="200"} ${list}`,
    `racerig_mock_client_requests_total{user_agent="kubectl/v1.31.0 (linux/amd64) kubernetes/\\"x\\"",verb="GET",code="200"} ${kubectl}`,
  ].join('\n') + '\n';

test('per-phase deltas of the named metrics, and the SUT/API server cross-check: a disagreement beyond the tolerance is a finding with both numbers', async () => {
  const fake = await fakePrometheus();
  try {
    const ctx = testContext();
    const o = createMetricsScrapeObserver(ctx, {
      url: `${fake.url}/metrics`,
      metrics: ['argo_workflows_queue_adds_count', 'argo_workflows_k8s_request_total'],
      crossCheck: { sutMetric: 'argo_workflows_k8s_request_total', userAgent: 'workflow-controller/', tolerance: 0.02 },
      readServerMetrics: (signal) => fetchTextUndici(`${fake.url}/server-metrics`, 2000, signal),
    });
    fake.bodies['/metrics'] = sut(10, 5, 100);
    fake.bodies['/server-metrics'] = apiServer(10, 5, 7);
    await o.start();
    ctx.findings.setPhase('steady');
    // steady: SUT +100, server +100 from the controller (kubectl's +50 is not the controller's).
    fake.bodies['/metrics'] = sut(90, 25, 130);
    fake.bodies['/server-metrics'] = apiServer(90, 25, 57);
    await o.onPhase({ phase: 'steady', at: 'end' });
    ctx.findings.setPhase('burst');
    // burst: SUT +200 but the server saw +260 (a client outside the counting wrapper).
    fake.bodies['/metrics'] = sut(240, 75, 180);
    fake.bodies['/server-metrics'] = apiServer(280, 95, 57);
    await o.onPhase({ phase: 'burst', at: 'end' });
    ctx.findings.setPhase('cleanup');
    // The SUT restarted: its counters start again from 0 (+3 +1), the server's go on (+4).
    fake.bodies['/metrics'] = sut(3, 1, 2);
    fake.bodies['/server-metrics'] = apiServer(284, 95, 57);
    await o.stop();

    const w = o.windows;
    assert.deepEqual(
      w.map((x) => [x.phase, x.deltas.argo_workflows_queue_adds_count!.total, x.deltas.argo_workflows_k8s_request_total!.total, x.crossCheck]),
      [
        ['steady', 30, 100, { sut: 100, server: 100, relative: 0, ok: true }],
        ['burst', 50, 200, { sut: 200, server: 260, relative: 60 / 260, ok: false }],
        ['cleanup', 2, 4, { sut: 4, server: 4, relative: 0, ok: true }],
      ],
    );
    assert.deepEqual(w[0]!.deltas.argo_workflows_k8s_request_total!.series, {
      '{kind="pods",status_code="200",verb="Get"}': 80,
      '{kind="pods",status_code="200",verb="List"}': 20,
    });
    const fs = ctx.findings.list();
    assert.equal(fs.length, 1);
    const f = fs[0]!;
    assert.equal(f.kind, 'metrics-mismatch');
    assert.equal(f.signature, 'metrics-mismatch: argo_workflows_k8s_request_total vs workflow-controller/');
    assert.equal(f.phase, 'burst');
    assert.equal(f.source, 'metrics');
    assert.match(f.message, /counted 200 requests, the API server 260 from workflow-controller\/\* \(60 or 23\.1% apart; tolerance 2\.0% or 5 requests\)/);
    assert.match(f.report!, /verb="LIST"\} \+70/);
    const data = o.resultData()[o.name] as { windows: unknown[]; crossCheck: { tolerance: number } };
    assert.equal(data.windows.length, 3);
    assert.equal(data.crossCheck.tolerance, 0.02);
    assert.equal(fake.hits['/metrics'], 4);
    assert.equal(fake.hits['/server-metrics'], 4);
  } finally {
    await fake.close();
  }
});

test('an endpoint that cannot be read at start is an ObserveError; a 404 later is said and skipped', async () => {
  const fake = await fakePrometheus();
  try {
    const ctx = testContext();
    const missing = createMetricsScrapeObserver(ctx, { url: `${fake.url}/nothing`, metrics: ['x'] });
    await assert.rejects(missing.start(), (e: Error & { code?: string }) => e.code === 'RACERIG_OBSERVE_METRICS' && /HTTP 404/.test(e.message));
    fake.bodies['/m'] = 'x 1\n';
    const o = createMetricsScrapeObserver(ctx, { url: `${fake.url}/m`, metrics: ['x'] });
    await o.start();
    delete fake.bodies['/m'];
    await o.onPhase({ phase: 'p', at: 'end' });
    fake.bodies['/m'] = 'x 4\n';
    await o.stop();
    assert.deepEqual(
      o.windows.map((w) => [w.phase, w.deltas.x!.total]),
      [['stop', 3]],
    );
    assert.match(ctx.said.join(''), /end of p failed: HTTP 404/);
  } finally {
    await fake.close();
  }
});

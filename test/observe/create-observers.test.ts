/**
 * From a profile's `observe:` entries to running observers: the registry builds each kind against the
 * embedded mock (namespace templates rendered, URL placeholders resolved), and the observers report into
 * one collector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadProfile } from '../../src/profile/loader.js';
import { createObservers, OBSERVER_FACTORIES } from '../../src/observe/create-observers.js';
import { PodLogsObserver } from '../../src/observe/pod-logs.js';
import { PodRestartsObserver } from '../../src/observe/pod-restarts.js';
import { MetricsScrapeObserver } from '../../src/observe/metrics-scrape.js';
import { ANNOTATIONS } from '../../src/mock/lifecycle.js';
import { startFixture, json, writeTemp, podManifest } from '../mock/helpers.js';
import { goLog, testContext, waitForFindings } from './helpers.js';

const PROFILE = `name: observed
description: drives nothing; only observes
target: {namespace: ctl-ns}
phases:
  - name: only
    duration: 1s
    components:
      - name: c
        rate: 1
        scenario:
          - sleep: 10ms
observe:
  - {kind: podLogs, selector: app=ctl, patterns: ["/lease lost \\\\d+/"]}
  - {kind: restarts, namespace: "{{namespace}}", selector: app=ctl}
  - kind: metrics
    url: "http://{{sut.metrics}}/metrics"
    metrics: [workqueue_adds_total]
    crossCheck: {sutMetric: k8s_requests_total, userAgent: "ctl/", tolerance: 0.05}
`;

test('createObservers builds every observe entry of a loaded profile and they report into one collector', async () => {
  assert.deepEqual(Object.keys(OBSERVER_FACTORIES).sort(), ['metrics', 'podLogs', 'restarts']);
  const fx = await startFixture({ lifecycle: { podStartDelayMs: 10, jitter: 0 } });
  let adds = 0;
  const sut = createServer((_req, res) => res.end(`workqueue_adds_total{name="wf"} ${adds}\nk8s_requests_total{verb="GET"} ${adds * 2}\n`));
  await new Promise<void>((r) => sut.listen(0, '127.0.0.1', r));
  try {
    const profile = await loadProfile(writeTemp(fx.dir, 'observed.yaml', PROFILE));
    assert.deepEqual(
      profile.observe.map((o) => o.kind),
      ['podLogs', 'restarts', 'metrics'],
    );
    const ctx = testContext();
    const { port } = sut.address() as AddressInfo;
    const built = createObservers(profile.observe, {
      ctx,
      target: { origin: fx.url, pathPrefix: '', headers: {} },
      namespace: profile.target.namespace,
      resolveUrl: (s) => s.replace('{{sut.metrics}}', `127.0.0.1:${port}`),
    });
    const [logs, restarts, metrics] = built.observers;
    assert.ok(logs instanceof PodLogsObserver);
    assert.ok(restarts instanceof PodRestartsObserver);
    assert.ok(metrics instanceof MetricsScrapeObserver);
    assert.equal(logs.name, 'pod logs ctl-ns app=ctl');
    assert.equal(restarts.name, 'restarts ctl-ns app=ctl');
    assert.equal(metrics.name, `metrics http://127.0.0.1:${port}/metrics`);

    await json(fx.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ctl-ns' } });
    for (const o of built.observers) await o.start();
    const pod = podManifest('ctl-0', 'ctl-ns', { app: 'ctl' });
    (pod.metadata as Record<string, unknown>).annotations = { [ANNOTATIONS.logLines]: `${goLog('race-1.log')}E1206 lease lost 3 times\n` };
    await json(fx.url, 'POST', '/api/v1/namespaces/ctl-ns/pods', pod);
    ctx.findings.setPhase('only');
    await waitForFindings(ctx.findings, 'the races and the pattern', (fs) => fs.filter((f) => f.kind === 'race').length === 3 && fs.some((f) => f.kind === 'pattern'));
    // The SUT counts 10 requests the API server (the mock's /metrics has no per-client counter yet) never saw.
    adds = 5;
    for (const o of built.observers) await o.onPhase?.({ phase: 'only', at: 'end' });
    for (const o of built.observers) await o.stop();
    await built.close();

    const kinds = ctx.findings.list().map((f) => `${f.kind} ${f.source}`);
    assert.ok(kinds.includes('race pod ctl-ns/ctl-0/main'));
    assert.ok(kinds.includes('pattern pod ctl-ns/ctl-0/main'));
    const mismatch = ctx.findings.list().find((f) => f.kind === 'metrics-mismatch');
    assert.equal(mismatch?.signature, 'metrics-mismatch: k8s_requests_total vs ctl/');
    assert.match(mismatch!.message, /counted 10 requests, the API server 0/);
    const data = metrics.resultData!()![metrics.name] as { windows: { phase: string; deltas: Record<string, { total: number }> }[] };
    assert.deepEqual(
      data.windows.map((w) => [w.phase, w.deltas.workqueue_adds_total!.total]),
      [['only', 5], ['only', 0]],
    );
    assert.deepEqual(ctx.said, []);
  } finally {
    await new Promise((r) => sut.close(r));
    await fx.close();
  }
});

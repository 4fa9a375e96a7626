import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { loadTarget } from '../../src/kube/target.js';
import { createTargetDispatcher, composeDispatch } from '../../src/kube/target-dispatcher.js';
import { Discovery } from '../../src/kube/discovery.js';
import { ResourcePaths } from '../../src/kube/resource.js';
import { send, type DispatchFn } from '../../src/kube/send.js';
import { parseStatus, statusKey } from '../../src/kube/status.js';
import * as rq from '../../src/kube/requests.js';
import { startKubeFixture, waitFor } from './helpers.js';

async function call(dispatch: DispatchFn, r: rq.KubeRequest): Promise<{ status: number; body: any; text: string }> {
  const res = await send(dispatch, r);
  const text = res.body.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

test('discovery resolves names, short names, kinds, group-qualified and versioned names and CRDs, fetching each document once', async () => {
  const fx = await startKubeFixture();
  try {
    const target = await loadTarget({ kubeconfig: fx.kubeconfig });
    const client = createTargetDispatcher(target);
    const paths: string[] = [];
    const counting: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      paths.push(opts.path);
      return dispatch(opts, handler);
    };
    const discovery = new Discovery({ dispatch: composeDispatch(client, [counting]) });
    const pods = await discovery.resolve('pods');
    assert.deepEqual({ group: pods.group, version: pods.version, resource: pods.resource, kind: pods.kind, namespaced: pods.namespaced }, { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true });
    assert.ok(pods.subresources?.includes('exec') && pods.subresources.includes('log') && pods.subresources.includes('status'));
    assert.deepEqual(Object.keys(pods).sort(), ['group', 'kind', 'namespaced', 'resource', 'subresources', 'verbs', 'version'], 'plain ResourceInfo, nothing else for workers to clone');
    for (const alias of ['po', 'pod', 'Pod']) assert.equal((await discovery.resolve(alias)).resource, 'pods');
    const deploy = await discovery.resolve('deployments.apps');
    assert.deepEqual([deploy.group, deploy.version, deploy.kind], ['apps', 'v1', 'Deployment']);
    assert.equal((await discovery.resolve('deployments.v1.apps')).resource, 'deployments');
    assert.equal((await discovery.resolve('deployments')).group, 'apps');
    const wf = await discovery.resolve('workflows.argoproj.io');
    assert.deepEqual([wf.group, wf.version, wf.kind, wf.namespaced], ['argoproj.io', 'v1alpha1', 'Workflow', true]);
    assert.equal((await discovery.resolve('wf')).resource, 'workflows');
    assert.equal((await discovery.resolveKind('argoproj.io/v1alpha1', 'Workflow')).resource, 'workflows');
    assert.equal((await discovery.resolveKind('v1', 'Namespace')).namespaced, false);
    await assert.rejects(discovery.resolve('nosuchthings'), (e: Error & { code?: string }) => e.code === 'RACERIG_TARGET' && /nosuchthings/.test(e.message));
    await assert.rejects(discovery.resolveKind('example.com/v1', 'Thing'), /does not serve example\.com\/v1/);
    const again = paths.length;
    await discovery.resolve('pods');
    await discovery.resolve('wf');
    assert.equal(paths.length, again, 'cached: no new discovery requests');
    assert.equal(new Set(paths).size, paths.length, `each document fetched once: ${paths.join(' ')}`);
    await client.close();
  } finally {
    await fx.close();
  }
});

test('every operation maps to the real API path, query and content type, and failures parse into the Status taxonomy', async () => {
  const fx = await startKubeFixture();
  try {
    const target = await loadTarget({ kubeconfig: fx.kubeconfig });
    const client = createTargetDispatcher(target);
    const d = composeDispatch(client, []);
    const discovery = new Discovery({ dispatch: d });
    const cm = new ResourcePaths(await discovery.resolve('configmaps'));
    const ns = new ResourcePaths(await discovery.resolve('namespaces'));
    assert.equal(cm.collection('a b'), '/api/v1/namespaces/a%20b/configmaps');
    assert.equal(ns.collection('ignored'), '/api/v1/namespaces');
    assert.equal(rq.listRequest(cm, 'default', { labelSelector: 'app=x,tier in (a,b)', limit: 2 }).path, '/api/v1/namespaces/default/configmaps?labelSelector=app%3Dx%2Ctier%20in%20(a%2Cb)&limit=2');
    assert.equal(
      rq.watchRequest(cm, '', { resourceVersion: '5', allowWatchBookmarks: true, timeoutSeconds: 30 }).path,
      '/api/v1/configmaps?resourceVersion=5&watch=true&allowWatchBookmarks=true&timeoutSeconds=30',
    );
    assert.equal(rq.deleteCollectionRequest(cm, 'default', { labelSelector: 'a=b', gracePeriodSeconds: 0 }).path, '/api/v1/namespaces/default/configmaps?gracePeriodSeconds=0&labelSelector=a%3Db');

    assert.equal((await call(d, rq.createRequest(ns, '', { metadata: { name: 'ops' } }))).status, 201);
    for (let i = 0; i < 3; i++) {
      const r = await call(d, rq.createRequest(cm, 'ops', { metadata: { name: `cm-${i}`, labels: { app: 'x' } }, data: { n: String(i) } }, { fieldManager: 'racerig' }));
      assert.equal(r.status, 201, r.text);
    }
    const dup = await call(d, rq.createRequest(cm, 'ops', { metadata: { name: 'cm-0' } }));
    assert.equal(statusKey(parseStatus(dup.status, dup.text)), '409 AlreadyExists');
    const dry = await call(d, rq.createRequest(cm, 'ops', { metadata: { name: 'dry' } }, { dryRun: true }));
    assert.equal(dry.status, 201);
    assert.equal((await call(d, rq.getRequest(cm, 'ops', 'dry'))).status, 404, 'dry run stored nothing');

    const page1 = await call(d, rq.listRequest(cm, 'ops', { labelSelector: 'app=x', limit: 2 }));
    assert.equal(page1.body.items.length, 2);
    const page2 = await call(d, rq.listRequest(cm, 'ops', { labelSelector: 'app=x', limit: 2, continue: page1.body.metadata.continue }));
    assert.deepEqual(page2.body.items.map((o: any) => o.metadata.name), ['cm-2']);
    assert.equal((await call(d, rq.listRequest(cm, 'ops', { fieldSelector: 'metadata.name=cm-1' }))).body.items.length, 1);

    const got = await call(d, rq.getRequest(cm, 'ops', 'cm-0'));
    const stale = { ...got.body, data: { n: 'stale' }, metadata: { ...got.body.metadata, resourceVersion: '1' } };
    const conflict = await call(d, rq.updateRequest(cm, 'ops', 'cm-0', stale));
    assert.deepEqual({ code: parseStatus(conflict.status, conflict.text).code, reason: parseStatus(conflict.status, conflict.text).reason }, { code: 409, reason: 'Conflict' });
    assert.equal((await call(d, rq.updateRequest(cm, 'ops', 'cm-0', { ...got.body, data: { n: 'updated' } }))).status, 200);

    assert.equal((await call(d, rq.patchRequest(cm, 'ops', 'cm-0', 'merge', { data: { m: 'merge' } }))).body.data.m, 'merge');
    assert.equal((await call(d, rq.patchRequest(cm, 'ops', 'cm-0', 'strategic', { data: { s: 'strategic' } }))).body.data.s, 'strategic');
    assert.equal((await call(d, rq.patchRequest(cm, 'ops', 'cm-0', 'json', [{ op: 'add', path: '/data/j', value: 'json' }]))).body.data.j, 'json');
    const applied = await call(d, rq.patchRequest(cm, 'ops', 'cm-0', 'apply', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-0\ndata:\n  y: applied\n', { fieldManager: 'racerig', force: true }));
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.body.data.y, 'applied');
    const invalid = await call(d, rq.patchRequest(cm, 'ops', 'cm-0', 'json', [{ op: 'nope', path: '/x' }]));
    assert.ok(invalid.status >= 400 && invalid.status < 500, invalid.text);
    assert.notEqual(parseStatus(invalid.status, invalid.text).reason, 'Unknown');

    const pods = new ResourcePaths(await discovery.resolve('pods'));
    const pod = { metadata: { name: 'p', annotations: { 'racerig.dev/log': 'line one\nline two' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
    assert.equal((await call(d, rq.createRequest(pods, 'ops', pod))).status, 201);
    const status = await call(d, rq.getStatusRequest(pods, 'ops', 'p'));
    assert.equal(status.status, 200);
    const withStatus = { ...status.body, status: { ...status.body.status, message: 'patched-status' } };
    assert.equal((await call(d, rq.updateRequest(pods, 'ops', 'p', withStatus, undefined, 'status'))).body.status.message, 'patched-status');
    assert.equal((await call(d, rq.patchRequest(pods, 'ops', 'p', 'merge', { status: { reason: 'viaPatch' } }, undefined, 'status'))).body.status.reason, 'viaPatch');
    await waitFor('pod p Running', async () => (await call(d, rq.getRequest(pods, 'ops', 'p'))).body.status.phase === 'Running');
    const log = await call(d, rq.logRequest(pods, 'ops', 'p', { container: 'main', tailLines: 1 }));
    assert.equal(log.status, 200, log.text);
    assert.match(log.text, /line two/);
    assert.equal(rq.execPath(pods, 'ops', 'p', { command: ['sh', '-c', 'echo hi'], container: 'main' }), '/api/v1/namespaces/ops/pods/p/exec?command=sh&command=-c&command=echo%20hi&container=main&stdout=true&stderr=true');

    assert.equal((await call(d, rq.deleteRequest(cm, 'ops', 'cm-1', { gracePeriodSeconds: 0, propagationPolicy: 'Background' }))).status, 200);
    const gone = await call(d, rq.getRequest(cm, 'ops', 'cm-1'));
    assert.deepEqual(parseStatus(gone.status, gone.text), { code: 404, reason: 'NotFound', message: 'configmaps "cm-1" not found' });
    const badPolicy = await call(d, rq.deleteRequest(cm, 'ops', 'cm-2', { propagationPolicy: 'Sideways' as 'Orphan' }));
    assert.equal(statusKey(parseStatus(badPolicy.status, badPolicy.text)), '422 Invalid');
    assert.equal((await call(d, rq.deleteCollectionRequest(cm, 'ops', { labelSelector: 'app=x' }))).status, 200);
    assert.equal((await call(d, rq.listRequest(cm, 'ops', { labelSelector: 'app=x' }))).body.items.length, 0);
    await client.close();
  } finally {
    await fx.close();
  }
});

test('parseStatus falls back to the reason of the code for bodies that are not a Status', () => {
  assert.deepEqual(parseStatus(503, 'upstream connect error'), { code: 503, reason: 'ServiceUnavailable', message: 'upstream connect error' });
  assert.deepEqual(parseStatus(504, ''), { code: 504, reason: 'Timeout', message: 'the server responded with HTTP 504' });
  assert.equal(parseStatus(418, '{}').reason, 'Unknown');
  assert.equal(parseStatus(502, undefined).reason, 'InternalError');
  const tooMany = parseStatus(429, JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'TooManyRequests', message: 'slow down', code: 429, details: { retryAfterSeconds: 2 } }));
  assert.deepEqual(tooMany, { code: 429, reason: 'TooManyRequests', message: 'slow down', retryAfterSeconds: 2 });
  assert.equal(parseStatus(410, { kind: 'Status', status: 'Failure', reason: 'Expired', message: 'too old resource version', code: 410 }).reason, 'Expired');
});

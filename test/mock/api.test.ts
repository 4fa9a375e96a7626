/**
 * The mock's HTTP API semantics: discovery, object metadata, Status errors, selectors, pagination and watch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, json, openWatch, podManifest, waitFor, useMock } from './helpers.js';

let url: string;

useMock({ watchHistory: 50, bookmarkIntervalMs: 100, lifecycle: { disabled: true } }, async (s) => {
  url = s.url;
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'api' } });
});

test('discovery documents and health endpoints answer', async () => {
  const version = await json(url, 'GET', '/version');
  assert.equal(version.body.major, '1');
  const core = await json(url, 'GET', '/api/v1');
  const pods = core.body.resources.find((r: { name: string }) => r.name === 'pods');
  assert.deepEqual({ kind: pods.kind, namespaced: pods.namespaced, shortNames: pods.shortNames }, { kind: 'Pod', namespaced: true, shortNames: ['po'] });
  assert.ok(core.body.resources.some((r: { name: string }) => r.name === 'pods/exec'));
  const groups = await json(url, 'GET', '/apis');
  const names = groups.body.groups.map((g: { name: string }) => g.name);
  for (const g of ['apps', 'batch', 'coordination.k8s.io', 'events.k8s.io', 'argoproj.io', 'apiextensions.k8s.io']) assert.ok(names.includes(g), g);
  const argo = await json(url, 'GET', '/apis/argoproj.io/v1alpha1');
  assert.deepEqual(argo.body.resources.filter((r: { name: string }) => !r.name.includes('/')).map((r: { name: string }) => r.name).sort(), ['clusterworkflowtemplates', 'cronworkflows', 'workflowartifactgctasks', 'workflows', 'workflowtaskresults', 'workflowtasksets', 'workflowtemplates']);
  for (const p of ['/healthz', '/readyz', '/livez']) {
    const r = await http(url, 'GET', p);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok');
  }
});

test('create sets uid, creationTimestamp, generation, generateName and a growing global resourceVersion', async () => {
  const a = await json(url, 'POST', '/api/v1/namespaces/api/pods', podManifest('meta-a', 'api'));
  assert.equal(a.status, 201);
  assert.match(a.body.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.match(a.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(a.body.metadata.generation, 1);
  const cm = await json(url, 'POST', '/api/v1/namespaces/api/configmaps', { metadata: { generateName: 'cfg-' }, data: { k: 'v' } });
  assert.equal(cm.status, 201);
  assert.match(cm.body.metadata.name, /^cfg-[a-z0-9]{5}$/);
  assert.ok(Number(cm.body.metadata.resourceVersion) > Number(a.body.metadata.resourceVersion));
  const upd = await json(url, 'PUT', '/api/v1/namespaces/api/pods/meta-a', { ...a.body, spec: { ...a.body.spec, activeDeadlineSeconds: 5 } });
  assert.equal(upd.status, 200);
  assert.equal(upd.body.metadata.generation, 2);
  assert.equal(upd.body.metadata.uid, a.body.metadata.uid);
  const lease = await json(url, 'POST', '/apis/coordination.k8s.io/v1/namespaces/api/leases', { metadata: { name: 'l1' }, spec: { holderIdentity: 'me' } });
  assert.equal(lease.status, 201);
  assert.equal(lease.body.apiVersion, 'coordination.k8s.io/v1');
});

test('errors are metav1.Status: 404, 409 AlreadyExists, 409 Conflict, 422 Invalid with causes, 400, 413', async () => {
  const missing = await json(url, 'GET', '/api/v1/namespaces/api/pods/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(
    { kind: missing.body.kind, status: missing.body.status, reason: missing.body.reason, code: missing.body.code, message: missing.body.message },
    { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "nope" not found' },
  );
  const noNs = await json(url, 'POST', '/api/v1/namespaces/ghost/pods', podManifest('x', 'ghost'));
  assert.equal(noNs.status, 404);
  assert.equal(noNs.body.message, 'namespaces "ghost" not found');
  await json(url, 'POST', '/api/v1/namespaces/api/pods', podManifest('dup', 'api'));
  const dup = await json(url, 'POST', '/api/v1/namespaces/api/pods', podManifest('dup', 'api'));
  assert.equal(dup.status, 409);
  assert.equal(dup.body.reason, 'AlreadyExists');
  const cur = await json(url, 'GET', '/api/v1/namespaces/api/pods/dup');
  await json(url, 'PUT', '/api/v1/namespaces/api/pods/dup', { ...cur.body, metadata: { ...cur.body.metadata, labels: { a: '1' } } });
  const stale = await json(url, 'PUT', '/api/v1/namespaces/api/pods/dup', { ...cur.body, metadata: { ...cur.body.metadata, labels: { a: '2' } } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, 'Conflict');
  const bad = await json(url, 'POST', '/api/v1/namespaces/api/pods', { metadata: { name: 'Bad_Name' }, spec: {} });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.reason, 'Invalid');
  const fields = bad.body.details.causes.map((c: { field: string }) => c.field).sort();
  assert.deepEqual(fields, ['metadata.name', 'spec.containers']);
  const notJson = await http(url, 'POST', '/api/v1/namespaces/api/configmaps', '{not json');
  assert.equal(notJson.status, 400);
  assert.equal(JSON.parse(notJson.body).reason, 'BadRequest');
  const wrongKind = await json(url, 'POST', '/api/v1/namespaces/api/configmaps', { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } });
  assert.equal(wrongKind.status, 400);
  const badMeta = await json(url, 'POST', '/api/v1/namespaces/api/configmaps', { metadata: { name: 'bm', ownerReferences: { uid: 1 }, finalizers: 'x' } });
  assert.equal(badMeta.status, 422);
  assert.deepEqual(badMeta.body.details.causes.map((c: { field: string }) => c.field).sort(), ['metadata.finalizers', 'metadata.ownerReferences']);
  const huge = await http(url, 'POST', '/api/v1/namespaces/api/configmaps', JSON.stringify({ metadata: { name: 'big' }, data: { x: 'a'.repeat(4 * 1024 * 1024) } }));
  assert.equal(huge.status, 413);
  assert.equal(JSON.parse(huge.body).reason, 'RequestEntityTooLarge');
  const ok = await http(url, 'GET', '/healthz');
  assert.equal(ok.status, 200, 'server still serves after bad requests');
});

test('label and field selectors filter lists', async () => {
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'sel' } });
  const specs: Array<[string, Record<string, string>, string?]> = [
    ['s1', { app: 'a', env: 'prod' }, 'node-1'],
    ['s2', { app: 'b', env: 'dev' }],
    ['s3', { app: 'a' }],
  ];
  for (const [n, labels, node] of specs) {
    const r = await json(url, 'POST', '/api/v1/namespaces/sel/pods', podManifest(n, 'sel', labels, node ? { nodeName: node } : {}));
    assert.equal(r.status, 201);
  }
  const names = async (q: string) => (await json(url, 'GET', `/api/v1/namespaces/sel/pods?${q}`)).body.items.map((p: { metadata: { name: string } }) => p.metadata.name);
  assert.deepEqual(await names('labelSelector=' + encodeURIComponent('app=a')), ['s1', 's3']);
  assert.deepEqual(await names('labelSelector=' + encodeURIComponent('app==a,env')), ['s1']);
  assert.deepEqual(await names('labelSelector=' + encodeURIComponent('app!=a')), ['s2']);
  assert.deepEqual(await names('labelSelector=' + encodeURIComponent('env in (dev,prod)')), ['s1', 's2']);
  assert.deepEqual(await names('labelSelector=' + encodeURIComponent('env notin (dev)')), ['s1', 's3']);
  assert.deepEqual(await names('labelSelector=' + encodeURIComponent('!env')), ['s3']);
  assert.deepEqual(await names('fieldSelector=' + encodeURIComponent('spec.nodeName=node-1')), ['s1']);
  assert.deepEqual(await names('fieldSelector=' + encodeURIComponent('metadata.name!=s1,status.phase=Pending')), ['s2', 's3']);
  const all = await json(url, 'GET', '/api/v1/pods?fieldSelector=metadata.namespace%3Dsel');
  assert.equal(all.body.items.length, 3);
  const bad = await json(url, 'GET', '/api/v1/pods?labelSelector=' + encodeURIComponent('a in b'));
  assert.equal(bad.status, 400);
});

test('limit/continue pages serve the snapshot of the first page, whatever changes between pages', async () => {
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'page' } });
  for (let i = 0; i < 25; i++) await json(url, 'POST', '/api/v1/namespaces/page/configmaps', { metadata: { name: `cm-${String(i).padStart(2, '0')}` }, data: { v: 'old' } });
  const seen: { name: string; v: string; rv: number }[] = [];
  let cont = '';
  let rv = '';
  for (let page = 0; page < 10; page++) {
    const r = await json(url, 'GET', `/api/v1/namespaces/page/configmaps?limit=10${cont ? '&continue=' + encodeURIComponent(cont) : ''}`);
    assert.equal(r.status, 200);
    if (page === 0) {
      rv = r.body.metadata.resourceVersion;
      assert.equal(r.body.metadata.remainingItemCount, 15);
      // Between pages: a create that sorts into a later page, a delete, an update, and a create in another namespace.
      await json(url, 'POST', '/api/v1/namespaces/page/configmaps', { metadata: { name: 'cm-12a' } });
      assert.equal((await json(url, 'DELETE', '/api/v1/namespaces/page/configmaps/cm-15')).status, 200);
      assert.equal((await json(url, 'PATCH', '/api/v1/namespaces/page/configmaps/cm-20', { data: { v: 'new' } }, { 'content-type': 'application/merge-patch+json' })).status, 200);
      await json(url, 'POST', '/api/v1/namespaces/api/configmaps', { metadata: { name: 'cm-elsewhere' } });
    } else {
      assert.equal(r.body.metadata.resourceVersion, rv);
    }
    seen.push(...r.body.items.map((c: { metadata: { name: string; resourceVersion: string }; data?: { v: string } }) => ({ name: c.metadata.name, v: c.data?.v ?? '', rv: Number(c.metadata.resourceVersion) })));
    cont = r.body.metadata.continue ?? '';
    if (!cont) break;
  }
  assert.deepEqual(
    seen.map((s) => s.name),
    Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, '0')}`),
  );
  assert.ok(seen.every((s) => s.v === 'old' && s.rv <= Number(rv)));
  // The current state has moved on.
  const now = await json(url, 'GET', '/api/v1/namespaces/page/configmaps');
  const names = now.body.items.map((c: { metadata: { name: string } }) => c.metadata.name);
  assert.ok(names.includes('cm-12a') && !names.includes('cm-15'));
});

test('a continue token older than the retained history gets 410 Expired', async () => {
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'page-old' } });
  for (let i = 0; i < 5; i++) await json(url, 'POST', '/api/v1/namespaces/page-old/configmaps', { metadata: { name: `c-${i}` } });
  const first = await json(url, 'GET', '/api/v1/namespaces/page-old/configmaps?limit=2');
  const cont = first.body.metadata.continue;
  assert.ok(cont);
  // The fixture keeps 50 events of history: 60 writes push the first page's version out of it.
  for (let i = 0; i < 60; i++) await json(url, 'PATCH', '/api/v1/namespaces/page-old/configmaps/c-4', { data: { i: String(i) } }, { 'content-type': 'application/merge-patch+json' });
  const r = await json(url, 'GET', `/api/v1/namespaces/page-old/configmaps?limit=2&continue=${encodeURIComponent(cont)}`);
  assert.equal(r.status, 410);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.reason, 'Expired');
  assert.match(r.body.message, /^The provided continue parameter is too old to display a consistent list result/);
  const fresh = await json(url, 'GET', '/api/v1/namespaces/page-old/configmaps?limit=2');
  assert.equal(fresh.status, 200);
});

test('watch: current state as ADDED, then changes, bookmarks, timeoutSeconds, and resume from a resourceVersion', async () => {
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'wat' } });
  await json(url, 'POST', '/api/v1/namespaces/wat/configmaps', { metadata: { name: 'w1', labels: { x: '1' } } });
  const w = await openWatch(url, '/api/v1/namespaces/wat/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=2');
  const sel = await openWatch(url, '/api/v1/namespaces/wat/configmaps?watch=true&labelSelector=x%3D1');
  try {
    await waitFor('initial ADDED', () => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'w1'));
    const created = await json(url, 'POST', '/api/v1/namespaces/wat/configmaps', { metadata: { name: 'w2', labels: { x: '1' } } });
    const patched = await json(url, 'PATCH', '/api/v1/namespaces/wat/configmaps/w2', { metadata: { labels: { x: '2' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200);
    await json(url, 'DELETE', '/api/v1/namespaces/wat/configmaps/w2');
    await waitFor('ADDED, MODIFIED, DELETED', () => w.events.filter((e) => e.object.metadata?.name === 'w2').length === 3);
    assert.deepEqual(w.events.filter((e) => e.object.metadata?.name === 'w2').map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    // Leaving the selector turns MODIFIED into DELETED for the selecting watch.
    await waitFor('selector transitions', () => sel.events.filter((e) => e.object.metadata?.name === 'w2').length === 2);
    assert.deepEqual(sel.events.filter((e) => e.object.metadata?.name === 'w2').map((e) => e.type), ['ADDED', 'DELETED']);
    await waitFor('a BOOKMARK', () => w.events.some((e) => e.type === 'BOOKMARK'));
    const bm = w.events.find((e) => e.type === 'BOOKMARK');
    assert.equal(bm.object.kind, 'ConfigMap');
    assert.ok(Number(bm.object.metadata.resourceVersion) >= Number(created.body.metadata.resourceVersion));
    await waitFor('timeoutSeconds ends the stream', () => w.ended(), 5000);
    // Resuming from the create's version replays the later changes only.
    const resumed = await openWatch(url, `/api/v1/namespaces/wat/configmaps?watch=1&resourceVersion=${created.body.metadata.resourceVersion}&timeoutSeconds=1`);
    await waitFor('replayed events', () => resumed.events.length >= 2);
    assert.deepEqual(resumed.events.map((e) => e.type).slice(0, 2), ['MODIFIED', 'DELETED']);
    resumed.close();
  } finally {
    w.close();
    sel.close();
  }
});

test('watch from a version older than the history window gets an in-stream 410 Expired', async () => {
  const start = await json(url, 'GET', '/api/v1/namespaces/api/configmaps');
  const oldRv = start.body.metadata.resourceVersion;
  for (let i = 0; i < 60; i++) await json(url, 'POST', '/api/v1/namespaces/api/configmaps', { metadata: { name: `churn-${i}` } });
  const w = await openWatch(url, `/api/v1/namespaces/api/configmaps?watch=1&resourceVersion=${oldRv}`);
  await waitFor('410 event', () => w.events.length > 0 && w.ended());
  assert.equal(w.events[0].type, 'ERROR');
  assert.equal(w.events[0].object.code, 410);
  assert.equal(w.events[0].object.reason, 'Expired');
  assert.match(w.events[0].object.message, /too old resource version/);
});

test('metadata-only clients get PartialObjectMetadata for get, list and watch', async () => {
  const accept = { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json' };
  await json(url, 'POST', '/api/v1/namespaces/api/configmaps', { metadata: { name: 'meta-only', labels: { m: '1' } }, data: { secret: 'not in metadata' } });
  const one = await json(url, 'GET', '/api/v1/namespaces/api/configmaps/meta-only', undefined, accept);
  assert.equal(one.body.kind, 'PartialObjectMetadata');
  assert.equal(one.body.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(one.body.metadata.labels, { m: '1' });
  assert.equal(one.body.data, undefined);
  const list = await json(url, 'GET', '/api/v1/namespaces/api/configmaps?labelSelector=m%3D1', undefined, accept);
  assert.equal(list.body.kind, 'PartialObjectMetadataList');
  assert.deepEqual(list.body.items.map((i: { kind: string; metadata: { name: string } }) => [i.kind, i.metadata.name]), [['PartialObjectMetadata', 'meta-only']]);
  const r = await http(url, 'GET', '/api/v1/namespaces/api/configmaps?watch=1&timeoutSeconds=1&labelSelector=m%3D1', undefined, accept);
  const events = r.body.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => [e.type, e.object.kind]), [['ADDED', 'PartialObjectMetadata']]);
});

/**
 * DELETE semantics: grace periods, finalizers, propagation policies with ownerReferences,
 * deletecollection by selector, and namespace termination.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { json, openWatch, podManifest, waitFor, useMock } from './helpers.js';

let url: string;

useMock({ lifecycle: { podStartDelayMs: 0, jitter: 0 }, podTerminationMs: 100 }, async (s) => {
  url = s.url;
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'del' } });
});

const exists = async (path: string) => (await json(url, 'GET', path)).status === 200;

test('a running pod is deleted gracefully: deletionTimestamp first, gone after the simulated kubelet stops it', async () => {
  await json(url, 'POST', '/api/v1/namespaces/del/pods', podManifest('graceful', 'del'));
  await waitFor('Running', async () => (await json(url, 'GET', '/api/v1/namespaces/del/pods/graceful')).body.status.phase === 'Running');
  const w = await openWatch(url, '/api/v1/namespaces/del/pods?watch=1&fieldSelector=metadata.name%3Dgraceful');
  try {
    const del = await json(url, 'DELETE', '/api/v1/namespaces/del/pods/graceful', { gracePeriodSeconds: 5 });
    assert.equal(del.status, 200);
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 5);
    await waitFor('gone', async () => !(await exists('/api/v1/namespaces/del/pods/graceful')), 3000);
    await waitFor('DELETED event', () => w.events.some((e) => e.type === 'DELETED'));
  } finally {
    w.close();
  }
  // A container that ignores SIGTERM holds the pod for the whole grace period.
  const stubborn = podManifest('stubborn', 'del');
  (stubborn.metadata as Record<string, unknown>).annotations = { 'racerig.dev/stop-delay-ms': '600000' };
  await json(url, 'POST', '/api/v1/namespaces/del/pods', stubborn);
  await waitFor('Running', async () => (await json(url, 'GET', '/api/v1/namespaces/del/pods/stubborn')).body.status.phase === 'Running');
  const t0 = Date.now();
  await json(url, 'DELETE', '/api/v1/namespaces/del/pods/stubborn?gracePeriodSeconds=1');
  await waitFor('gone after the grace period', async () => !(await exists('/api/v1/namespaces/del/pods/stubborn')), 3000);
  assert.ok(Date.now() - t0 >= 900, `pod went away after ${Date.now() - t0} ms of a 1 s grace period`);
  await json(url, 'POST', '/api/v1/namespaces/del/pods', podManifest('now', 'del'));
  await waitFor('Running', async () => (await json(url, 'GET', '/api/v1/namespaces/del/pods/now')).body.status.phase === 'Running');
  await json(url, 'DELETE', '/api/v1/namespaces/del/pods/now?gracePeriodSeconds=0');
  assert.equal(await exists('/api/v1/namespaces/del/pods/now'), false, 'gracePeriodSeconds=0 deletes at once');
});

test('finalizers hold an object with deletionTimestamp until they are removed', async () => {
  await json(url, 'POST', '/api/v1/namespaces/del/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
  const del = await json(url, 'DELETE', '/api/v1/namespaces/del/configmaps/held');
  assert.ok(del.body.metadata.deletionTimestamp);
  assert.equal(await exists('/api/v1/namespaces/del/configmaps/held'), true);
  const patched = await json(url, 'PATCH', '/api/v1/namespaces/del/configmaps/held', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
  assert.equal(patched.status, 200);
  assert.equal(await exists('/api/v1/namespaces/del/configmaps/held'), false);
});

test('propagationPolicy: Background and Foreground delete dependents, Orphan keeps them without the ownerReference', async () => {
  for (const policy of ['Background', 'Foreground', 'Orphan']) {
    const owner = await json(url, 'POST', '/apis/apps/v1/namespaces/del/deployments', { metadata: { name: `owner-${policy.toLowerCase()}` }, spec: { replicas: 1 } });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: owner.body.metadata.name, uid: owner.body.metadata.uid };
    const dep = `/api/v1/namespaces/del/configmaps/dep-${policy.toLowerCase()}`;
    await json(url, 'POST', '/api/v1/namespaces/del/configmaps', { metadata: { name: `dep-${policy.toLowerCase()}`, ownerReferences: [ref] } });
    const del = await json(url, 'DELETE', `/apis/apps/v1/namespaces/del/deployments/${ref.name}`, { propagationPolicy: policy });
    assert.equal(del.status, 200);
    await waitFor(`owner gone (${policy})`, async () => !(await exists(`/apis/apps/v1/namespaces/del/deployments/${ref.name}`)), 3000);
    if (policy === 'Orphan') {
      const kept = await json(url, 'GET', dep);
      assert.equal(kept.status, 200);
      assert.equal(kept.body.metadata.ownerReferences, undefined);
    } else {
      await waitFor(`dependent gone (${policy})`, async () => !(await exists(dep)), 3000);
    }
  }
});

test('deletecollection deletes by label selector; deleting a namespace removes its contents', async () => {
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
  for (const [n, team] of [['a', 'x'], ['b', 'x'], ['c', 'y']]) {
    await json(url, 'POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: n, labels: { team } } });
  }
  const dc = await json(url, 'DELETE', '/api/v1/namespaces/doomed/configmaps?labelSelector=team%3Dx');
  assert.equal(dc.status, 200);
  assert.deepEqual(dc.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['a', 'b']);
  const left = await json(url, 'GET', '/api/v1/namespaces/doomed/configmaps');
  assert.deepEqual(left.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['c']);
  const ns = await json(url, 'DELETE', '/api/v1/namespaces/doomed');
  assert.equal(ns.body.status.phase, 'Terminating');
  const refused = await json(url, 'POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'late' } });
  assert.ok(refused.status === 403 || refused.status === 404);
  await waitFor('namespace gone', async () => !(await exists('/api/v1/namespaces/doomed')), 3000);
  assert.equal(await exists('/api/v1/namespaces/doomed/configmaps/c'), false);
});

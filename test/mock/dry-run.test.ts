/**
 * Dry run never persists, whatever the verb: after every dry-run request the store's resourceVersion
 * is unchanged and a watch saw nothing; and every dry-run answer's Content-Length is that of the bytes
 * sent (the answer is longer than the stored object here, which a stale length would cut off).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, json, openWatch, podManifest, waitFor, useMock } from './helpers.js';

let url: string;
useMock({ lifecycle: { podStartDelayMs: 0, jitter: 0 }, podTerminationMs: 10 }, async (s) => {
  url = s.url;
});

const rv = async () => (await json(url, 'GET', '/api/v1/namespaces')).body.metadata.resourceVersion;
const LONG = 'x'.repeat(300);

test('no dry-run request changes the store, for any verb, with the dry run in the query or the DeleteOptions body', async () => {
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'dry' } });
  await json(url, 'POST', '/api/v1/namespaces/dry/configmaps', { metadata: { name: 'c', finalizers: ['example.com/hold'] }, data: { k: 'v' } });
  await json(url, 'POST', '/api/v1/namespaces/dry/configmaps', { metadata: { name: 'c2' }, data: { k: 'v' } });
  const owner = (await json(url, 'POST', '/apis/apps/v1/namespaces/dry/deployments', { metadata: { name: 'd' }, spec: { replicas: 1, selector: { matchLabels: { a: 'd' } }, template: { metadata: { labels: { a: 'd' } }, spec: { containers: [{ name: 'm', image: 'i' }] } } } })).body;
  await json(url, 'POST', '/api/v1/namespaces/dry/pods', { ...podManifest('p', 'dry'), metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: owner.metadata.uid }] } });
  await waitFor('pod Running and the deployment settled', async () => (await json(url, 'GET', '/api/v1/namespaces/dry/pods/p')).body.status.phase === 'Running' && (await json(url, 'GET', '/apis/apps/v1/namespaces/dry/deployments/d')).body.status?.availableReplicas === 1);
  // Quiet now: nothing else writes.
  await waitFor('quiet', async () => {
    const a = await rv();
    await new Promise((r) => setImmediate(r));
    return a === (await rv()) ? a : undefined;
  });
  const before = await rv();
  const w = await openWatch(url, `/api/v1/namespaces/dry/configmaps?watch=1&resourceVersion=${before}`);
  const wp = await openWatch(url, `/api/v1/namespaces/dry/pods?watch=1&resourceVersion=${before}`);
  try {
    const merge = { 'Content-Type': 'application/merge-patch+json' };
    const requests: Array<[string, string, unknown, Record<string, string>?]> = [
      ['POST', '/api/v1/namespaces/dry/configmaps?dryRun=All', { metadata: { name: 'new' } }],
      ['PUT', '/api/v1/namespaces/dry/configmaps/c2?dryRun=All', { metadata: { name: 'c2' }, data: { k: LONG } }],
      ['PATCH', '/api/v1/namespaces/dry/configmaps/c2?dryRun=All', { data: { k: LONG } }, merge],
      ['PATCH', '/api/v1/namespaces/dry/configmaps/c2?dryRun=All&fieldManager=t', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c2' }, data: { k: LONG } }, { 'Content-Type': 'application/apply-patch+yaml' }],
      ['PATCH', '/api/v1/namespaces/dry/configmaps/new?dryRun=All&fieldManager=t', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new' } }, { 'Content-Type': 'application/apply-patch+yaml' }],
      ['DELETE', '/api/v1/namespaces/dry/configmaps/c2?dryRun=All', undefined],
      ['DELETE', '/api/v1/namespaces/dry/configmaps/c2', { dryRun: ['All'] }],
      ['DELETE', '/api/v1/namespaces/dry/configmaps/c?dryRun=All', undefined],
      ['DELETE', '/api/v1/namespaces/dry/configmaps?dryRun=All', undefined],
      ['DELETE', '/api/v1/namespaces/dry/pods/p?dryRun=All&gracePeriodSeconds=30', undefined],
      ['DELETE', '/apis/apps/v1/namespaces/dry/deployments/d', { dryRun: ['All'], propagationPolicy: 'Foreground' }],
      ['DELETE', '/apis/apps/v1/namespaces/dry/deployments/d?dryRun=All&propagationPolicy=Orphan', undefined],
      ['POST', '/api/v1/namespaces/dry/pods/p/eviction?dryRun=All', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } }],
      ['PUT', '/apis/apps/v1/namespaces/dry/deployments/d/scale?dryRun=All', { metadata: { name: 'd' }, spec: { replicas: 5 } }],
      ['PATCH', '/apis/apps/v1/namespaces/dry/deployments/d/scale?dryRun=All', { spec: { replicas: 5 } }, merge],
      ['DELETE', '/api/v1/namespaces/dry?dryRun=All', undefined],
    ];
    for (const [method, path, body, headers] of requests) {
      const r = await http(url, method, path, body === undefined ? undefined : JSON.stringify(body), headers);
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.body}`);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body), `${method} ${path}: Content-Length is the body's`);
      JSON.parse(r.body);
      if (method !== 'DELETE' && path.includes('configmaps/c2')) assert.match(r.body, new RegExp(LONG));
    }
    assert.equal(await rv(), before, 'no resourceVersion was handed out');
    const dep = (await json(url, 'GET', '/apis/apps/v1/namespaces/dry/deployments/d')).body;
    assert.equal(dep.spec.replicas, 1);
    assert.equal(dep.metadata.finalizers, undefined);
    assert.equal((await json(url, 'GET', '/api/v1/namespaces/dry')).body.status.phase, 'Active');
  } finally {
    w.close();
    wp.close();
  }
  assert.deepEqual(w.events, []);
  assert.deepEqual(wp.events, []);
});

test('dryRun values other than All are refused before anything happens', async () => {
  const r = await json(url, 'DELETE', '/api/v1/namespaces/dry/configmaps/c2?dryRun=Yes');
  assert.equal(r.status, 422);
  assert.equal((await json(url, 'GET', '/api/v1/namespaces/dry/configmaps/c2')).status, 200);
});

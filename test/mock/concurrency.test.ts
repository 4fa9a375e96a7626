/**
 * Concurrency semantics: optimistic concurrency under contention, and watch order under concurrent writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { json, openWatch, waitFor, useMock } from './helpers.js';

let url: string;

useMock({ lifecycle: { disabled: true } }, (s) => {
  url = s.url;
});

test('optimistic concurrency: concurrent read-modify-write increments with retry on 409 lose no update', async () => {
  await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'counter' }, data: { n: '0' } });
  const workers = 8;
  const perWorker = 15;
  let conflicts = 0;
  const increment = async () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const cur = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps/counter')).body;
      cur.data.n = String(Number(cur.data.n) + 1);
      const r = await json(url, 'PUT', '/api/v1/namespaces/default/configmaps/counter', cur);
      if (r.status === 200) return;
      assert.equal(r.status, 409);
      conflicts++;
    }
    throw new Error('gave up after 200 conflicts');
  };
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let i = 0; i < perWorker; i++) await increment();
  }));
  const final = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps/counter')).body;
  assert.equal(final.data.n, String(workers * perWorker));
  assert.ok(conflicts > 0, 'contention produced at least one 409 Conflict');
});

test('a watch sees every change of concurrent writers once, in increasing resourceVersion order', async () => {
  const start = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion;
  const w = await openWatch(url, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${start}`);
  try {
    const n = 150;
    await Promise.all(Array.from({ length: n }, (_, i) => json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `c-${i}` } })));
    await waitFor(`${n} events`, () => w.events.length >= n, 5000);
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.ok(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]!), 'resourceVersions increase');
    assert.equal(new Set(w.events.map((e) => e.object.metadata.name)).size, n);
    assert.ok(w.events.every((e) => e.type === 'ADDED'));
  } finally {
    w.close();
  }
});

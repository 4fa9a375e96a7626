import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadTarget } from '../../src/kube/target.js';
import { createTargetDispatcher, composeDispatch } from '../../src/kube/target-dispatcher.js';
import { Discovery } from '../../src/kube/discovery.js';
import { ResourcePaths } from '../../src/kube/resource.js';
import { send } from '../../src/kube/send.js';
import { createRequest, deleteRequest, patchRequest } from '../../src/kube/requests.js';
import { SENT_AT_ANNOTATION, WatchClient } from '../../src/kube/watch-client.js';
import type { WatchEvent } from '../../src/kube/watch-parser.js';
import { startKubeFixture, waitFor } from './helpers.js';

test('watch on the mock: ADDED/MODIFIED/DELETED/BOOKMARK counted, delivery lag measured, 410 Expired after compaction relists', async () => {
  const fx = await startKubeFixture({ bookmarkIntervalMs: 50 });
  const target = await loadTarget({ kubeconfig: fx.kubeconfig });
  const client = createTargetDispatcher(target, { connections: 4, timeoutMs: 0 });
  const dispatch = composeDispatch(client, []);
  try {
    const cm = new ResourcePaths(await new Discovery({ dispatch }).resolve('configmaps'));
    assert.equal((await send(dispatch, createRequest(cm, 'default', { metadata: { name: 'before' } }))).status, 201);
    const seen: { type: string; name?: string; lag?: number }[] = [];
    const errors: Error[] = [];
    const stats = { events: [0, 0, 0, 0, 0], relists: 0, expired: 0, rewatches: 0 };
    const watch = new WatchClient({
      dispatch,
      paths: cm,
      namespace: 'default',
      onEvent: (e: WatchEvent, lag) => seen.push({ type: e.type, name: e.object.metadata?.name, lag }),
      onError: (e) => errors.push(e),
      stats: { event: (i) => stats.events[i]!++, relist: () => stats.relists++, expired: () => stats.expired++, rewatch: () => stats.rewatches++ },
    });
    await watch.start();
    assert.deepEqual(seen, [{ type: 'ADDED', name: 'before', lag: undefined }], 'the list delivers existing objects as ADDED');
    for (let i = 0; i < 20; i++) {
      const r = await send(dispatch, createRequest(cm, 'default', { metadata: { name: `w-${i}`, annotations: { [SENT_AT_ANNOTATION]: String(performance.timeOrigin + performance.now()) } } }));
      assert.equal(r.status, 201);
    }
    await send(dispatch, patchRequest(cm, 'default', 'w-0', 'merge', { data: { x: '1' } }));
    // A write that stamps the object anew: its MODIFIED event is timed.
    await send(dispatch, patchRequest(cm, 'default', 'w-2', 'merge', { metadata: { annotations: { [SENT_AT_ANNOTATION]: String(performance.timeOrigin + performance.now()) } } }));
    await send(dispatch, deleteRequest(cm, 'default', 'w-1'));
    await waitFor('20 ADDED, 2 MODIFIED, 1 DELETED and a BOOKMARK', () => watch.counters.added === 21 && watch.counters.modified === 2 && watch.counters.deleted === 1 && watch.counters.bookmarks > 0);
    // Stream events only: the listed object is not a watch event.
    assert.deepEqual(stats.events.slice(0, 3), [20, 2, 1]);
    assert.equal(stats.events[3], watch.counters.bookmarks);
    const lags = seen.filter((s) => s.type === 'ADDED' && s.name?.startsWith('w-')).map((s) => s.lag!);
    assert.equal(lags.length, 20);
    assert.ok(lags.every((l) => l >= 0 && l < 5000), `lags in ms: ${lags.join(', ')}`);
    assert.equal(seen.find((s) => s.type === 'MODIFIED' && s.name === 'w-0')?.lag, undefined, 'a MODIFIED event that kept the create stamp is not timed');
    const restamped = seen.find((s) => s.type === 'MODIFIED' && s.name === 'w-2')?.lag;
    assert.ok(restamped !== undefined && restamped >= 0 && restamped < 5000, `a restamped MODIFIED is timed: ${restamped}`);
    assert.equal(seen.find((s) => s.type === 'DELETED')?.lag, undefined);
    assert.equal(watch.counters.relists, 0);
    // Compaction ends every watch; the re-watch from the old version gets an in-stream 410 ERROR: relist.
    const compact = await send(dispatch, { method: 'POST', path: '/racerig/compact' });
    assert.equal(compact.status, 200);
    await waitFor('a relist after 410 Expired', () => watch.counters.relists >= 1);
    assert.ok(watch.counters.errors >= 1);
    assert.ok(watch.counters.rewatches >= 1);
    assert.ok(stats.expired >= 1 && stats.events[4]! >= 1, `410s counted: ${JSON.stringify(stats)}`);
    assert.equal(stats.relists, watch.counters.relists);
    assert.equal(stats.rewatches, watch.counters.rewatches);
    const addedBefore = watch.counters.added;
    await send(dispatch, createRequest(cm, 'default', { metadata: { name: 'after-relist' } }));
    await waitFor('the watch to resume after the relist', () => seen.some((s) => s.name === 'after-relist' && s.type === 'ADDED'));
    assert.ok(watch.counters.added > addedBefore);
    await watch.stop();
    assert.deepEqual(errors, [], 'an expired version is handled, not reported as an error');
  } finally {
    await client.close();
    await fx.close();
  }
});

test('watch against a plain server: HTTP 410 and an in-stream 410 on a stream left open relist, events split mid-line across chunks are parsed', async () => {
  let lists = 0;
  let watches = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.searchParams.get('watch') !== 'true') {
      lists++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: String(lists * 100) }, items: [] }));
      return;
    }
    watches++;
    if (url.searchParams.get('resourceVersion') === '100') {
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' }));
      return;
    }
    if (url.searchParams.get('resourceVersion') === '200') {
      // An in-stream 410 on a stream the server then leaves open: the client must not wait on it.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old' } }) + '\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const text = ['a', 'b', 'c'].map((n, i) => JSON.stringify({ type: 'ADDED', object: { metadata: { name: n, resourceVersion: String(301 + i) } } }) + '\n').join('');
    const cut = Math.floor(text.length / 2) + 3;
    res.write(text.slice(0, cut));
    setImmediate(() => res.write(text.slice(cut)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createTargetDispatcher({ origin, connect: { rejectUnauthorized: true } }, { timeoutMs: 0 });
  const dispatch = composeDispatch(client, []);
  try {
    const names: string[] = [];
    const watch = new WatchClient({
      dispatch,
      paths: new ResourcePaths({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true }),
      namespace: 'default',
      onEvent: (e) => names.push(e.object.metadata!.name!),
    });
    await watch.start();
    await waitFor('three events after the HTTP 410 and the in-stream 410 relists', () => names.length === 3);
    assert.deepEqual(names, ['a', 'b', 'c']);
    assert.equal(watch.counters.relists, 2);
    assert.equal(watch.counters.errors, 1);
    assert.equal(watch.resourceVersion, '303');
    assert.deepEqual([lists, watches], [3, 3]);
    await watch.stop();
  } finally {
    await client.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('watch from a resourceVersion without an initial list; without one the server sends existing objects as ADDED (not timed)', async () => {
  const fx = await startKubeFixture({ bookmarkIntervalMs: 60_000 });
  const target = await loadTarget({ kubeconfig: fx.kubeconfig });
  const client = createTargetDispatcher(target, { connections: 4, timeoutMs: 0 });
  const dispatch = composeDispatch(client, []);
  try {
    const cm = new ResourcePaths(await new Discovery({ dispatch }).resolve('configmaps'));
    const stamp = () => ({ [SENT_AT_ANNOTATION]: String(performance.timeOrigin + performance.now()) });
    const first = await send(dispatch, createRequest(cm, 'default', { metadata: { name: 'old', annotations: stamp() } }));
    const rv = (JSON.parse(first.body.toString()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    await send(dispatch, createRequest(cm, 'default', { metadata: { name: 'old-2', annotations: stamp() } }));
    const fromRv: { name?: string; lag?: number }[] = [];
    const fromNow: { name?: string; lag?: number }[] = [];
    const a = new WatchClient({ dispatch, paths: cm, namespace: 'default', initialList: false, resourceVersion: rv, onEvent: (e, lag) => fromRv.push({ name: e.object.metadata?.name, lag }) });
    const b = new WatchClient({ dispatch, paths: cm, namespace: 'default', initialList: false, onEvent: (e, lag) => fromNow.push({ name: e.object.metadata?.name, lag }) });
    await Promise.all([a.start(), b.start()]);
    await send(dispatch, createRequest(cm, 'default', { metadata: { name: 'new', annotations: stamp() } }));
    await waitFor('both watches to see the new object', () => fromRv.some((e) => e.name === 'new') && fromNow.some((e) => e.name === 'new'));
    assert.deepEqual(fromRv.map((e) => e.name), ['old-2', 'new'], 'replayed from the version: only later changes');
    assert.deepEqual(fromNow.map((e) => e.name).sort(), ['new', 'old', 'old-2'], 'no version: existing objects first');
    assert.equal(fromNow.find((e) => e.name === 'old')!.lag, undefined, 'objects stamped before the watch started are not timed');
    assert.ok(fromNow.find((e) => e.name === 'new')!.lag! >= 0);
    assert.equal(a.counters.relists + b.counters.relists, 0);
    await Promise.all([a.stop(), b.stop()]);
  } finally {
    await client.close();
    await fx.close();
  }
});

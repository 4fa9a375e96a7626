/**
 * Core v1 Events and events.k8s.io/v1 Events are one storage seen through two APIs: an object created
 * through either is read, listed, watched, patched and deleted through the other, with the fields mapped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { json, openWatch, waitFor, useMock } from './helpers.js';

let url: string;
const CORE = '/api/v1/namespaces/ev/events';
const NEW = '/apis/events.k8s.io/v1/namespaces/ev/events';

useMock({ lifecycle: { disabled: true } }, async (s) => {
  url = s.url;
  await json(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'ev' } });
});

const regarding = { kind: 'Pod', namespace: 'ev', name: 'p1', uid: '1234', apiVersion: 'v1' };

test('a core v1 Event reads through events.k8s.io/v1 with the fields mapped', async () => {
  const created = await json(url, 'POST', CORE, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'core-made' },
    involvedObject: regarding,
    reason: 'Killing',
    message: 'Stopping container main',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:00:05Z',
    count: 3,
    type: 'Normal',
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
    related: { kind: 'Node', name: 'node-1' },
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.apiVersion, 'v1');
  const seen = await json(url, 'GET', `${NEW}/core-made`);
  assert.equal(seen.status, 200);
  const e = seen.body;
  assert.equal(e.apiVersion, 'events.k8s.io/v1');
  assert.equal(e.kind, 'Event');
  assert.equal(e.metadata.uid, created.body.metadata.uid);
  assert.equal(e.metadata.resourceVersion, created.body.metadata.resourceVersion);
  assert.deepEqual(e.regarding, regarding);
  assert.equal(e.note, 'Stopping container main');
  assert.deepEqual(e.deprecatedSource, { component: 'kubelet', host: 'node-1' });
  assert.equal(e.deprecatedFirstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(e.deprecatedLastTimestamp, '2026-01-01T00:00:05Z');
  assert.equal(e.deprecatedCount, 3);
  assert.equal(e.reportingController, 'kubelet');
  assert.equal(e.reportingInstance, 'node-1');
  assert.deepEqual(e.related, { kind: 'Node', name: 'node-1' });
  assert.equal(e.reason, 'Killing');
  for (const f of ['involvedObject', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'reportingComponent']) assert.equal(e[f], undefined, f);
});

test('an events.k8s.io/v1 Event reads, patches and deletes through core v1, and the lists agree', async () => {
  const created = await json(url, 'POST', NEW, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'new-made' },
    eventTime: '2026-01-01T00:00:00.000000Z',
    reportingController: 'racerig.io/controller',
    reportingInstance: 'controller-0',
    action: 'Scheduling',
    reason: 'Scheduled',
    regarding,
    note: 'placed on node-1',
    type: 'Normal',
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.apiVersion, 'events.k8s.io/v1');
  assert.equal(created.body.note, 'placed on node-1');
  const core = await json(url, 'GET', `${CORE}/new-made`);
  assert.equal(core.body.apiVersion, 'v1');
  assert.equal(core.body.message, 'placed on node-1');
  assert.deepEqual(core.body.involvedObject, regarding);
  assert.equal(core.body.reportingComponent, 'racerig.io/controller');
  assert.equal(core.body.eventTime, '2026-01-01T00:00:00.000000Z');
  assert.equal(core.body.action, 'Scheduling');
  assert.equal(core.body.note, undefined);

  const patched = await json(url, 'PATCH', `${NEW}/new-made`, { note: 'moved', deprecatedCount: 2 }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.note, 'moved');
  const after = await json(url, 'GET', `${CORE}/new-made`);
  assert.equal(after.body.message, 'moved');
  assert.equal(after.body.count, 2);
  assert.equal(after.body.metadata.resourceVersion, patched.body.metadata.resourceVersion);

  const coreList = await json(url, 'GET', CORE);
  const newList = await json(url, 'GET', NEW);
  assert.equal(newList.body.kind, 'EventList');
  assert.equal(newList.body.apiVersion, 'events.k8s.io/v1');
  assert.deepEqual(newList.body.items.map((i: { metadata: { uid: string } }) => i.metadata.uid), coreList.body.items.map((i: { metadata: { uid: string } }) => i.metadata.uid));
  assert.ok(newList.body.items.every((i: { note?: string; message?: string }) => i.note !== undefined && i.message === undefined));

  const byField = await json(url, 'GET', `${NEW}?fieldSelector=${encodeURIComponent('regarding.name=p1,reportingController=racerig.io/controller')}`);
  assert.deepEqual(byField.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['new-made']);

  assert.equal((await json(url, 'DELETE', `${CORE}/new-made`)).status, 200);
  assert.equal((await json(url, 'GET', `${NEW}/new-made`)).status, 404);
});

test('a watch through one API sees changes made through the other, in its own form', async () => {
  const w = await openWatch(url, `${NEW}?watch=1&fieldSelector=${encodeURIComponent('regarding.name=w1')}`);
  const c = await openWatch(url, `${CORE}?watch=1&fieldSelector=${encodeURIComponent('involvedObject.name=w1')}`);
  try {
    const r = { ...regarding, name: 'w1' };
    await json(url, 'POST', CORE, { metadata: { name: 'watched' }, involvedObject: r, message: 'one', reason: 'R', type: 'Normal' });
    await json(url, 'PATCH', `${NEW}/watched`, { note: 'two' }, { 'content-type': 'application/merge-patch+json' });
    await json(url, 'DELETE', `${NEW}/watched`);
    await waitFor('events.k8s.io watch events', () => w.events.length >= 3);
    await waitFor('core watch events', () => c.events.length >= 3);
    assert.deepEqual(w.events.map((e) => [e.type, e.object.apiVersion, e.object.note]), [
      ['ADDED', 'events.k8s.io/v1', 'one'],
      ['MODIFIED', 'events.k8s.io/v1', 'two'],
      ['DELETED', 'events.k8s.io/v1', 'two'],
    ]);
    assert.deepEqual(c.events.map((e) => [e.type, e.object.apiVersion, e.object.message]), [
      ['ADDED', 'v1', 'one'],
      ['MODIFIED', 'v1', 'two'],
      ['DELETED', 'v1', 'two'],
    ]);
    assert.deepEqual(w.events.map((e) => e.object.metadata.resourceVersion), c.events.map((e) => e.object.metadata.resourceVersion));
  } finally {
    w.close();
    c.close();
  }
});

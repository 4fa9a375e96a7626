import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from './store.js';

test('store: global resourceVersion, key-ordered namespace lists, cached JSON', () => {
  const s = new Store(10);
  const a = s.put('/pods', 'ns1/b', { metadata: { name: 'b', namespace: 'ns1' } }, 'ADDED');
  const b = s.put('/configmaps', 'ns1/a', { metadata: { name: 'a', namespace: 'ns1' } }, 'ADDED');
  s.put('/pods', 'ns1/a', { metadata: { name: 'a', namespace: 'ns1' } }, 'ADDED');
  s.put('/pods', 'ns2/a', { metadata: { name: 'a', namespace: 'ns2' } }, 'ADDED');
  assert.equal(b.rv, a.rv + 1);
  assert.deepEqual(s.list('/pods', 'ns1').map((x) => x.key), ['ns1/a', 'ns1/b']);
  assert.deepEqual(s.list('/pods').map((x) => x.key), ['ns1/a', 'ns1/b', 'ns2/a']);
  assert.deepEqual(s.list('/pods', undefined, 'ns1/a').map((x) => x.key), ['ns1/b', 'ns2/a']);
  assert.equal(JSON.parse(a.json).metadata.resourceVersion, String(a.rv));
});

test('store: history replays per type and expires beyond its window', () => {
  const s = new Store(3);
  const first = s.put('/pods', 'x', { metadata: { name: 'x' } }, 'ADDED');
  s.put('/configmaps', 'y', { metadata: { name: 'y' } }, 'ADDED');
  s.put('/pods', 'x', { metadata: { name: 'x', labels: { a: 'b' } } }, 'MODIFIED');
  assert.deepEqual(s.eventsSince('/pods', first.rv)!.map((e) => e.type), ['MODIFIED']);
  const removed = s.remove('/pods', 'x')!;
  assert.equal(removed.rv, s.rv);
  assert.equal(s.eventsSince('/pods', first.rv - 1), undefined, 'the first event fell out of the window');
  assert.deepEqual(s.eventsSince('/pods', first.rv)!.map((e) => e.type), ['MODIFIED', 'DELETED']);
  s.compact();
  assert.equal(s.eventsSince('/pods', first.rv), undefined);
  assert.deepEqual(s.eventsSince('/pods', s.rv), []);
});

test('store: listeners see changes in order, with the previous version on MODIFIED', () => {
  const s = new Store(10);
  const seen: string[] = [];
  const off = s.subscribe('/pods', (e) => seen.push(`${e.type}:${e.prev ? e.prev.rv : '-'}`));
  const a = s.put('/pods', 'x', { metadata: { name: 'x' } }, 'ADDED');
  s.put('/pods', 'x', { metadata: { name: 'x' } }, 'MODIFIED');
  off();
  s.remove('/pods', 'x');
  assert.deepEqual(seen, ['ADDED:-', `MODIFIED:${a.rv}`]);
});

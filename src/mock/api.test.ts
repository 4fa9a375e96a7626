import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockApi } from './api.js';

test('a colliding generated name is drawn again instead of failing with AlreadyExists', (t) => {
  const api = new MockApi();
  const cm = api.registry.get('', 'v1', 'configmaps')!;
  // The first two draws produce the same suffix, then randomness resumes.
  const real = Math.random;
  let calls = 0;
  t.mock.method(Math, 'random', () => (calls++ < 10 ? 0.5 : real()));
  const a = api.create(cm, 'default', { metadata: { generateName: 'x-' } });
  const b = api.create(cm, 'default', { metadata: { generateName: 'x-' } });
  assert.notEqual(a.obj.metadata.name, b.obj.metadata.name);
  assert.match(b.obj.metadata.name!, /^x-[a-z0-9]{5}$/);
  assert.throws(() => api.create(cm, 'default', { metadata: { name: a.obj.metadata.name } }), /already exists/);
  api.close();
});

test('list pages by limit inside one namespace only, with remainingItemCount', () => {
  const api = new MockApi();
  const cm = api.registry.get('', 'v1', 'configmaps')!;
  const ns = api.registry.get('', 'v1', 'namespaces')!;
  for (const n of ['a', 'a-b', 'ab']) api.create(ns, '', { metadata: { name: n } });
  for (const n of ['a', 'a-b', 'ab']) for (let i = 0; i < 3; i++) api.create(cm, n, { metadata: { name: `c${i}` } });
  const first = api.list(cm, 'a', { limit: 2 });
  assert.deepEqual(first.items.map((s) => s.key), ['a/c0', 'a/c1']);
  assert.equal(first.remainingItemCount, 1);
  const rest = api.list(cm, 'a', { limit: 2, continueToken: first.continueToken });
  assert.deepEqual(rest.items.map((s) => s.key), ['a/c2']);
  assert.equal(rest.continueToken, undefined);
  assert.equal(api.list(cm, '', {}).items.length, 9);
  api.close();
});

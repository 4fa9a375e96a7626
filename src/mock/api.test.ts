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

test('random operation sequences only ever fail with Status errors and keep storage consistent', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const api = new MockApi({ watchHistory: 100 });
  const types = ['pods', 'configmaps', 'namespaces'].map((r) => api.registry.get('', 'v1', r)!);
  const names = ['a', 'b', 'c', 'Bad_Name', ''];
  const values: unknown[] = [null, 1, 'x', [], {}, { a: 'b' }, ['x'], { uid: 'u' }, [{ uid: 'u1' }], true];
  const body = (): unknown => {
    if (rand() < 0.1) return pick(values);
    const meta: Record<string, unknown> = {};
    for (const f of ['name', 'generateName', 'labels', 'annotations', 'finalizers', 'ownerReferences', 'resourceVersion']) {
      if (rand() < 0.3) meta[f] = f === 'name' ? pick(names) : pick(values);
    }
    const o: Record<string, unknown> = { metadata: rand() < 0.9 ? meta : pick(values) };
    if (rand() < 0.5) o.spec = rand() < 0.5 ? { containers: [{ name: 'c', image: 'i' }] } : pick(values);
    if (rand() < 0.2) o.kind = pick(['Pod', 'ConfigMap', 'Namespace', 7]);
    return o;
  };
  const patchTypes = ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'text/plain'];
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const info = pick(types);
    const ns = info.namespaced ? pick(['default', 'ghost']) : '';
    const name = pick(names);
    try {
      switch (pick(['create', 'update', 'patch', 'delete', 'get', 'list', 'deletecollection'])) {
        case 'create':
          api.create(info, ns, body());
          break;
        case 'update':
          api.update(info, ns, name, body(), pick(['', 'status']));
          break;
        case 'patch':
          api.patch(info, ns, name, pick(patchTypes), JSON.stringify(pick([body(), [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }], [{ op: pick(['remove', 'move', 'nope']), path: pick(['/a', '', '/metadata/finalizers/0']) }]])), { fieldManager: pick([null, 'm']) });
          break;
        case 'delete':
          api.delete(info, ns, name, { propagationPolicy: pick([undefined, 'Orphan', 'Foreground', 'Background', 'Bogus' as 'Orphan']), gracePeriodSeconds: pick([undefined, 0, 5]) });
          break;
        case 'get':
          api.get(info, ns, name);
          break;
        case 'list':
          api.list(info, ns, { labelSelector: pick([undefined, 'a=b', 'x in (y)', 'bad in', '!a']), limit: pick([undefined, 1, 2]) });
          break;
        default:
          api.deleteCollection(info, ns, { labelSelector: pick([undefined, 'a=b']) });
      }
    } catch (err) {
      failures++;
      assert.equal((err as Error).name, 'StatusError', `iteration ${i}: ${(err as Error).stack}`);
    }
  }
  assert.ok(failures > 0 && failures < 3000);
  for (const info of types) {
    const listed = api.list(info, '', {}).items;
    assert.equal(listed.length, api.store.count(info.id));
    for (const s of listed) assert.equal(JSON.parse(s.json).metadata.resourceVersion, String(s.rv));
  }
  api.close();
});

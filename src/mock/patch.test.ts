import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, mergePatch, strategicMerge } from './patch.js';

test('merge patch (RFC 7386): nested merge, null deletes, arrays replace', () => {
  const target = { a: { b: 1, c: 2 }, l: [1, 2], k: 'v' };
  assert.deepEqual(mergePatch(target, { a: { b: null, d: 3 }, l: [3], k: null }), { a: { c: 2, d: 3 }, l: [3] });
  assert.deepEqual(target, { a: { b: 1, c: 2 }, l: [1, 2], k: 'v' }, 'input untouched');
});

test('JSON patch (RFC 6902): add, remove, replace, move, copy, test', () => {
  const doc = { a: [1, 2], b: { c: 'x' } };
  const out = jsonPatch(doc, [
    { op: 'add', path: '/a/-', value: 3 },
    { op: 'add', path: '/a/0', value: 0 },
    { op: 'remove', path: '/a/1' },
    { op: 'replace', path: '/b/c', value: 'y' },
    { op: 'copy', from: '/b/c', path: '/d' },
    { op: 'move', from: '/d', path: '/e~1f' },
    { op: 'test', path: '/e~1f', value: 'y' },
  ]);
  assert.deepEqual(out, { a: [0, 2, 3], b: { c: 'y' }, 'e/f': 'y' });
  assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/b/c', value: 'nope' }]), /testing value/);
  assert.throws(() => jsonPatch(doc, [{ op: 'replace', path: '/zz', value: 1 }]), /missing/);
});

test('strategic merge: containers merged by name, $patch delete/replace, $setElementOrder, primitive finalizers', () => {
  const pod = {
    metadata: { finalizers: ['a'] },
    spec: { containers: [{ name: 'main', image: 'v1', env: [{ name: 'X', value: '1' }] }, { name: 'side', image: 's1' }], tolerations: [{ key: 't' }] },
  };
  const out = strategicMerge(pod, {
    metadata: { finalizers: ['b'] },
    spec: {
      containers: [{ name: 'main', image: 'v2', env: [{ name: 'Y', value: '2' }] }, { name: 'side', $patch: 'delete' }, { name: 'new', image: 'n' }],
      tolerations: [{ key: 'u' }],
    },
  }) as any;
  assert.deepEqual(out.metadata.finalizers, ['a', 'b']);
  assert.deepEqual(out.spec.containers, [
    { name: 'main', image: 'v2', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] },
    { name: 'new', image: 'n' },
  ]);
  assert.deepEqual(out.spec.tolerations, [{ key: 'u' }], 'lists without a merge key are replaced');
  const ordered = strategicMerge(pod, { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }], containers: [{ name: 'main', image: 'v3' }] } }) as any;
  assert.deepEqual(ordered.spec.containers.map((c: { name: string }) => c.name), ['side', 'main']);
  const replaced = strategicMerge(pod, { spec: { $patch: 'replace', containers: [{ name: 'only', image: 'o' }] } }) as any;
  assert.deepEqual(Object.keys(replaced.spec), ['containers']);
});

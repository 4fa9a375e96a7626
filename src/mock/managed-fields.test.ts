import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, fieldSet, fromFieldsV1, printPath, toFieldsV1, valueAt } from './managed-fields.js';
import type { KubeObject } from './store.js';

const pod = (image: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'a' } },
  spec: { containers: [{ name: 'main', image }], restartPolicy: 'Always' },
  status: { phase: 'Running' },
});

test('field sets of keyed lists use k:{merge key} items, round-trip through FieldsV1, and print like kube-apiserver', () => {
  const set = fieldSet(pod('x'));
  const tree = toFieldsV1(set);
  assert.deepEqual(tree, {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } }, 'f:restartPolicy': {} },
  });
  assert.deepEqual(fromFieldsV1(tree), set);
  const image = [...set].find((p) => p.endsWith('f:image'))!;
  assert.equal(printPath(image), '.spec.containers[name="main"].image');
  assert.equal(valueAt(pod('y'), image), 'y');
});

test('apply conflicts on a keyed-list field owned by another manager with a different value', () => {
  const live = pod('x');
  live.metadata.managedFields = apply(pod('x'), pod('x'), 'a', 'v1', 't0', false, { resource: 'pods', group: '', name: 'p' }).managedFields;
  assert.throws(() => apply(live, pod('y'), 'b', 'v1', 't1', false, { resource: 'pods', group: '', name: 'p' }), /Apply failed with 1 conflict: conflict with "a": \.spec\.containers\[name="main"\]\.image/);
  const forced = apply(live, pod('y'), 'b', 'v1', 't1', true, { resource: 'pods', group: '', name: 'p' });
  assert.deepEqual(forced.managedFields.map((e) => e.manager), ['a', 'b']);
  assert.equal(Object.keys((forced.managedFields[0]!.fieldsV1['f:spec']!['f:containers']!['k:{"name":"main"}'] ?? {})).includes('f:image'), false);
});

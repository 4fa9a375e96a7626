/**
 * PATCH content types and CRD registration over HTTP and with kubectl.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { http, json, kubectl, startFixture, type MockFixture, NO_KUBECTL } from './helpers.js';

let fx: MockFixture;
let url: string;
let kc: string;

before(async () => {
  fx = await startFixture({ lifecycle: { disabled: true } });
  ({ url, kc } = fx);
  await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cfg', labels: { a: '1' } }, data: { k: 'v' } });
});

after(() => fx.close());

const patch = (path: string, type: string, body: string) => http(url, 'PATCH', path, body, { 'Content-Type': type });

test('PATCH: json-patch, merge, strategic; unknown type 415; resourceVersion in a patch is a precondition', async () => {
  const jp = await patch('/api/v1/namespaces/default/configmaps/cfg', 'application/json-patch+json', JSON.stringify([{ op: 'add', path: '/data/j', value: 'p' }]));
  assert.equal(jp.status, 200);
  assert.equal(JSON.parse(jp.body).data.j, 'p');
  const mp = await patch('/api/v1/namespaces/default/configmaps/cfg', 'application/merge-patch+json', JSON.stringify({ data: { k: null } }));
  assert.deepEqual(JSON.parse(mp.body).data, { j: 'p' });
  const sp = await patch('/api/v1/namespaces/default/configmaps/cfg', 'application/strategic-merge-patch+json', JSON.stringify({ metadata: { labels: { b: '2' } } }));
  assert.deepEqual(JSON.parse(sp.body).metadata.labels, { a: '1', b: '2' });
  const bad = await patch('/api/v1/namespaces/default/configmaps/cfg', 'text/plain', 'x');
  assert.equal(bad.status, 415);
  assert.equal(JSON.parse(bad.body).reason, 'UnsupportedMediaType');
  const stale = await patch('/api/v1/namespaces/default/configmaps/cfg', 'application/merge-patch+json', JSON.stringify({ metadata: { resourceVersion: '1' }, data: { z: '1' } }));
  assert.equal(stale.status, 409);
  const broken = await patch('/api/v1/namespaces/default/configmaps/cfg', 'application/merge-patch+json', '{nope');
  assert.equal(broken.status, 400);
  const missing = await patch('/api/v1/namespaces/default/configmaps/none', 'application/merge-patch+json', '{}');
  assert.equal(missing.status, 404);
});

test('server-side apply: fieldManager required, creates then updates; strategic merge on a custom resource is 415', { skip: NO_KUBECTL }, async () => {
  const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: "1"\n';
  const noManager = await patch('/api/v1/namespaces/default/configmaps/applied', 'application/apply-patch+yaml', body);
  assert.equal(noManager.status, 422);
  assert.match(JSON.parse(noManager.body).message, /fieldManager/);
  const created = await patch('/api/v1/namespaces/default/configmaps/applied?fieldManager=test', 'application/apply-patch+yaml', body);
  assert.equal(created.status, 201);
  const updated = await patch('/api/v1/namespaces/default/configmaps/applied?fieldManager=test', 'application/apply-patch+yaml', body.replace('"1"', '"2"'));
  assert.equal(updated.status, 200);
  assert.equal(JSON.parse(updated.body).data.a, '2');
  assert.equal(JSON.parse(updated.body).metadata.managedFields[0].manager, 'test');
  const ssa = await kubectl(kc, ['apply', '--server-side', '-f', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kssa, namespace: default}\ndata: {x: y}\n' });
  assert.equal(ssa.code, 0, ssa.stderr);
  assert.match(ssa.stdout, /serverside-applied/);
  await json(url, 'POST', '/apis/argoproj.io/v1alpha1/namespaces/default/workflowtemplates', { metadata: { name: 't' }, spec: {} });
  const smp = await patch('/apis/argoproj.io/v1alpha1/namespaces/default/workflowtemplates/t', 'application/strategic-merge-patch+json', '{}');
  assert.equal(smp.status, 415);
});

const cm = (data: Record<string, string>, labels?: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  namespace: default\n${labels ? `  labels: ${JSON.stringify(labels)}\n` : ''}data: ${JSON.stringify(data)}\n`;

function managers(obj: { metadata: { managedFields?: Array<{ manager: string; operation: string; fieldsV1: Record<string, Record<string, unknown>> }> } }): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of obj.metadata.managedFields ?? []) out[`${e.manager}/${e.operation}`] = Object.keys(e.fieldsV1['f:data'] ?? {}).sort();
  return out;
}

test('server-side apply field ownership with kubectl: managers, conflicts (409 with causes), --force-conflicts, and updates recorded', { skip: NO_KUBECTL }, async () => {
  const first = await kubectl(kc, ['apply', '--server-side', '-f', '-'], { stdin: cm({ a: '1', b: '1' }, { team: 'x' }) });
  assert.equal(first.code, 0, first.stderr);
  let obj = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps/owned')).body;
  assert.deepEqual(managers(obj), { 'kubectl/Apply': ['f:a', 'f:b'] });
  const entry = obj.metadata.managedFields[0];
  assert.equal(entry.fieldsType, 'FieldsV1');
  assert.equal(entry.apiVersion, 'v1');
  assert.deepEqual(entry.fieldsV1['f:metadata'], { 'f:labels': { 'f:team': {} } });

  // Another manager sets a field to a different value: conflict, nothing changes.
  const clash = await kubectl(kc, ['apply', '--server-side', '--field-manager=other', '-f', '-'], { stdin: cm({ a: '2', c: '1' }) });
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.data\.a/);
  const raw = await http(url, 'PATCH', '/api/v1/namespaces/default/configmaps/owned?fieldManager=other', cm({ a: '2', b: '2' }), { 'Content-Type': 'application/apply-patch+yaml' });
  assert.equal(raw.status, 409);
  const status = JSON.parse(raw.body);
  assert.equal(status.reason, 'Conflict');
  assert.deepEqual(status.details.causes.map((c: { reason: string; field: string; message: string }) => [c.reason, c.field, c.message]), [
    ['FieldManagerConflict', '.data.a', 'conflict with "kubectl"'],
    ['FieldManagerConflict', '.data.b', 'conflict with "kubectl"'],
  ]);
  assert.equal((await json(url, 'GET', '/api/v1/namespaces/default/configmaps/owned')).body.data.a, '1');

  // The same value is shared without conflict.
  const shared = await kubectl(kc, ['apply', '--server-side', '--field-manager=other', '-f', '-'], { stdin: cm({ b: '1' }) });
  assert.equal(shared.code, 0, shared.stderr);
  obj = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps/owned')).body;
  assert.deepEqual(managers(obj), { 'kubectl/Apply': ['f:a', 'f:b'], 'other/Apply': ['f:b'] });

  // --force-conflicts takes ownership.
  const forced = await kubectl(kc, ['apply', '--server-side', '--force-conflicts', '--field-manager=other', '-f', '-'], { stdin: cm({ a: '2', b: '1' }) });
  assert.equal(forced.code, 0, forced.stderr);
  obj = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps/owned')).body;
  assert.equal(obj.data.a, '2');
  assert.deepEqual(managers(obj), { 'kubectl/Apply': ['f:b'], 'other/Apply': ['f:a', 'f:b'] });

  // A field the first manager stops applying, owned by nobody else, is removed; a shared one stays.
  const dropped = await kubectl(kc, ['apply', '--server-side', '-f', '-'], { stdin: cm({}, { team: 'x' }) });
  assert.equal(dropped.code, 0, dropped.stderr);
  obj = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps/owned')).body;
  assert.deepEqual(obj.data, { a: '2', b: '1' });

  // Ordinary updates record their manager (operation Update) and take the fields they change.
  const patched = await kubectl(kc, ['patch', 'configmap', 'owned', '--type=merge', '-p', '{"data":{"a":"3","d":"1"}}']);
  assert.equal(patched.code, 0, patched.stderr);
  obj = (await json(url, 'GET', '/api/v1/namespaces/default/configmaps/owned')).body;
  assert.deepEqual(managers(obj), { 'other/Apply': ['f:b'], 'kubectl/Apply': [], 'kubectl-patch/Update': ['f:a', 'f:d'] }, 'kubectl keeps the labels it applies');
  const byAgent = await http(url, 'PUT', '/api/v1/namespaces/default/configmaps/owned', JSON.stringify({ ...obj, data: { ...obj.data, e: '1' } }), { 'Content-Type': 'application/json', 'User-Agent': 'my-controller/1.0 (linux)' });
  assert.equal(byAgent.status, 200);
  assert.deepEqual(managers(JSON.parse(byAgent.body))['my-controller/Update'], ['f:e']);
  const again = await kubectl(kc, ['apply', '--server-side', '--field-manager=other', '-f', '-'], { stdin: cm({ a: '4', b: '1' }) });
  assert.match(again.stderr, /conflict with "kubectl-patch" using v1: \.data\.a/);
});

test('creating a CustomResourceDefinition registers its resource; deleting it unregisters', { skip: NO_KUBECTL }, async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } }, subresources: { status: {} } }],
    },
  };
  const created = await json(url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  assert.equal(created.status, 201);
  assert.equal(created.body.status.conditions.find((c: { type: string }) => c.type === 'Established').status, 'True');
  const w = await json(url, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } });
  assert.equal(w.status, 201);
  const got = await kubectl(kc, ['get', 'wd', 'w1', '-o', 'jsonpath={.spec.size}']);
  assert.equal(got.stdout, '3', got.stderr);
  const bad = await json(url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { ...crd, metadata: { name: 'wrong' } });
  assert.equal(bad.status, 422);
  const noVersion = await json(url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { ...crd, metadata: { name: 'gadgets.example.com' }, spec: { ...crd.spec, names: { plural: 'gadgets', kind: 'Gadget' }, versions: [null] } });
  assert.equal(noVersion.status, 422);
  assert.equal(noVersion.body.details.causes[0].field, 'spec.versions[0].name');
  await json(url, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
  const gone = await json(url, 'GET', '/apis/example.com/v1/namespaces/default/widgets');
  assert.equal(gone.status, 404);
});

/**
 * PATCH content types and CRD registration over HTTP and with kubectl.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { http, json, kubectl, startFixture, type MockFixture } from './helpers.js';

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

test('server-side apply: fieldManager required, creates then updates; strategic merge on a custom resource is 415', async () => {
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

test('creating a CustomResourceDefinition registers its resource; deleting it unregisters', async () => {
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

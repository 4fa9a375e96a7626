/**
 * The conformance checks (checks.ts) through @kubernetes/client-node, against one mock.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { json, waitFor, type MockFixture } from '../mock/helpers.js';
import { checksFor, Scoreboard } from './checks.js';
import { configMap, runningPod, startConformanceMock } from './fixture.js';

let fx: MockFixture;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let kc: KubeConfig;
const ns = 'node';

before(async () => {
  fx = await startConformanceMock();
  kc = new KubeConfig();
  kc.loadFromFile(fx.kc);
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: ns } } });
});
after(() => fx?.close());

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** failure runs a call that must fail and returns its HTTP code and Status body. */
async function failure(call: () => Promise<unknown>): Promise<{ code: number; body: any; headers: Record<string, string> }> {
  try {
    await call();
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, body: typeof err.body === 'string' ? JSON.parse(err.body) : err.body, headers: err.headers };
    throw err;
  }
  assert.fail('the call succeeded');
}

const cm = (name: string, data?: Record<string, string>) => configMap(name, ns, data) as V1ConfigMap;
const names = async () => (await core.listNamespacedConfigMap({ namespace: ns })).items.map((i) => i.metadata!.name!);

/** rawGet fetches a path with the given headers and returns status, headers and body bytes. */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, fx.url), { headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** rawPost sends a JSON body with extra headers and parses the JSON answer. */
async function rawPost(path: string, body: unknown, headers: Record<string, string>): Promise<any> {
  return (await json(fx.url, 'POST', path, body, headers)).body;
}

const CHECKS: Record<string, () => Promise<void>> = {
  'dry-run-create': async () => {
    const r = await core.createNamespacedConfigMap({ namespace: ns, body: cm('dry'), dryRun: 'All' });
    assert.equal(r.metadata?.name, 'dry');
    assert.ok(!(await names()).includes('dry'));
  },
  'dry-run-delete': async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('keep') });
    await core.deleteNamespacedConfigMap({ name: 'keep', namespace: ns, dryRun: 'All' });
    assert.ok((await names()).includes('keep'));
  },
  'dry-run-delete-all': async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('all-1') });
    const before = await names();
    await core.deleteCollectionNamespacedConfigMap({ namespace: ns, dryRun: 'All' });
    assert.deepEqual(await names(), before);
  },
  'dry-run-delete-body': async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('body') });
    await core.deleteNamespacedConfigMap({ name: 'body', namespace: ns, body: { dryRun: ['All'], propagationPolicy: 'Foreground' } });
    assert.ok((await names()).includes('body'));
  },
  'dry-run-patch': async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('pt') });
    const r = await core.patchNamespacedConfigMap({ name: 'pt', namespace: ns, body: { data: { k: 'a-much-longer-value-than-before' } }, dryRun: 'All' }, merge);
    assert.equal(r.data?.k, 'a-much-longer-value-than-before');
    assert.equal((await core.readNamespacedConfigMap({ name: 'pt', namespace: ns })).data?.k, 'v1');
  },
  'dry-run-bad-value': async () => {
    const f = await failure(() => core.createNamespacedConfigMap({ namespace: ns, body: cm('maybe'), dryRun: 'Maybe' }));
    assert.equal(f.code, 422);
    assert.match(f.body.message, /supported values: "All"/);
  },
  'field-manager-too-long': async () => {
    const f = await failure(() => core.createNamespacedConfigMap({ namespace: ns, body: cm('fm'), fieldManager: 'm'.repeat(129) }));
    assert.equal(f.code, 422);
    assert.match(f.body.message, /may not be more than 128/);
  },
  watch: async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('w') });
    const seen: string[] = [];
    const req = await new Watch(kc).watch(`/api/v1/namespaces/${ns}/configmaps`, { fieldSelector: 'metadata.name=w' }, (type) => seen.push(type), () => {});
    try {
      await waitFor('ADDED', () => seen.includes('ADDED'));
      await core.patchNamespacedConfigMap({ name: 'w', namespace: ns, body: { data: { k: 'v2' } } }, merge);
      await waitFor('MODIFIED', () => seen.includes('MODIFIED'));
    } finally {
      req.abort();
    }
  },
  'list-chunks': async () => {
    for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: ns, body: cm(`chunk-${i}`) });
    const all: string[] = [];
    let cont: string | undefined;
    for (let page = 0; page < 100; page++) {
      const r = await core.listNamespacedConfigMap({ namespace: ns, limit: 2, _continue: cont });
      all.push(...r.items.map((i) => i.metadata!.name!));
      cont = r.metadata?._continue;
      if (!cont) break;
    }
    assert.deepEqual(all, [...(await names())]);
    assert.equal(new Set(all).size, all.length);
  },
  'list-exact': async () => {
    const first = await core.listNamespacedConfigMap({ namespace: ns });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('later') });
    const then = await core.listNamespacedConfigMap({ namespace: ns, resourceVersion: first.metadata!.resourceVersion, resourceVersionMatch: 'Exact' });
    assert.deepEqual(then.items.map((i) => i.metadata!.name), first.items.map((i) => i.metadata!.name));
    assert.equal(then.metadata?.resourceVersion, first.metadata?.resourceVersion);
  },
  'list-match-needs-rv': async () => {
    const f = await failure(() => core.listNamespacedConfigMap({ namespace: ns, resourceVersionMatch: 'NotOlderThan' }));
    assert.equal(f.code, 422);
    assert.match(f.body.message, /resourceVersionMatch is forbidden unless resourceVersion is provided/);
  },
  'too-new-resource-version': async () => {
    const f = await failure(() => core.listNamespacedConfigMap({ namespace: ns, resourceVersion: '999999999' }));
    assert.equal(f.code, 504);
    assert.match(f.body.message, /Too large resource version/);
    assert.equal(f.body.details.retryAfterSeconds, 1);
  },
  patch: async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('lab') });
    const r = await core.patchNamespacedConfigMap({ name: 'lab', namespace: ns, body: { metadata: { labels: { tier: 'gold' } } } }, merge);
    assert.equal(r.metadata?.labels?.tier, 'gold');
  },
  logs: async () => {
    await core.createNamespacedPod({ namespace: ns, body: runningPod('talker', ns, ['hello', 'from the mock']) });
    await waitFor('Running', async () => (await core.readNamespacedPod({ name: 'talker', namespace: ns })).status?.phase === 'Running');
    assert.equal(await core.readNamespacedPodLog({ name: 'talker', namespace: ns }), 'hello\nfrom the mock\n');
  },
  'custom-objects': async () => {
    const g = { group: 'conformance.racerig.dev', version: 'v1', namespace: ns, plural: 'widgets' };
    await custom.createNamespacedCustomObject({ ...g, body: { apiVersion: 'conformance.racerig.dev/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } } });
    const list = (await custom.listNamespacedCustomObject(g)) as { items: Array<{ spec: { size: number } }> };
    assert.deepEqual(list.items.map((i) => i.spec.size), [3]);
  },
  'secret-string-data': async () => {
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'sd' }, stringData: { password: 's3cret' } } });
    const s = await core.readNamespacedSecret({ name: 'sd', namespace: ns });
    assert.equal(s.data?.password, Buffer.from('s3cret').toString('base64'));
    assert.equal(s.stringData, undefined);
  },
  'service-defaults': async () => {
    const s = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } } });
    assert.equal(s.spec?.type, 'ClusterIP');
    assert.equal(s.spec?.sessionAffinity, 'None');
    assert.match(s.spec?.clusterIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  },
  'create-token': async () => {
    const tr = await core.createNamespacedServiceAccountToken({ name: 'default', namespace: ns, body: { spec: { audiences: [] } } });
    const token = tr.status?.token;
    assert.ok(token);
    const r = await rawPost('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { Authorization: `Bearer ${token}` });
    assert.equal(r.status.userInfo.username, `system:serviceaccount:${ns}:default`);
  },
  openapi: async () => {
    for (const path of ['/openapi/v2', '/openapi/v3/api/v1']) {
      const r = await rawGet(path, { 'Accept-Encoding': 'gzip', Accept: 'application/json' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], 'gzip');
      const doc = JSON.parse(gunzipSync(r.body).toString('utf8'));
      const schemas = doc.definitions ?? doc.components.schemas;
      assert.ok(schemas['io.k8s.api.core.v1.Pod'], `${path} has the Pod schema`);
      const again = await rawGet(path, { 'If-None-Match': String(r.headers.etag) });
      assert.equal(again.status, 304);
    }
  },
};

describe('client-node', () => {
  const board = new Scoreboard('client-node');
  after(() => board.print());
  for (const check of checksFor('n')) {
    test(`${check.id}: ${check.does} → ${check.promise}`, async () => {
      const fn = CHECKS[check.id];
      assert.ok(fn, `no client-node implementation of ${check.id}`);
      await board.run(fn);
    });
  }
});

/**
 * The mock's Deployment controller: a ReplicaSet per template (revision 1 first) whose pods, up to
 * spec.replicas, are owned by it; an image change rolls the pods over; status as kubectl rollout status reads it (checked with
 * kubectl itself when it is on PATH); scaling; garbage collection with the Deployment; a Deployment
 * without a pod template is left alone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { json, kubectl, waitFor, startFixture, type MockFixture } from './helpers.js';

let fx: MockFixture;
let url: string;

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 20, jitter: 0 }, podTerminationMs: 20 });
  url = fx.url;
});

after(() => fx.close());

const base = '/apis/apps/v1/namespaces/default/deployments';
const podsOf = async (app: string) =>
  ((await json(url, 'GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).body.items as any[]).filter((p) => !p.metadata.deletionTimestamp);

function deployment(name: string, image: string, replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'controller', image }] } },
    },
  };
}

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

test('a Deployment gets its pods, rolls them over on an image change, and reports status as kubectl reads it', async () => {
  const created = await json(url, 'POST', base, deployment('ctl', 'ctl:a', 2));
  assert.equal(created.status, 201);
  const uid = created.body.metadata.uid;
  const status = async () => (await json(url, 'GET', `${base}/ctl`)).body;
  const first = await waitFor('2 available', async () => {
    const d = await status();
    return d.status?.availableReplicas === 2 && d.status.observedGeneration === 1 ? d : undefined;
  }, 5000);
  assert.deepEqual([first.status.replicas, first.status.updatedReplicas, first.status.readyReplicas], [2, 2, 2]);
  assert.equal(first.status.conditions.find((c: any) => c.type === 'Available').status, 'True');
  const podsA = await podsOf('ctl');
  assert.equal(podsA.length, 2);
  for (const p of podsA) {
    assert.equal(p.spec.containers[0].image, 'ctl:a');
    assert.equal(p.status.phase, 'Running');
    const [owner] = p.metadata.ownerReferences;
    assert.equal(owner.kind, 'ReplicaSet');
    const rs = (await json(url, 'GET', `/apis/apps/v1/namespaces/default/replicasets/${owner.name}`)).body;
    assert.deepEqual(rs.metadata.ownerReferences.map((r: any) => [r.kind, r.uid, r.controller]), [['Deployment', uid, true]]);
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.ok(p.metadata.labels['pod-template-hash']);
  }

  const patched = await json(url, 'PATCH', `${base}/ctl`, { spec: { template: { spec: { containers: [{ name: 'controller', image: 'ctl:b' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.metadata.generation, 2);
  const second = await waitFor('rolled over to ctl:b', async () => {
    const d = await status();
    const pods = await podsOf('ctl');
    const done = d.status?.observedGeneration === 2 && d.status.updatedReplicas === 2 && d.status.replicas === 2 && d.status.availableReplicas === 2;
    return done && pods.length === 2 && pods.every((p) => p.spec.containers[0].image === 'ctl:b') ? pods : undefined;
  }, 5000);
  assert.ok(second.every((p) => !podsA.some((a) => a.metadata.name === p.metadata.name)), 'new pods replaced the old ones');

  if (hasKubectl()) {
    const r = await kubectl(fx.kc, ['rollout', 'status', 'deployment/ctl', '-n', 'default', '--timeout=10s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment "ctl" successfully rolled out/);
  } else console.log('# kubectl not on PATH: the kubectl rollout status cross-check is skipped');

  await json(url, 'PATCH', `${base}/ctl`, { spec: { replicas: 1 } }, { 'content-type': 'application/merge-patch+json' });
  await waitFor('scaled to 1', async () => (await podsOf('ctl')).length === 1 && (await status()).status?.replicas === 1, 5000);

  await json(url, 'DELETE', `${base}/ctl`);
  await waitFor('pods garbage-collected', async () => (await json(url, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dctl')).body.items.length === 0, 5000);
});

test('a Deployment without a pod template gets no pods and no status', async () => {
  const r = await json(url, 'POST', base, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bare' }, spec: { replicas: 1 } });
  assert.equal(r.status, 201);
  // A later Deployment that does roll out proves the controller ran meanwhile.
  await json(url, 'POST', base, deployment('probe', 'p:1', 1));
  await waitFor('probe available', async () => (await json(url, 'GET', `${base}/probe`)).body.status?.availableReplicas === 1, 5000);
  const bare = (await json(url, 'GET', `${base}/bare`)).body;
  assert.equal(bare.status, undefined);
  assert.equal(bare.metadata.resourceVersion, r.body.metadata.resourceVersion);
});

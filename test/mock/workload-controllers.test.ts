/**
 * The mock's workload controllers beyond the basics: a rolling update never has more pods than
 * replicas + maxSurge nor fewer ready than replicas - maxUnavailable; Recreate stops the old pods
 * before starting new ones; rollout history and undo through ReplicaSet revisions; Jobs in NonIndexed
 * and Indexed mode, parallelism, and the backoff limit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { json, openWatch, waitFor, startFixture, type MockFixture } from './helpers.js';

let fx: MockFixture;
let url: string;

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 30, podRunDurationMs: 60, jitter: 0 }, podTerminationMs: 10 });
  url = fx.url;
});
after(() => fx.close());

const deps = '/apis/apps/v1/namespaces/default/deployments';
const jobs = '/apis/batch/v1/namespaces/default/jobs';

function deployment(name: string, image: string, replicas: number, strategy: Record<string, unknown>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, strategy, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } } },
  };
}

const rolledOut = async (name: string, gen: number, replicas: number) => {
  const d = (await json(url, 'GET', `${deps}/${name}`)).body;
  const s = d.status ?? {};
  return s.observedGeneration === gen && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas ? d : undefined;
};

const isReady = (p: any) => p.status?.phase === 'Running' && p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

test('a rolling update stays within maxSurge and maxUnavailable, and rollout history/undo follow ReplicaSet revisions', async () => {
  const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  assert.equal((await json(url, 'POST', deps, deployment('roll', 'img:1', 4, strategy))).status, 201);
  await waitFor('first rollout', () => rolledOut('roll', 1, 4), 10_000);
  // Follow every pod change during the second rollout.
  const w = await openWatch(url, '/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Droll');
  try {
    const pods = new Map<string, any>();
    let maxPods = 0;
    let minReady = Infinity;
    let seen = 0;
    const follow = () => {
      for (; seen < w.events.length; seen++) {
        const ev = w.events[seen];
        if (ev.type === 'DELETED' || ev.object.metadata.deletionTimestamp) pods.delete(ev.object.metadata.name);
        else pods.set(ev.object.metadata.name, ev.object);
        if (seen >= 4) {
          maxPods = Math.max(maxPods, pods.size);
          minReady = Math.min(minReady, [...pods.values()].filter(isReady).length);
        }
      }
    };
    await waitFor('initial pods', () => (follow(), pods.size === 4));
    const patched = await json(url, 'PATCH', `${deps}/roll`, { spec: { template: { spec: { containers: [{ name: 'main', image: 'img:2' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(patched.status, 200);
    await waitFor('second rollout', async () => (follow(), await rolledOut('roll', 2, 4)), 10_000);
    follow();
    assert.ok(maxPods <= 5, `at most replicas + maxSurge pods (saw ${maxPods})`);
    assert.ok(minReady >= 4, `never fewer ready than replicas - maxUnavailable (saw ${minReady})`);
  } finally {
    w.close();
  }
  const rss = (await json(url, 'GET', '/apis/apps/v1/namespaces/default/replicasets')).body.items.filter((r: any) => r.metadata.name.startsWith('roll-'));
  assert.deepEqual(rss.map((r: any) => [r.spec.template.spec.containers[0].image, r.metadata.annotations['deployment.kubernetes.io/revision'], r.spec.replicas]).sort(), [['img:1', '1', 0], ['img:2', '2', 4]]);
  // Undo: back to the first template, which becomes revision 3.
  await json(url, 'PATCH', `${deps}/roll`, { spec: { template: { spec: { containers: [{ name: 'main', image: 'img:1' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
  const back = await waitFor('rolled back', () => rolledOut('roll', 3, 4), 10_000);
  assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision'], '3');
});

test('Recreate stops every old pod before a new one starts', async () => {
  assert.equal((await json(url, 'POST', deps, deployment('rec', 'img:1', 2, { type: 'Recreate' }))).status, 201);
  await waitFor('first rollout', () => rolledOut('rec', 1, 2), 10_000);
  const w = await openWatch(url, '/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Drec');
  try {
    await json(url, 'PATCH', `${deps}/rec`, { spec: { template: { spec: { containers: [{ name: 'main', image: 'img:2' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
    await waitFor('second rollout', () => rolledOut('rec', 2, 2), 10_000);
    const firstNew = w.events.findIndex((e) => e.type === 'ADDED' && e.object.spec.containers[0].image === 'img:2');
    const lastOldGone = w.events.map((e, i) => (e.type === 'DELETED' && e.object.spec.containers[0].image === 'img:1' ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    assert.ok(firstNew > lastOldGone && lastOldGone >= 0, `old pods gone (event ${lastOldGone}) before the first new one (event ${firstNew})`);
  } finally {
    w.close();
  }
});

function job(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { ...spec, template: { metadata: { annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } };
}

const jobDone = async (name: string, type: string) => {
  const j = (await json(url, 'GET', `${jobs}/${name}`)).body;
  return j.status?.conditions?.some((c: any) => c.type === type && c.status === 'True') ? j : undefined;
};

test('Jobs: NonIndexed runs completions pods at most parallelism at once; Indexed gives each pod its index', async () => {
  assert.equal((await json(url, 'POST', jobs, job('plain', { completions: 3, parallelism: 2 }))).status, 201);
  const plain = await waitFor('plain complete', () => jobDone('plain', 'Complete'), 10_000);
  assert.equal(plain.status.succeeded, 3);
  assert.ok(plain.status.completionTime);
  const plainPods = (await json(url, 'GET', '/api/v1/namespaces/default/pods?labelSelector=batch.kubernetes.io%2Fjob-name%3Dplain')).body.items;
  assert.equal(plainPods.length, 3);

  assert.equal((await json(url, 'POST', jobs, job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }))).status, 201);
  const idx = await waitFor('idx complete', () => jobDone('idx', 'Complete'), 10_000);
  assert.equal(idx.status.completedIndexes, '0-2');
  const pods = (await json(url, 'GET', '/api/v1/namespaces/default/pods?labelSelector=job-name%3Didx')).body.items;
  assert.deepEqual(pods.map((p: any) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1', '2']);
  for (const p of pods) {
    assert.equal(p.metadata.labels['batch.kubernetes.io/job-completion-index'], p.metadata.annotations['batch.kubernetes.io/job-completion-index']);
    assert.ok(p.spec.containers[0].env.some((e: any) => e.name === 'JOB_COMPLETION_INDEX'));
  }
});

test('Jobs: failed pods beyond backoffLimit fail the Job with BackoffLimitExceeded', async () => {
  assert.equal((await json(url, 'POST', jobs, job('bad', { backoffLimit: 1 }, { 'racerig.dev/exit-code': '3' }))).status, 201);
  const bad = await waitFor('bad failed', () => jobDone('bad', 'Failed'), 10_000);
  assert.equal(bad.status.failed, 2);
  assert.equal(bad.status.conditions.find((c: any) => c.type === 'Failed').reason, 'BackoffLimitExceeded');
});

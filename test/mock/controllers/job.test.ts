/**
 * The mock's Job controller with backoff limits per index (Kubernetes 1.28+ Indexed Jobs): a failed
 * index is listed in status.failedIndexes and not retried beyond backoffLimitPerIndex while the other
 * indexes keep running to completion; the Job then fails with reason FailedIndexes; more failed
 * indexes than maxFailedIndexes fail it at once (MaxFailedIndexesExceeded). A pod deleted before it
 * succeeded counts as failed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { json, waitFor, startFixture, type MockFixture } from '../helpers.js';

let fx: MockFixture;
let url: string;

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 30, podRunDurationMs: 60, jitter: 0 }, podTerminationMs: 10 });
  url = fx.url;
});
after(() => fx.close());

const jobs = '/apis/batch/v1/namespaces/default/jobs';
const podsOf = async (job: string) => (await json(url, 'GET', `/api/v1/namespaces/default/pods?labelSelector=batch.kubernetes.io%2Fjob-name%3D${job}`)).body.items as any[];
const index = (p: any) => Number(p.metadata.annotations['batch.kubernetes.io/job-completion-index']);

function job(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { completionMode: 'Indexed', ...spec, template: { metadata: { annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } };
}

const finished = async (name: string) => {
  const j = (await json(url, 'GET', `${jobs}/${name}`)).body;
  return j.status?.conditions?.some((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ? j : undefined;
};

test('backoffLimitPerIndex 0: one index failing (its pod deleted mid-run) leaves the others running to success; the Job fails with FailedIndexes', async () => {
  assert.equal((await json(url, 'POST', jobs, job('shards', { completions: 3, parallelism: 3, backoffLimitPerIndex: 0, maxFailedIndexes: 3 }, { 'racerig.dev/run-duration-ms': '1500' }))).status, 201);
  const victim = await waitFor('index 1 running', async () => (await podsOf('shards')).find((p) => index(p) === 1 && p.status?.phase === 'Running'));
  assert.equal((await json(url, 'DELETE', `/api/v1/namespaces/default/pods/${victim.metadata.name}`)).status, 200);
  const mid = (await json(url, 'GET', `${jobs}/shards`)).body;
  assert.ok(!mid.status.conditions?.some((c: any) => c.type === 'Failed'), 'the Job does not fail while other indexes run');
  const j = await waitFor('shards finished', () => finished('shards'), 10_000);
  assert.equal(j.status.failedIndexes, '1');
  assert.equal(j.status.completedIndexes, '0,2');
  assert.equal(j.status.succeeded, 2);
  assert.equal(j.status.failed, 1);
  const failedCond = j.status.conditions.find((c: any) => c.type === 'Failed');
  assert.equal(failedCond.reason, 'FailedIndexes');
  assert.ok(j.status.conditions.some((c: any) => c.type === 'FailureTarget' && c.reason === 'FailedIndexes'));
  const pods = await podsOf('shards');
  assert.deepEqual(pods.map(index).sort(), [0, 2], 'index 1 was not retried');
  assert.ok(pods.every((p) => p.status.phase === 'Succeeded'), 'the other indexes ran to success');
});

test('backoffLimitPerIndex 1 retries each failing index once (failure count annotated), then lists it in failedIndexes', async () => {
  assert.equal((await json(url, 'POST', jobs, job('retry', { completions: 2, parallelism: 2, backoffLimitPerIndex: 1 }, { 'racerig.dev/exit-code': '2' }))).status, 201);
  const j = await waitFor('retry finished', () => finished('retry'), 10_000);
  assert.equal(j.status.failedIndexes, '0-1');
  assert.equal(j.status.failed, 4);
  assert.equal(j.status.conditions.find((c: any) => c.type === 'Failed').reason, 'FailedIndexes');
  const pods = await podsOf('retry');
  assert.equal(pods.length, 4);
  for (const i of [0, 1]) {
    assert.deepEqual(pods.filter((p) => index(p) === i).map((p) => p.metadata.annotations['batch.kubernetes.io/job-index-failure-count']).sort(), ['0', '1']);
  }
});

test('more failed indexes than maxFailedIndexes fail the Job at once and delete its running pods', async () => {
  // Index pods fail quickly; completions beyond parallelism stay unstarted, and the running ones are deleted.
  assert.equal((await json(url, 'POST', jobs, job('max', { completions: 6, parallelism: 2, backoffLimitPerIndex: 0, maxFailedIndexes: 1 }, { 'racerig.dev/exit-code': '1' }))).status, 201);
  const j = await waitFor('max finished', () => finished('max'), 10_000);
  assert.equal(j.status.conditions.find((c: any) => c.type === 'Failed').reason, 'MaxFailedIndexesExceeded');
  const failedIdx = j.status.failedIndexes.split(',').flatMap((r: string) => (r.includes('-') ? [Number(r.split('-')[0]), Number(r.split('-')[1])] : [Number(r)]));
  assert.ok(failedIdx.length >= 2, j.status.failedIndexes);
  await waitFor('no active pods', async () => ((await podsOf('max')).every((p) => p.status.phase === 'Failed' || p.status.phase === 'Succeeded') ? true : undefined));
  assert.ok((await podsOf('max')).length < 6, 'not every index was started');
});

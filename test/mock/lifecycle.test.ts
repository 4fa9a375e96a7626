/**
 * Simulated lifecycle and pod logs: pods and workflows move through their phases; logs come from
 * defaults, a file, or an annotation; kubectl logs works.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { http, json, kubectl, podManifest, waitFor, writeTemp, startFixture, type MockFixture, NO_KUBECTL } from './helpers.js';

let fx: MockFixture;
let url: string;
let kc: string;

before(async () => {
  fx = await startFixture((dir) => ({
    lifecycle: { podStartDelayMs: 30, podRunDurationMs: 150, workflowStartDelayMs: 30, workflowRunDurationMs: 150, jitter: 0.2 },
    logs: { file: writeTemp(dir, 'race.log', 'WARNING: DATA RACE\nWrite at 0x00c0001 by goroutine 7:\n') },
  }));
  ({ url, kc } = fx);
});

after(() => fx.close());

const phase = async (path: string) => (await json(url, 'GET', path)).body.status?.phase;

test('pods go Pending → Running → Succeeded (restartPolicy Never) and stay Running with Always', async () => {
  const never = await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest('job-pod', 'default', {}, { restartPolicy: 'Never' }));
  assert.equal(never.body.status.phase, 'Pending');
  const always = await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest('svc-pod', 'default'));
  await waitFor('Running', async () => (await phase('/api/v1/namespaces/default/pods/job-pod')) === 'Running', 3000);
  await waitFor('Succeeded', async () => (await phase('/api/v1/namespaces/default/pods/job-pod')) === 'Succeeded', 3000);
  const done = (await json(url, 'GET', '/api/v1/namespaces/default/pods/job-pod')).body;
  assert.equal(done.status.containerStatuses[0].state.terminated.exitCode, 0);
  assert.equal(done.spec.nodeName, 'racerig-node');
  assert.equal(await phase('/api/v1/namespaces/default/pods/svc-pod'), 'Running');
  assert.equal(always.status, 201);
});

test('annotations override the run time and exit code; workflows go Pending → Running → Succeeded', async () => {
  const pod = podManifest('fails', 'default', {}, { restartPolicy: 'OnFailure' });
  (pod.metadata as Record<string, unknown>).annotations = { 'racerig.dev/run-duration-ms': '0', 'racerig.dev/exit-code': '3', 'racerig.dev/start-delay-ms': '0' };
  await json(url, 'POST', '/api/v1/namespaces/default/pods', pod);
  await waitFor('Failed', async () => (await phase('/api/v1/namespaces/default/pods/fails')) === 'Failed', 3000);
  const wf = await json(url, 'POST', '/apis/argoproj.io/v1alpha1/namespaces/default/workflows', {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: 'wf-' },
    spec: { entrypoint: 'main' },
  });
  assert.equal(wf.body.status.phase, 'Pending');
  const path = `/apis/argoproj.io/v1alpha1/namespaces/default/workflows/${wf.body.metadata.name}`;
  const seen = new Set<string>();
  await waitFor('Succeeded', async () => {
    const p = await phase(path);
    seen.add(p);
    return p === 'Succeeded';
  }, 3000);
  assert.ok(seen.has('Running') || seen.has('Pending'));
  const final = (await json(url, 'GET', path)).body;
  assert.equal(final.metadata.labels['workflows.argoproj.io/completed'], 'true');
  assert.ok(final.status.startedAt && final.status.finishedAt);
});

test('pods/log returns the configured lines (from a file), honours tailLines, container and annotation; kubectl logs works', { skip: NO_KUBECTL }, async () => {
  await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest('logger', 'default'));
  const early = await http(url, 'GET', '/api/v1/namespaces/default/pods/logger/log');
  if (early.status !== 200) assert.match(JSON.parse(early.body).message, /waiting to start/);
  await waitFor('Running', async () => (await phase('/api/v1/namespaces/default/pods/logger')) === 'Running', 3000);
  const all = await http(url, 'GET', '/api/v1/namespaces/default/pods/logger/log');
  assert.equal(all.body, 'WARNING: DATA RACE\nWrite at 0x00c0001 by goroutine 7:\n');
  const tail = await http(url, 'GET', '/api/v1/namespaces/default/pods/logger/log?tailLines=1');
  assert.equal(tail.body, 'Write at 0x00c0001 by goroutine 7:\n');
  const since = await http(url, 'GET', `/api/v1/namespaces/default/pods/logger/log?sinceTime=${encodeURIComponent(new Date(Date.now() + 60000).toISOString())}`);
  assert.equal(since.body, '', 'no line was written after sinceTime');
  const wrong = await http(url, 'GET', '/api/v1/namespaces/default/pods/logger/log?container=nope');
  assert.equal(wrong.status, 400);
  const prev = await http(url, 'GET', '/api/v1/namespaces/default/pods/logger/log?previous=true');
  assert.equal(prev.status, 400);
  const viaKubectl = await kubectl(kc, ['logs', 'logger']);
  assert.equal(viaKubectl.code, 0, viaKubectl.stderr);
  assert.match(viaKubectl.stdout, /DATA RACE/);

  const annotated = podManifest('custom-log', 'default', {}, { restartPolicy: 'Never' });
  (annotated.metadata as Record<string, unknown>).annotations = { 'racerig.dev/log': 'panic: nil pointer\ngoroutine 1 [running]:' };
  await json(url, 'POST', '/api/v1/namespaces/default/pods', annotated);
  await waitFor('Running', async () => (await phase('/api/v1/namespaces/default/pods/custom-log')) !== 'Pending', 3000);
  // follow streams until the container finishes.
  const followed = await http(url, 'GET', '/api/v1/namespaces/default/pods/custom-log/log?follow=true');
  assert.equal(followed.body, 'panic: nil pointer\ngoroutine 1 [running]:\n');
  assert.notEqual(await phase('/api/v1/namespaces/default/pods/custom-log'), 'Running');
});

/**
 * The mock's process runner (--run-image): an Indexed Job's pods run a real node script with the
 * Job's env (JOB_COMPLETION_INDEX, downward-API fields, `$(VAR)` in args), its output is the pod log
 * (tail, follow, previous), its exit code the container's terminated state and the pod's phase,
 * restartPolicy OnFailure restarts it, and deleting the pod or stopping the mock kills its process group.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { http, json, waitFor, startFixture, tempDir, writeTemp, type MockFixture } from './helpers.js';

const IMAGE = 'racerig-test:script';
let fx: MockFixture;
let dir: ReturnType<typeof tempDir>;
let script: string;

// The "image": prints its env and args, then behaves as its first arg says.
const SCRIPT = `
const mode = process.argv[2];
console.log(JSON.stringify({ index: process.env.JOB_COMPLETION_INDEX, pod: process.env.POD_NAME, node: process.env.NODE_NAME, args: process.argv.slice(2), pid: process.pid }));
if (mode === 'exit') process.exit(Number(process.argv[3]));
if (mode === 'crash-once') {
  const fs = require('node:fs');
  const marker = process.argv[3];
  if (!fs.existsSync(marker)) { fs.writeFileSync(marker, ''); console.error('first instance fails'); process.exit(3); }
  console.log('second instance ok');
  process.exit(0);
}
if (mode === 'sleep') {
  process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(143); });
  let n = 0;
  const t = setInterval(() => { console.log('tick ' + (++n)); if (n > 300) clearInterval(t); }, 100);
}
`;

before(async () => {
  dir = tempDir('racerig-runner-');
  script = writeTemp(dir.dir, 'image.cjs', SCRIPT);
  fx = await startFixture({ lifecycle: { podStartDelayMs: 10, jitter: 0, runImages: { [IMAGE]: `${process.execPath} ${script}` } }, podTerminationMs: 10 });
});
after(async () => {
  await fx.close();
  dir.remove();
});

const pods = '/api/v1/namespaces/default/pods';
const jobs = '/apis/batch/v1/namespaces/default/jobs';
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function pod(name: string, args: string[], restartPolicy = 'Never') {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy, containers: [{ name: 'main', image: IMAGE, args }] } };
}

test('an Indexed Job runs each index as a process with JOB_COMPLETION_INDEX, downward-API env and $(VAR) args; exit 0 completes the Job', async () => {
  const env = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ];
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'idx' },
    spec: { completionMode: 'Indexed', completions: 3, parallelism: 3, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: IMAGE, args: ['exit', '0', 'shard=$(JOB_COMPLETION_INDEX)/3', '$$(kept)'], env }] } } },
  };
  assert.equal((await json(fx.url, 'POST', jobs, job)).status, 201);
  const done = await waitFor('job complete', async () => {
    const j = (await json(fx.url, 'GET', `${jobs}/idx`)).body;
    return j.status?.succeeded === 3 ? j : undefined;
  }, 15000);
  assert.equal(done.status.completedIndexes, '0-2');
  const list = (await json(fx.url, 'GET', `${pods}?labelSelector=job-name%3Didx`)).body.items;
  assert.equal(list.length, 3);
  for (const p of list) {
    assert.equal(p.status.phase, 'Succeeded');
    assert.equal(p.status.containerStatuses[0].state.terminated.exitCode, 0);
    const log = await http(fx.url, 'GET', `${pods}/${p.metadata.name}/log`);
    const first = JSON.parse(log.body.toString().split('\n')[0]!);
    const index = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
    assert.deepEqual(first.args, ['exit', '0', `shard=${index}/3`, '$(kept)']);
    assert.equal(first.index, index);
    assert.equal(first.pod, p.metadata.name);
    assert.equal(first.node, p.spec.nodeName);
  }
});

test('a non-zero exit fails a Never pod with that exit code; OnFailure restarts it and serves the previous log', async () => {
  assert.equal((await json(fx.url, 'POST', pods, pod('fails', ['exit', '7']))).status, 201);
  const failed = await waitFor('failed', async () => {
    const p = (await json(fx.url, 'GET', `${pods}/fails`)).body;
    return p.status?.phase === 'Failed' ? p : undefined;
  }, 10000);
  assert.equal(failed.status.containerStatuses[0].state.terminated.exitCode, 7);
  assert.equal(failed.status.containerStatuses[0].state.terminated.reason, 'Error');

  const marker = `${dir.dir}/crash-marker`;
  assert.equal((await json(fx.url, 'POST', pods, pod('crash', ['crash-once', marker], 'OnFailure'))).status, 201);
  const ok = await waitFor('succeeded after a restart', async () => {
    const p = (await json(fx.url, 'GET', `${pods}/crash`)).body;
    return p.status?.phase === 'Succeeded' ? p : undefined;
  }, 10000);
  const cs = ok.status.containerStatuses[0];
  assert.equal(cs.restartCount, 1);
  assert.equal(cs.lastState.terminated.exitCode, 3);
  const prev = (await http(fx.url, 'GET', `${pods}/crash/log?previous=true`)).body.toString();
  assert.match(prev, /first instance fails/);
  const cur = (await http(fx.url, 'GET', `${pods}/crash/log?tailLines=1`)).body.toString();
  assert.equal(cur, 'second instance ok\n');
});

test('follow streams output as it comes; deleting the pod SIGTERMs its process group and the pod goes once it exited', async () => {
  assert.equal((await json(fx.url, 'POST', pods, pod('sleeper', ['sleep']))).status, 201);
  await waitFor('running', async () => ((await json(fx.url, 'GET', `${pods}/sleeper`)).body.status?.phase === 'Running' ? true : undefined));
  const res = await fetch(`${fx.url}${pods}/sleeper/log?follow=true`);
  const reader = res.body!.getReader();
  let text = '';
  const dec = new TextDecoder();
  while (!/tick 2\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  const pid = JSON.parse(text.split('\n')[0]!).pid as number;
  assert.ok(alive(pid));
  assert.equal((await json(fx.url, 'DELETE', `${pods}/sleeper`)).status, 200);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  assert.match(text, /got SIGTERM\n$/);
  await waitFor('pod gone', async () => ((await json(fx.url, 'GET', `${pods}/sleeper`)).status === 404 ? true : undefined));
  await waitFor('process gone', () => (alive(pid) ? undefined : true));
});

test('stopping the mock kills the processes it runs', async () => {
  const own = await startFixture({ lifecycle: { podStartDelayMs: 10, jitter: 0, runImages: { [IMAGE]: `${process.execPath} ${script}` } } });
  try {
    assert.equal((await json(own.url, 'POST', pods, pod('left', ['sleep']))).status, 201);
    const log = await waitFor('output', async () => {
      const r = await http(own.url, 'GET', `${pods}/left/log`);
      return r.status === 200 && r.body.toString().includes('tick 1') ? r.body.toString() : undefined;
    });
    const pid = JSON.parse(log.split('\n')[0]!).pid as number;
    await own.close();
    await waitFor('process gone', () => (alive(pid) ? undefined : true));
  } finally {
    await own.close();
  }
});

/**
 * `racerig mock` runs in-process: prints its URL, writes a working kubeconfig, and stops on SIGINT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { kubectl, tempDir, waitFor, http, json, podManifest, NO_KUBECTL } from './helpers.js';

test('racerig mock prints its URL, writes the kubeconfig, serves kubectl, and exits 0 on SIGINT', { skip: NO_KUBECTL }, async () => {
  const tmp = tempDir();
  try {
    const ctx = captureContext({ cwd: tmp.dir });
    const done = main(['mock', '--kubeconfig-out', 'out/mock.kubeconfig'], ctx);
    const url = await waitFor('the URL line', () => /listening on (http:\/\/\S+)/.exec(ctx.out())?.[1]);
    const kc = join(tmp.dir, 'out', 'mock.kubeconfig');
    assert.match(readFileSync(kc, 'utf8'), new RegExp(`server: ${url}`));
    assert.equal((await http(url, 'GET', '/version')).status, 200);
    const pods = await kubectl(kc, ['get', 'pods', '-A']);
    assert.equal(pods.code, 0, pods.stderr);
    ctx.signals.emit('SIGINT');
    assert.equal(await done, 0);
    assert.match(ctx.err(), /SIGINT received/);
  } finally {
    tmp.remove();
  }
});

test('racerig mock rejects a bad --port with the usage exit code', async () => {
  const ctx = captureContext();
  const code = await main(['mock', '--port', 'http'], ctx);
  assert.equal(code, 2);
  assert.match(ctx.err(), /--port must be an integer/);
});

test('racerig mock applies fault flags', async () => {
  const tmp = tempDir();
  try {
    const ctx = captureContext({ cwd: tmp.dir });
    const done = main(['mock', '--kubeconfig-out', 'k', '--error', 'list/configmaps=503:1:4'], ctx);
    const url = await waitFor('the URL line', () => /listening on (http:\/\/\S+)/.exec(ctx.out())?.[1]);
    const r = await http(url, 'GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '4');
    assert.equal((await http(url, 'GET', '/api/v1/namespaces/default')).status, 200);
    ctx.signals.emit('SIGTERM');
    assert.equal(await done, 0);
  } finally {
    tmp.remove();
  }
});

test('racerig mock --no-workflow-lifecycle: Workflows stay as created for a real controller while pods still run', async () => {
  const tmp = tempDir();
  const ctx = captureContext({ cwd: tmp.dir });
  const done = main(['mock', '--kubeconfig-out', 'k', '--no-workflow-lifecycle', '--pod-start-delay', '0'], ctx);
  try {
    const url = await waitFor('the URL line', () => /listening on (http:\/\/\S+)/.exec(ctx.out())?.[1]);
    const wf = await json(url, 'POST', '/apis/argoproj.io/v1alpha1/namespaces/default/workflows', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'owned-elsewhere', annotations: { 'racerig.dev/start-delay-ms': '0', 'racerig.dev/run-duration-ms': '0' } },
      spec: { entrypoint: 'main' },
    });
    assert.equal(wf.status, 201);
    // The pod starts 100 ms later than the workflow would have started and finished with the simulation on.
    const pod = podManifest('still-runs', 'default', {}, { restartPolicy: 'Never' }) as { metadata: Record<string, unknown> };
    pod.metadata.annotations = { 'racerig.dev/start-delay-ms': '100' };
    assert.equal((await json(url, 'POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
    await waitFor('the pod Running', async () => (await json(url, 'GET', '/api/v1/namespaces/default/pods/still-runs')).body.status?.phase === 'Running');
    const after = (await json(url, 'GET', '/apis/argoproj.io/v1alpha1/namespaces/default/workflows/owned-elsewhere')).body;
    assert.equal(after.metadata.resourceVersion, wf.body.metadata.resourceVersion, 'nothing wrote the workflow');
    assert.deepEqual([after.status, after.metadata.labels], [wf.body.status, wf.body.metadata.labels]);
  } finally {
    ctx.signals.emit('SIGINT');
    assert.equal(await done, 0);
    tmp.remove();
  }
});

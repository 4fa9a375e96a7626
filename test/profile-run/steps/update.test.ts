import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, patchRequest } from '../../../src/kube/requests.js';
import { annotationsOf, startBench } from './harness.js';

test('update: GET, set fields, PUT with a fresh sent-at stamp; optimistic with a stale copy gets 409 and falls back to GET+PUT', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - update: {resource: configmaps, name: u, set: {data.n: "{{iteration}}"}, optimistic: true, retryOnConflict: 1}
            as: cm`);
    assert.equal((await b.direct(createRequest(b.pathsOf('configmaps'), 'default', { metadata: { name: 'u' }, data: { n: 'x' } }))).status, 201);
    const before = Date.now();
    const first = await b.run(steps, 1);
    assert.equal((first.cm as { data: Record<string, string> }).data.n, '1');
    const stamp = Number(annotationsOf(first.cm)['racerig.io/sent-at']);
    assert.ok(stamp >= before - 1 && stamp <= Date.now() + 1, `stamp ${stamp}`);
    assert.deepEqual(b.sent.map((s) => [s.method, s.status]), [['GET', 200], ['PUT', 200]]);
    // Someone else writes the object: this worker's copy is stale.
    assert.equal((await b.direct(patchRequest(b.pathsOf('configmaps'), 'default', 'u', 'merge', { data: { other: 'y' } }))).status, 200);
    b.sent.length = 0;
    const second = await b.run(steps, 2);
    assert.deepEqual(b.sent.map((s) => [s.method, s.status]), [['PUT', 409], ['GET', 200], ['PUT', 200]]);
    assert.deepEqual((second.cm as { data: Record<string, string> }).data, { n: '2', other: 'y' });
  } finally {
    await b.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest } from '../../../src/kube/requests.js';
import { rejectsWithStepFailure, startBench } from './harness.js';

test('get: reads one object into as; a missing object fails the step with 404 NotFound', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - get: {resource: configmaps, name: "g-{{iteration}}"}
            as: got`);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g-1' }, data: { x: '1' } };
    assert.equal((await b.direct(createRequest(b.pathsOf('configmaps'), 'default', cm))).status, 201);
    const objects = await b.run(steps, 1);
    assert.deepEqual((objects.got as { data: unknown }).data, { x: '1' });
    assert.deepEqual(b.sent.map((s) => [s.method, s.path, s.status]), [['GET', '/api/v1/namespaces/default/configmaps/g-1', 200]]);
    await rejectsWithStepFailure(b.run(steps, 2), /: 404 NotFound$/);
  } finally {
    await b.close();
  }
});

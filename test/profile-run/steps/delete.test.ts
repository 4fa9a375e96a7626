import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest } from '../../../src/kube/requests.js';
import { rejectsWithStepFailure, startBench } from './harness.js';

test('delete: deletes one object with its options; a missing one fails with 404 unless ignoreNotFound', async () => {
  const b = await startBench();
  try {
    const strict = await b.steps(`
          - delete: {resource: configmaps, name: d, gracePeriodSeconds: 0, propagationPolicy: Background}`);
    const lenient = await b.steps(`
          - delete: {resource: configmaps, name: d, ignoreNotFound: true}`);
    assert.equal((await b.direct(createRequest(b.pathsOf('configmaps'), 'default', { metadata: { name: 'd' } }))).status, 201);
    await b.run(strict);
    assert.equal(b.sent[0]!.method, 'DELETE');
    assert.equal(b.sent[0]!.status, 200);
    assert.ok(b.sent[0]!.body?.includes('"propagationPolicy":"Background"') || b.sent[0]!.path.includes('propagationPolicy=Background'), JSON.stringify(b.sent[0]));
    await rejectsWithStepFailure(b.run(strict), /: 404 NotFound$/);
    await b.run(lenient);
    assert.deepEqual(b.sent.map((s) => s.status), [200, 404, 404]);
  } finally {
    await b.close();
  }
});

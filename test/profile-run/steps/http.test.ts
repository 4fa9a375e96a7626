import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWithStepFailure, startBench } from './harness.js';

test('http: sends its method, path, headers and JSON body (as application/json); success is expectStatus, else any 2xx', async () => {
  const b = await startBench();
  try {
    const ok = await b.steps(`
          - http: {method: POST, path: "/api/v1/namespaces/default/configmaps", headers: {X-Note: "it {{iteration}}"}, body: {apiVersion: v1, kind: ConfigMap, metadata: {name: "h-{{iteration}}"}}, expectStatus: [201]}
          - http: {method: GET, path: "/api/v1/namespaces/default/configmaps/h-{{iteration}}"}`);
    await b.run(ok, 4);
    assert.deepEqual(b.sent.map((s) => [s.method, s.path, s.status]), [
      ['POST', '/api/v1/namespaces/default/configmaps', 201],
      ['GET', '/api/v1/namespaces/default/configmaps/h-4', 200],
    ]);
    assert.equal(b.sent[0]!.headers['content-type'], 'application/json');
    assert.equal(b.sent[0]!.headers['x-note'], 'it 4');
    assert.equal(JSON.parse(b.sent[0]!.body!).metadata.name, 'h-4');
    const strict = await b.steps(`
          - http: {method: GET, path: "/api/v1/namespaces/default/configmaps/h-4", expectStatus: [404]}`);
    await rejectsWithStepFailure(b.run(strict), /: 200 /);
  } finally {
    await b.close();
  }
});

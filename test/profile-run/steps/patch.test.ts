import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest } from '../../../src/kube/requests.js';
import { annotationsOf, startBench } from './harness.js';

test('patch: a merge patch carries the sent-at stamp, a JSON patch is sent as written, an apply patch names field manager racerig', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - patch: {resource: configmaps, name: p, body: {data: {m: "{{iteration}}"}}}
            as: merged
          - patch: {resource: configmaps, name: p, type: json, body: [{op: add, path: /data/j, value: "1"}]}
          - patch: {resource: configmaps, name: p, type: apply, body: {apiVersion: v1, kind: ConfigMap, metadata: {name: p}, data: {a: "1"}}}
            as: applied`);
    assert.equal((await b.direct(createRequest(b.pathsOf('configmaps'), 'default', { metadata: { name: 'p' }, data: {} }))).status, 201);
    const before = Date.now();
    const objects = await b.run(steps, 3);
    assert.deepEqual(b.sent.map((s) => [s.method, s.status]), [['PATCH', 200], ['PATCH', 200], ['PATCH', 200]]);
    const stamp = Number(annotationsOf(objects.merged)['racerig.io/sent-at']);
    assert.ok(stamp >= before - 1 && stamp <= Date.now() + 1, `stamp ${stamp}`);
    assert.equal((objects.merged as { data: Record<string, string> }).data.m, '3');
    assert.equal(b.sent[1]!.body, '[{"op":"add","path":"/data/j","value":"1"}]');
    assert.match(b.sent[2]!.path, /[?&]fieldManager=racerig(&|$)/);
    assert.deepEqual((objects.applied as { data: Record<string, string> }).data, { m: '3', j: '1', a: '1' });
  } finally {
    await b.close();
  }
});

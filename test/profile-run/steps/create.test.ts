import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationsOf, rejectsWithStepFailure, startBench } from './harness.js';

test('create: POSTs the rendered manifest with the run label and a sent-at stamp of the send time; as stores the created object; 409 fails the step', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: "cm-{{iteration}}"}, data: {k: "v{{iteration}}"}}
            as: cm`);
    const before = Date.now();
    const objects = await b.run(steps, 7);
    const cm = objects.cm as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> };
    assert.equal(cm.metadata.name, 'cm-7');
    assert.equal(cm.data.k, 'v7');
    assert.equal(cm.metadata.labels['racerig.io/run'], 'steptest');
    const stamp = Number(annotationsOf(cm)['racerig.io/sent-at']);
    assert.ok(stamp >= before - 1 && stamp <= Date.now() + 1, `stamp ${stamp}`);
    assert.deepEqual(b.sent.map((s) => [s.method, s.path, s.status, s.operation]), [['POST', '/api/v1/namespaces/default/configmaps', 201, steps[0]!.operationIndex]]);
    assert.ok(!b.sent[0]!.body!.includes('__racerig_sent_at__'), 'the placeholder is filled');
    const f = await rejectsWithStepFailure(b.run(steps, 7), /: 409 AlreadyExists$/);
    assert.ok(f.reason.startsWith(steps[0]!.operation), f.reason);
  } finally {
    await b.close();
  }
});

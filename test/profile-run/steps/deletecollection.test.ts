import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, listRequest } from '../../../src/kube/requests.js';
import { startBench } from './harness.js';

test("deletecollection: deletes only the run's objects matching the selector (the run label is always added)", async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: "dc-{{iteration}}", labels: {app: dc}}}
          - deletecollection: {resource: configmaps, labelSelector: app=dc}`);
    // Not the run's: the same label, no run label.
    assert.equal((await b.direct(createRequest(b.pathsOf('configmaps'), 'default', { metadata: { name: 'foreign', labels: { app: 'dc' } } }))).status, 201);
    await b.run(steps.slice(0, 1), 1);
    await b.run(steps.slice(0, 1), 2);
    await b.run(steps.slice(1));
    const del = b.sent[2]!;
    assert.equal(del.method, 'DELETE');
    assert.equal(del.status, 200);
    assert.ok(decodeURIComponent(del.path).includes('labelSelector=racerig.io/run=steptest,app=dc'), del.path);
    const left = JSON.parse((await b.direct(listRequest(b.pathsOf('configmaps'), 'default', { labelSelector: 'app=dc' }))).body.toString()) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(left.items.map((o) => o.metadata.name), ['foreign']);
  } finally {
    await b.close();
  }
});

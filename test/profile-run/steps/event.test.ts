import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteRequest } from '../../../src/kube/requests.js';
import { startBench } from './harness.js';

test('event: a repeat PATCHes the recorded Event; when that Event is gone (404) the repeat POSTs it anew with the run label', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - event:
              involvedObject: {apiVersion: v1, kind: Pod, name: web}
              reason: Tested
              message: same every time`);
    await b.run(steps);
    await b.run(steps);
    assert.deepEqual(b.sent.map((s) => [s.method, s.status]), [['POST', 201], ['PATCH', 200]]);
    const posted = JSON.parse(b.sent[0]!.body!) as { metadata: { name: string; labels: Record<string, string> }; count: number; involvedObject: { name: string; namespace: string } };
    assert.equal(posted.count, 1);
    assert.equal(posted.metadata.labels['racerig.io/run'], 'steptest');
    assert.deepEqual([posted.involvedObject.name, posted.involvedObject.namespace], ['web', 'default']);
    assert.ok(b.sent[1]!.path.endsWith(`/events/${posted.metadata.name}`), b.sent[1]!.path);
    assert.equal(JSON.parse(b.sent[1]!.body!).count, 2);
    assert.equal((await b.direct(deleteRequest(b.pathsOf('events'), 'default', posted.metadata.name))).status, 200);
    await b.run(steps);
    assert.deepEqual(b.sent.slice(2).map((s) => [s.method, s.status]), [['PATCH', 404], ['POST', 201]]);
    assert.equal(JSON.parse(b.sent[3]!.body!).count, 1);
  } finally {
    await b.close();
  }
});

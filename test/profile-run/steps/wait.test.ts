import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest } from '../../../src/kube/requests.js';
import { waitFor } from '../../kube/helpers.js';
import { rejectsWithStepFailure, startBench } from './harness.js';

test('wait: an object that does not exist yet (GET 404) is watched until it appears meeting the condition; as stores it', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - wait: {resource: configmaps, name: later, until: {field: data.ready, equals: "yes"}, timeout: 10s}
            as: seen`);
    const waiting = b.run(steps);
    await waitFor('the GET and the watch', () => b.sent.length === 2 && b.sent[1]!.status === 200);
    assert.equal(b.sent[0]!.status, 404);
    assert.ok(b.sent[1]!.path.includes('watch=') && decodeURIComponent(b.sent[1]!.path).includes('fieldSelector=metadata.name=later'), b.sent[1]!.path);
    assert.equal((await b.direct(createRequest(b.pathsOf('configmaps'), 'default', { metadata: { name: 'later' }, data: { ready: 'yes' } }))).status, 201);
    const objects = await waiting;
    assert.equal((objects.seen as { metadata: { name: string } }).metadata.name, 'later');
    assert.equal(b.sent.length, 2, 'no polling');
  } finally {
    await b.close();
  }
});

test('wait: a condition not met in time fails as timeout; a stopping run fails the wait as stopped', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - wait: {resource: configmaps, name: never, until: {field: data.ready, exists: true}, timeout: 300ms}`);
    const t0 = performance.now();
    await rejectsWithStepFailure(b.run(steps), /: timeout$/);
    assert.ok(performance.now() - t0 >= 299);
    b.ctx.stopping = () => true;
    await rejectsWithStepFailure(b.run(steps), /: stopped$/);
  } finally {
    await b.close();
  }
});

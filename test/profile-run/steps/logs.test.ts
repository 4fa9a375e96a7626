import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWithStepFailure, startBench } from './harness.js';

test('logs: reads pods/log with its options; follow holds the stream for its time and then ends it; a missing pod fails the step', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - create:
              manifest: {apiVersion: v1, kind: Pod, metadata: {name: lg, annotations: {racerig.dev/log: "a\\nb"}}, spec: {containers: [{name: main, image: x}]}}
          - wait: {resource: pods, name: lg, until: {field: status.phase, equals: Running}, timeout: 5s}
          - logs: {pod: lg, container: main, tailLines: 1, timestamps: true}
          - logs: {pod: lg, follow: 300ms}`);
    await b.run(steps.slice(0, 3));
    const read = b.sent.at(-1)!;
    assert.equal(read.status, 200);
    assert.ok(read.path.startsWith('/api/v1/namespaces/default/pods/lg/log?'), read.path);
    assert.ok(['container=main', 'tailLines=1', 'timestamps=true'].every((q) => read.path.includes(q)), read.path);
    const t0 = performance.now();
    await b.run(steps.slice(3));
    const took = performance.now() - t0;
    const followed = b.sent.at(-1)!;
    assert.ok(followed.path.includes('follow=true'), followed.path);
    assert.equal(followed.status, 200);
    assert.ok(took >= 299, `followed for ${took} ms`);
    const missing = await b.steps(`
          - logs: {pod: nope}`);
    await rejectsWithStepFailure(b.run(missing), /: 404 NotFound$/);
  } finally {
    await b.close();
  }
});

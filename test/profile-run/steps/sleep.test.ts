import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBench } from './harness.js';

test('sleep: pauses the iteration for its duration and sends nothing', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - sleep: 150ms`);
    const t0 = performance.now();
    await b.run(steps);
    const took = performance.now() - t0;
    assert.ok(took >= 149, `slept ${took} ms`);
    assert.equal(b.sent.length, 0);
  } finally {
    await b.close();
  }
});

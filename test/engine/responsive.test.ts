import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LoadEngine } from '../../src/engine/engine.js';
import { startServerThread } from '../fixtures/server-thread.js';

test('the main thread stays responsive while workers run at full speed (closed model)', async () => {
  const server = await startServerThread();
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  try {
    let ticks = 0;
    const engine = new LoadEngine({
      workers: 2,
      connections: 16,
      operations: ['GET /'],
      requests: [{ operation: 0, method: 'GET', path: '/', headers: {} }],
      origin: server.url,
      pipelining: 1,
      timeoutMs: 5000,
      maxInFlight: 0,
      model: { kind: 'closed' },
      maxRequests: Infinity,
      durationMs: 3000,
      maxLagMs: 10_000,
      gatherMs: 0.5,
      onTick: () => ticks++,
    });
    histogram.enable();
    const outcome = await engine.start();
    histogram.disable();
    assert.ok(outcome.final.totals().requests > 1000, 'load ran');
    assert.ok(ticks >= 2, 'the per-second tick ran on time');
    // Workers do all request work; the main thread only ticks once per second.
    const p99Ms = histogram.percentile(99) / 1e6;
    assert.ok(p99Ms < 100, `main-thread event-loop delay p99 ${p99Ms.toFixed(1)} ms`);
  } finally {
    await server.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startStallServer, stallTruthMs } from './stall-server.js';

function get(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    })
      .on('error', reject)
      .end();
  });
}

test('a request inside a stall window is held until the window ends; outside it is answered at once', async () => {
  // The schedule is anchored at the first request: its first window is [0, 300) ms after it.
  const server = await startStallServer({ stallMs: 300, periodMs: 10_000 });
  try {
    const first = await get(server.url);
    assert.ok(first >= 295 && first < 1000, `first request waited ${first} ms`);
    const second = await get(server.url);
    assert.ok(second < 100, `second request (outside the window) waited ${second} ms`);
    assert.equal(server.requests(), 2);
    assert.equal(server.stalled(), 1);
    const late = server.maxReleaseLateMs();
    assert.ok(late >= 0 && late < first, `release late by ${late} ms`);
  } finally {
    await server.close();
  }
});

test('close answers held requests', async () => {
  const server = await startStallServer({ stallMs: 60_000, periodMs: 120_000 });
  const pending = get(server.url);
  while (server.requests() === 0) await new Promise((r) => setImmediate(r));
  await server.close();
  assert.ok((await pending) < 5000);
});

test('stallTruthMs gives the duty-cycle quantiles of issue 5', () => {
  assert.equal(stallTruthMs(0.5, 1000, 5000), 0);
  assert.equal(stallTruthMs(0.9, 1000, 5000), 500);
  assert.equal(stallTruthMs(0.99, 1000, 5000), 950);
  assert.equal(stallTruthMs(0.999, 1000, 5000), 995);
});

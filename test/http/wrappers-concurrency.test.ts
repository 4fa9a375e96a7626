import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocateMetrics, createLayout } from '../../src/metrics/layout.js';
import { Snapshot } from '../../src/metrics/snapshot.js';
import { startCountingServer } from '../fixtures/servers.js';

test('ordinary and upgrade requests through both wrappers from four workers: each counted once, under its operation and status', async () => {
  const server = await startCountingServer();
  const dir = mkdtempSync(join(tmpdir(), 'racerig-wrap-'));
  const logPath = join(dir, 'requests.ndjson');
  writeFileSync(logPath, '');
  const layout = createLayout(['GET /a', 'GET /status/404', 'exec upgrade']);
  const buffer = allocateMetrics(layout);
  const workers = 4;
  const perKind = 150;
  try {
    const threads = Array.from(
      { length: workers },
      (_, index) =>
        new Worker(new URL('../fixtures/wrapper-worker.js', import.meta.url), {
          workerData: { origin: server.url, layout, buffer, logPath, index, perKind, connections: 6 },
        }),
    );
    const reports = await Promise.all(threads.map(async (w) => (await once(w, 'message'))[0] as { frozen: boolean }));
    assert.ok(reports.every((r) => r.frozen), 'options objects stayed frozen');
    const snap = Snapshot.take(layout, buffer, 0);
    const n = workers * perKind;
    assert.deepEqual(snap.counters(0).status, { '200': n });
    assert.deepEqual(snap.counters(1).status, { '404': n });
    assert.deepEqual(snap.counters(2).status, { '101': n });
    for (const op of [0, 1, 2]) {
      assert.equal(snap.counters(op).requests, n, `operation ${op} counted once per request`);
      assert.deepEqual(snap.counters(op).errorKinds, {});
      assert.equal(snap.latency(op).totalCount, n);
    }
    assert.equal(snap.counters(1).errors, n);
    assert.equal(server.counts.get('/a'), n);
    assert.equal(server.counts.get('/status/404'), n);
    assert.equal(server.upgrades(), n);
    // The log has one whole JSON line per request: none torn or interleaved across threads.
    const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 3 * n);
    const byOp = new Map<string, Map<number, number>>();
    const perWorker = new Map<number, number>();
    for (const line of lines) {
      const rec = JSON.parse(line) as { operation: string; status: number; worker: number };
      const m = byOp.get(rec.operation) ?? new Map<number, number>();
      m.set(rec.status, (m.get(rec.status) ?? 0) + 1);
      byOp.set(rec.operation, m);
      perWorker.set(rec.worker, (perWorker.get(rec.worker) ?? 0) + 1);
    }
    assert.deepEqual([...byOp.get('GET /a')!], [[200, n]]);
    assert.deepEqual([...byOp.get('GET /status/404')!], [[404, n]]);
    assert.deepEqual([...byOp.get('exec upgrade')!], [[101, n]]);
    assert.deepEqual([...perWorker.keys()].sort(), [0, 1, 2, 3]);
    await Promise.all(threads.map((t) => t.terminate()));
  } finally {
    await server.close();
  }
});

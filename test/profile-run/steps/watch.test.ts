import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../kube/helpers.js';
import { startBench } from './harness.js';

test('watch: holds count watches for its time, counts their events by type and records the delivery lag of stamped writes', async () => {
  const b = await startBench();
  try {
    const lags: number[] = [];
    const events = [0, 0, 0, 0, 0];
    b.ctx.recordLag = (_op, lagMs) => lags.push(lagMs);
    b.ctx.watchStats = () => ({ event: (i) => events[i]!++, relist: () => {}, expired: () => {}, rewatch: () => {} });
    const [watch] = await b.steps(`
          - watch: {resource: configmaps, labelSelector: app=w, count: 2, for: 1500ms}`);
    const create = await b.steps(`
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: "w-{{iteration}}", labels: {app: w}}}`);
    const t0 = performance.now();
    const holding = b.run([watch!]);
    await waitFor('two watch streams', () => b.sent.filter((s) => s.path.includes('watch=') && s.status === 200).length === 2);
    for (let i = 0; i < 3; i++) await b.run(create, i);
    await waitFor('6 ADDED events', () => events[0] === 6);
    await holding;
    assert.ok(performance.now() - t0 >= 1499, 'held for its time');
    assert.equal(lags.length, 6);
    assert.ok(lags.every((l) => l >= 0 && l < 5000), `lags ${lags.join(', ')}`);
    assert.deepEqual(events, [6, 0, 0, 0, 0]);
  } finally {
    await b.close();
  }
});

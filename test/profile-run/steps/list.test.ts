import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest } from '../../../src/kube/requests.js';
import { startBench } from './harness.js';

test('list: selectors and limit go into the query; allPages follows continue tokens to the end; as stores the first page', async () => {
  const b = await startBench();
  try {
    const steps = await b.steps(`
          - list: {resource: configmaps, labelSelector: "app=l", limit: 2, allPages: true}
            as: page`);
    for (let i = 0; i < 5; i++) {
      const r = await b.direct(createRequest(b.pathsOf('configmaps'), 'default', { metadata: { name: `l-${i}`, labels: { app: 'l' } } }));
      assert.equal(r.status, 201);
    }
    await b.direct(createRequest(b.pathsOf('configmaps'), 'default', { metadata: { name: 'other', labels: { app: 'x' } } }));
    const objects = await b.run(steps);
    assert.equal(b.sent.length, 3, b.sent.map((s) => s.path).join('\n'));
    assert.ok(b.sent.every((s) => s.method === 'GET' && s.status === 200 && s.path.includes('labelSelector=app%3Dl') && s.path.includes('limit=2')));
    assert.ok(!b.sent[0]!.path.includes('continue='));
    assert.ok(b.sent[1]!.path.includes('continue=') && b.sent[2]!.path.includes('continue='));
    const page = objects.page as { items: { metadata: { name: string } }[] };
    assert.deepEqual(page.items.map((o) => o.metadata.name), ['l-0', 'l-1']);
  } finally {
    await b.close();
  }
});

/**
 * startMockServer({ thread: true }) serves from a worker thread and stays responsive while this thread is busy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMockServer } from '../../src/mock/server.js';
import { json, http } from './helpers.js';

test('the mock runs in a worker thread: same API, kubeconfig, faults through /racerig/, clean close', async () => {
  const server = await startMockServer({ thread: true, lifecycle: { disabled: true }, faults: { errors: [{ verb: 'delete', code: 503, fraction: 1 }] } });
  try {
    assert.equal(server.api, undefined);
    assert.match(server.kubeconfig, new RegExp(`server: ${server.url}`));
    const created = await json(server.url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'threaded' } });
    assert.equal(created.status, 201);
    assert.equal((await json(server.url, 'DELETE', '/api/v1/namespaces/default/configmaps/threaded')).status, 503);
    // Block this thread briefly: a request sent before the block is answered by the worker meanwhile.
    const pending = http(server.url, 'GET', '/api/v1/namespaces/default/configmaps/threaded');
    const until = Date.now() + 100;
    while (Date.now() < until) {
      // busy on purpose
    }
    assert.equal((await pending).status, 200);
    // Control calls cross the thread boundary.
    await server.setFaults({ errors: [{ verb: 'get', code: 500, fraction: 1 }] });
    assert.equal((await http(server.url, 'GET', '/api/v1/namespaces/default/configmaps/threaded')).status, 500);
    await assert.rejects(server.setFaults({ resetFraction: 7 }), /resetFraction/);
    await server.setFaults({});
    assert.match(await server.metrics(), /apiserver_request_total\{verb="DELETE",group="",version="v1",resource="configmaps",subresource="",scope="resource",code="503"\} 1/);
    await server.compact();
  } finally {
    await server.close();
  }
  await assert.rejects(http(server.url, 'GET', '/healthz'));
});

/**
 * startMockServerThread serves from a worker thread and stays responsive while this thread is busy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { startMockServer } from '../../src/mock/server.js';
import { startMockServerThread } from '../../src/mock/thread.js';
import { json, http } from './helpers.js';

/** A client on its own thread: once told to go, it GETs the URL and stores the status (-1 on a network error) in signal[1]. */
const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
const { signal, url } = workerData;
parentPort.postMessage('ready');
Atomics.wait(signal, 0, 0, 30000);
fetch(url).then(
  async (r) => { await r.arrayBuffer(); Atomics.store(signal, 1, r.status); },
  () => Atomics.store(signal, 1, -1),
);
`;

/**
 * statusWhileBusy keeps this thread busy for up to `busyMs` while another thread sends a GET to `url`
 * (the request is sent only once this thread is busy); returns the status if the answer came before
 * this thread was free again, 0 if not.
 */
async function statusWhileBusy(url: string, busyMs: number): Promise<number> {
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const client = new Worker(CLIENT, { eval: true, workerData: { signal, url } });
  try {
    await once(client, 'message');
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
    const until = Date.now() + busyMs;
    let status = 0;
    while (Date.now() < until && (status = Atomics.load(signal, 1)) === 0) {
      // busy on purpose: this thread's event loop serves nothing meanwhile
    }
    return status;
  } finally {
    await client.terminate();
  }
}

test('the mock runs in a worker thread: same API, kubeconfig, faults through /racerig/, clean close', async () => {
  const server = await startMockServerThread({ lifecycle: { disabled: true }, faults: { errors: [{ verb: 'delete', code: 503, fraction: 1 }] } });
  try {
    assert.equal('api' in server, false);
    assert.match(server.kubeconfig, new RegExp(`server: ${server.url}`));
    const created = await json(server.url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'threaded' } });
    assert.equal(created.status, 201);
    assert.equal((await json(server.url, 'DELETE', '/api/v1/namespaces/default/configmaps/threaded')).status, 503);
    // A request sent while this thread is busy is answered by the worker before this thread is free.
    assert.equal(await statusWhileBusy(`${server.url}/api/v1/namespaces/default/configmaps/threaded`, 10_000), 200);
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

test('the busy-thread check can fail: a mock in this thread is not answered while this thread is busy', async () => {
  const server = await startMockServer({ lifecycle: { disabled: true } });
  try {
    assert.equal(await statusWhileBusy(`${server.url}/healthz`, 300), 0);
  } finally {
    await server.close();
  }
});

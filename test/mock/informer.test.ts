/**
 * @kubernetes/client-node informer (list+watch) against the mock: stays in sync through creates,
 * updates and deletes, and relists after a forced 410 Expired.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig, CoreV1Api, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startMockServer } from '../../src/mock/server.js';
import { http, json, waitFor } from './helpers.js';
import { sumSamples } from '../../src/mock/metrics-text.js';

test('informer: list+watch stays in sync and relists after a forced 410', async () => {
  const server = await startMockServer({ lifecycle: { disabled: true } });
  const config = new KubeConfig();
  config.loadFromString(server.kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const url = server.url;
  await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'pre' } });
  const informer = makeInformer<V1ConfigMap>(config, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const errors: unknown[] = [];
  informer.on('error', (e) => errors.push(e));
  let lists = 0;
  const names = () => informer.list('default').map((c) => c.metadata?.name).sort();
  try {
    await informer.start();
    assert.deepEqual(names(), ['pre']);
    await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'a' }, data: { v: '1' } });
    await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'b' } });
    await http(url, 'PATCH', '/api/v1/namespaces/default/configmaps/a', '{"data":{"v":"2"}}', { 'Content-Type': 'application/merge-patch+json' });
    await json(url, 'DELETE', '/api/v1/namespaces/default/configmaps/pre');
    await waitFor('informer sees create, update, delete', () => names().join() === 'a,b' && informer.get('a', 'default')?.data?.v === '2');

    const countLists = async () => sumSamples(await server.metrics(), 'apiserver_request_total', { verb: 'LIST', resource: 'configmaps', code: '200' });
    lists = await countLists();
    const compact = await json(url, 'POST', '/racerig/compact');
    assert.equal(compact.status, 200);
    await waitFor('a relist after 410', async () => (await countLists()) > lists, 5000);
    await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after-410' } });
    await json(url, 'DELETE', '/api/v1/namespaces/default/configmaps/b');
    await waitFor('in sync after the relist', () => names().join() === 'a,after-410', 5000);
    const watchErrors = (await http(url, 'GET', '/metrics')).body;
    assert.match(watchErrors, /verb="WATCH"/);
    assert.deepEqual(errors, []);
  } finally {
    await informer.stop();
    await server.close();
  }
});

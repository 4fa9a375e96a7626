import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadTarget } from '../../src/kube/target.js';
import { createCredentials } from '../../src/kube/credentials.js';
import { createTargetDispatcher, composeDispatch } from '../../src/kube/target-dispatcher.js';
import { authInterceptor } from '../../src/http/interceptors/auth.js';
import { Discovery } from '../../src/kube/discovery.js';
import { ResourcePaths } from '../../src/kube/resource.js';
import { send } from '../../src/kube/send.js';
import { createRequest, listRequest, patchRequest } from '../../src/kube/requests.js';
import { startKubeFixture } from './helpers.js';

test('cross-check with @kubernetes/client-node on the TLS mock: each client reads what the other wrote, with the same kubeconfig', async () => {
  const fx = await startKubeFixture({ tls: true });
  const target = await loadTarget({ kubeconfig: fx.kubeconfig });
  const client = createTargetDispatcher(target);
  try {
    const d = composeDispatch(client, [authInterceptor({ credentials: createCredentials(target) })]);
    const cm = new ResourcePaths(await new Discovery({ dispatch: d }).resolve('cm'), target.pathPrefix);
    const kc = new KubeConfig();
    kc.loadFromFile(fx.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);

    assert.equal((await send(d, createRequest(cm, 'default', { metadata: { name: 'from-racerig', labels: { by: 'racerig' } }, data: { k: 'v' } }))).status, 201);
    assert.equal((await send(d, patchRequest(cm, 'default', 'from-racerig', 'strategic', { data: { p: 'patched' } }))).status, 200);
    const seen = await core.readNamespacedConfigMap({ name: 'from-racerig', namespace: 'default' });
    assert.deepEqual(seen.data, { k: 'v', p: 'patched' });

    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-client-node', labels: { by: 'client-node' } }, data: { x: 'y' } } });
    const listed = JSON.parse((await send(d, listRequest(cm, 'default', { labelSelector: 'by in (racerig,client-node)' }))).body.toString()) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(listed.items.map((i) => i.metadata.name).sort(), ['from-client-node', 'from-racerig']);
    const theirs = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'by in (racerig,client-node)' });
    assert.deepEqual(theirs.items.map((i) => i.metadata!.name).sort(), ['from-client-node', 'from-racerig']);
  } finally {
    await client.close();
    await fx.close();
  }
});

/**
 * --tls: HTTPS with a CA generated at start; client certificates and bearer tokens authenticate,
 * everything else gets 401 (health endpoints stay anonymous).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { buildKubeconfig } from '../../src/mock/kubeconfig.js';
import { kubectl, writeTemp, startFixture, type MockFixture, NO_KUBECTL } from './helpers.js';

let fx: MockFixture;
let kc: string;

before(async () => {
  fx = await startFixture({ tls: true, lifecycle: { disabled: true }, token: 'secret-token-123' });
  ({ kc } = fx);
});

after(() => fx.close());

function get(path: string, options: { token?: string; cert?: boolean } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {};
    const a = fx.server.auth!;
    const req = request(new URL(path, fx.server.url), { ca: a.caPem, headers, ...(options.cert ? { cert: a.clientCertPem, key: a.clientKeyPem } : {}), timeout: 10000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('TLS: unauthenticated requests get a 401 Status; certificate and token work; health is anonymous', async () => {
  assert.match(fx.server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const anon = await get('/api/v1/namespaces');
  assert.equal(anon.status, 401);
  assert.deepEqual(JSON.parse(anon.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  assert.equal((await get('/api/v1/namespaces', { token: 'wrong' })).status, 401);
  assert.equal((await get('/api/v1/namespaces', { token: 'secret-token-123' })).status, 200);
  assert.equal((await get('/api/v1/namespaces', { cert: true })).status, 200);
  assert.equal((await get('/healthz')).status, 200);
});

test('TLS: kubectl with the client-certificate kubeconfig and with a token kubeconfig', { skip: NO_KUBECTL }, async () => {
  const byCert = await kubectl(kc, ['get', 'namespaces', '-o', 'name']);
  assert.equal(byCert.code, 0, byCert.stderr);
  assert.match(byCert.stdout, /namespace\/default/);
  const tokenKc = writeTemp(fx.dir, 'token.kubeconfig', buildKubeconfig(fx.server.url, { caPem: fx.server.auth!.caPem, token: fx.server.auth!.token }));
  const byToken = await kubectl(tokenKc, ['create', 'configmap', 'tok', '--from-literal=a=b']);
  assert.equal(byToken.code, 0, byToken.stderr);
  const wrong = writeTemp(fx.dir, 'wrong.kubeconfig', buildKubeconfig(fx.server.url, { caPem: fx.server.auth!.caPem, token: 'not-the-token' }));
  const denied = await kubectl(wrong, ['get', 'pods'], { stdin: '' });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Unauthorized|must be logged in/);
});

test('TLS: @kubernetes/client-node with the client-certificate kubeconfig', async () => {
  const config = new KubeConfig();
  config.loadFromFile(kc);
  const core = config.makeApiClient(CoreV1Api);
  const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-client-node' }, data: { k: 'v' } } });
  assert.equal(created.metadata?.name, 'from-client-node');
  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  // 'tok' was created by the kubectl test above (skipped without kubectl).
  assert.deepEqual(list.items.map((c) => c.metadata?.name).sort(), NO_KUBECTL ? ['from-client-node'] : ['from-client-node', 'tok']);
});

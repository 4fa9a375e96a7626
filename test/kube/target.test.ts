import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadTarget } from '../../src/kube/target.js';
import { createCredentials, staticCredentials } from '../../src/kube/credentials.js';
import { createTargetDispatcher, composeDispatch } from '../../src/kube/target-dispatcher.js';
import { CertRotatingDispatcher } from '../../src/kube/rotating-dispatcher.js';
import { generateTlsMaterial } from '../../src/mock/tls.js';
import { authInterceptor } from '../../src/http/interceptors/auth.js';
import { send, sendJson } from '../../src/kube/send.js';
import { parseStatus } from '../../src/kube/status.js';
import { startKubeFixture, waitFor, writeIn } from './helpers.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfigYaml(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}, name = 'ctx'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name, context: { cluster: 'c', user: 'u', namespace: 'team-a' } }],
    'current-context': name,
  });
}

test('a TLS client-certificate kubeconfig works end to end: create and get through the auth wrapper', async () => {
  const fx = await startKubeFixture({ tls: true });
  try {
    const target = await loadTarget({ kubeconfig: fx.kubeconfig });
    assert.equal(target.origin, fx.server.url);
    assert.equal(target.context, 'racerig-mock');
    assert.equal(target.connect.rejectUnauthorized, true);
    assert.equal(target.connect.ca, fx.server.auth!.caPem);
    assert.equal(target.connect.cert, fx.server.auth!.clientCertPem);
    assert.equal(target.headers.authorization, undefined);
    assert.equal(target.refreshable, false);
    const client = createTargetDispatcher(target);
    const dispatch = composeDispatch(client, [authInterceptor({ credentials: createCredentials(target) })]);
    const created = await send(dispatch, { method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'tls-cm' }, data: { a: '1' } }) });
    assert.equal(created.status, 201);
    const got = await sendJson<{ data: { a: string } }>(dispatch, { method: 'GET', path: '/api/v1/namespaces/default/configmaps/tls-cm' });
    assert.equal(got.data.a, '1');
    await client.close();
  } finally {
    await fx.close();
  }
});

test('bearer tokens: from the kubeconfig, from a token file (trailing newline trimmed), and 401 Unauthorized without them', async () => {
  const fx = await startKubeFixture({ tls: true, token: 'tok-123' });
  try {
    const ca = { 'certificate-authority-data': b64(fx.server.auth!.caPem) };
    const withToken = await loadTarget({ kubeconfigYaml: kubeconfigYaml(fx.server.url, { token: 'tok-123' }, ca) });
    assert.equal(withToken.headers.authorization, 'Bearer tok-123');
    assert.equal(withToken.namespace, 'team-a');
    const tokenFile = writeIn(fx.dir, 'token', 'tok-123\n');
    const fromFile = await loadTarget({ kubeconfigYaml: kubeconfigYaml(fx.server.url, { 'token-file': tokenFile }, ca) });
    assert.equal(fromFile.headers.authorization, 'Bearer tok-123');
    const client = createTargetDispatcher(fromFile);
    const plain = composeDispatch(client, []);
    const denied = await send(plain, { method: 'GET', path: '/api/v1/namespaces' });
    assert.equal(denied.status, 401);
    assert.deepEqual({ ...parseStatus(denied.status, denied.body) }, { code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
    const authed = composeDispatch(client, [authInterceptor({ credentials: createCredentials(fromFile) })]);
    const frozen = Object.freeze({ method: 'GET' as const, path: '/api/v1/namespaces', headers: Object.freeze({ accept: 'application/json' }) });
    assert.equal((await send(authed, frozen)).status, 200);
    assert.deepEqual(frozen.headers, { accept: 'application/json' }, 'the options given to the wrapper are not written');
    // A header the request carries itself wins over the credentials.
    const overridden = composeDispatch(client, [authInterceptor({ credentials: staticCredentials({ authorization: 'Bearer tok-123' }) })]);
    assert.equal((await send(overridden, { method: 'GET', path: '/api/v1/namespaces', headers: ['Authorization', 'Bearer wrong'] })).status, 401);
    await client.close();
  } finally {
    await fx.close();
  }
});

test('exec credential plugins: the token comes from the plugin, and a 401 makes the auth wrapper refresh it', async () => {
  const fx = await startKubeFixture({ tls: true, token: 'fresh-token' });
  try {
    const tokenFile = writeIn(fx.dir, 'plugin-token', 'stale-token');
    const plugin = writeIn(
      fx.dir,
      'plugin.mjs',
      `import { readFileSync } from 'node:fs';\nprocess.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: readFileSync(process.env.TOKEN_FILE, 'utf8').trim() } }));\n`,
    );
    const yaml = kubeconfigYaml(
      fx.server.url,
      { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], env: [{ name: 'TOKEN_FILE', value: tokenFile }], interactiveMode: 'Never' } },
      { 'certificate-authority-data': b64(fx.server.auth!.caPem) },
    );
    const target = await loadTarget({ kubeconfigYaml: yaml });
    assert.equal(target.headers.authorization, 'Bearer stale-token');
    assert.equal(target.refreshable, true);
    writeIn(fx.dir, 'plugin-token', 'fresh-token');
    const credentials = createCredentials(target);
    const client = createTargetDispatcher(target);
    const dispatch = composeDispatch(client, [authInterceptor({ credentials })]);
    assert.equal((await send(dispatch, { method: 'GET', path: '/api/v1/namespaces' })).status, 401);
    await waitFor('the credentials to refresh after the 401', () => credentials.refreshes > 0);
    assert.equal(credentials.headers.authorization, 'Bearer fresh-token');
    assert.equal((await send(dispatch, { method: 'GET', path: '/api/v1/namespaces' })).status, 200);
    await client.close();
  } finally {
    await fx.close();
  }
});

test('an exec plugin may return a client certificate instead of a token', async () => {
  const fx = await startKubeFixture({ tls: true });
  try {
    const auth = fx.server.auth!;
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientCertificateData: auth.clientCertPem, clientKeyData: auth.clientKeyPem } };
    const plugin = writeIn(fx.dir, 'cert-plugin.mjs', `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
    const yaml = kubeconfigYaml(fx.server.url, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } }, { 'certificate-authority-data': b64(auth.caPem) });
    const target = await loadTarget({ kubeconfigYaml: yaml });
    assert.equal(target.connect.cert, auth.clientCertPem);
    assert.equal(target.headers.authorization, undefined);
    const client = createTargetDispatcher(target);
    assert.equal((await send(composeDispatch(client, []), { method: 'GET', path: '/api/v1/namespaces' })).status, 200);
    await client.close();
  } finally {
    await fx.close();
  }
});

test('exec plugin client certificates rotate: the refresh at expirationTimestamp moves new requests to a pool with the new certificate; a 401 runs the plugin again', async () => {
  const fx = await startKubeFixture({ tls: true });
  try {
    const auth = fx.server.auth!;
    const untrusted = await generateTlsMaterial(); // a client certificate of another CA: the mock answers 401
    const countFile = writeIn(fx.dir, 'calls', '0');
    const certs = [
      { cert: auth.clientCertPem, key: auth.clientKeyPem, validMs: 1500 },
      { cert: untrusted.clientCertPem, key: untrusted.clientKeyPem, validMs: 3_600_000 },
      { cert: auth.clientCertPem, key: auth.clientKeyPem, validMs: 3_600_000 },
    ];
    const plugin = writeIn(
      fx.dir,
      'rotating-plugin.mjs',
      [
        `import { readFileSync, writeFileSync } from 'node:fs';`,
        `const certs = ${JSON.stringify(certs)};`,
        `const n = Number(readFileSync(process.env.COUNT_FILE, 'utf8')) + 1;`,
        `writeFileSync(process.env.COUNT_FILE, String(n));`,
        `const c = certs[Math.min(n, certs.length) - 1];`,
        `const status = { clientCertificateData: c.cert, clientKeyData: c.key, expirationTimestamp: new Date(Date.now() + c.validMs).toISOString() };`,
        `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }));`,
      ].join('\n'),
    );
    const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], env: [{ name: 'COUNT_FILE', value: countFile }], interactiveMode: 'Never' };
    const target = await loadTarget({ kubeconfigYaml: kubeconfigYaml(fx.server.url, { exec }, { 'certificate-authority-data': b64(auth.caPem) }) });
    assert.equal(target.refreshable, true);
    assert.equal(target.connect.cert, auth.clientCertPem);
    const expiresAt = target.credentialExpiresAtMs!;
    assert.ok(expiresAt > Date.now() && expiresAt < Date.now() + 2000, `expiry read from the plugin's credential: ${expiresAt}`);
    const credentials = createCredentials(target);
    const dispatcher = new CertRotatingDispatcher(credentials, (connect) => createTargetDispatcher({ origin: target.origin, connect: connect ?? target.connect }, { connections: 2 }));
    const dispatch = composeDispatch(dispatcher, [authInterceptor({ credentials })]);
    const get = async () => (await send(dispatch, { method: 'GET', path: '/api/v1/namespaces' })).status;
    assert.equal(await get(), 200);
    // At expiry the plugin runs again (second certificate, untrusted): new requests use it, on new connections.
    await waitFor('a request with the refreshed (untrusted) certificate', async () => (await get()) === 401 || (await new Promise((r) => setTimeout(r, 20))), 10_000);
    assert.ok(Date.now() >= expiresAt, 'not refreshed before the credential expired');
    assert.equal(dispatcher.rotations, 1);
    // The 401 drops the cached credential: the plugin runs a third time and the valid certificate comes back.
    await waitFor('the certificate after the 401 refresh', async () => (await get()) === 200 || (await new Promise((r) => setTimeout(r, 20))), 10_000);
    assert.equal(dispatcher.rotations, 2);
    assert.equal(readFileSync(countFile, 'utf8'), '3');
    await dispatcher.close();
  } finally {
    await fx.close();
  }
});

test('in-cluster: service-account token (refreshable), CA and namespace files, KUBERNETES_SERVICE_HOST/PORT', async () => {
  const fx = await startKubeFixture({ tls: true, token: 'sa-token' });
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, kubeconfig: process.env.KUBECONFIG };
  // A pod that sets KUBECONFIG would use it: this pod does not.
  delete process.env.KUBECONFIG;
  try {
    const sa = join(fx.dir, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeIn(sa, 'token', 'sa-token');
    writeIn(sa, 'ca.crt', fx.server.auth!.caPem);
    writeIn(sa, 'namespace', 'workloads');
    const url = new URL(fx.server.url);
    process.env.KUBERNETES_SERVICE_HOST = url.hostname;
    process.env.KUBERNETES_SERVICE_PORT = url.port;
    const target = await loadTarget({ inCluster: true, inClusterRoot: fx.dir });
    assert.deepEqual([target.origin, target.context, target.namespace, target.refreshable], [fx.server.url, 'inClusterContext', 'workloads', true]);
    assert.equal(target.headers.authorization, 'Bearer sa-token');
    const credentials = createCredentials(target);
    const client = createTargetDispatcher(target);
    const dispatch = composeDispatch(client, [authInterceptor({ credentials })]);
    assert.equal((await send(dispatch, { method: 'GET', path: '/api/v1/namespaces/default/pods' })).status, 200);
    await credentials.refresh();
    assert.equal(credentials.headers.authorization, 'Bearer sa-token', 'a refresh in this thread reloads the same source');
    await client.close();
  } finally {
    for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port], ['KUBECONFIG', saved.kubeconfig]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await fx.close();
  }
});

test('a server that is not loopback is refused unless allowRemote, naming the server and the context', async () => {
  const yaml = kubeconfigYaml('https://10.20.30.40:6443', { token: 't' }, {}, 'prod-cluster');
  await assert.rejects(loadTarget({ kubeconfigYaml: yaml }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RACERIG_TARGET');
    assert.match(err.message, /https:\/\/10\.20\.30\.40:6443/);
    assert.match(err.message, /prod-cluster/);
    return true;
  });
  const t = await loadTarget({ kubeconfigYaml: yaml, allowRemote: true });
  assert.equal(t.origin, 'https://10.20.30.40:6443');
  for (const server of ['https://localhost:6443', 'https://127.0.0.2:6443', 'https://[::1]:6443']) {
    assert.equal((await loadTarget({ kubeconfigYaml: kubeconfigYaml(server, {}) })).server, server);
  }
});

test('contexts: --context selects one, an unknown one lists the known ones; KUBECONFIG is the default source', async () => {
  const fx = await startKubeFixture();
  const saved = process.env.KUBECONFIG;
  try {
    const multi = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'remote', cluster: { server: 'https://10.0.0.1:6443' } },
        { name: 'local', cluster: { server: 'https://127.0.0.1:6443/prefix/', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' } },
      ],
      users: [{ name: 'u', user: { username: 'admin', password: 'secret' } }],
      contexts: [
        { name: 'remote', context: { cluster: 'remote', user: 'u' } },
        { name: 'local', context: { cluster: 'local', user: 'u' } },
      ],
      'current-context': 'remote',
    });
    const path = writeIn(fx.dir, 'multi', multi);
    await assert.rejects(loadTarget({ kubeconfig: path }), /not a loopback address/);
    const local = await loadTarget({ kubeconfig: path, context: 'local' });
    assert.equal(local.origin, 'https://127.0.0.1:6443');
    assert.equal(local.pathPrefix, '/prefix');
    assert.equal(local.connect.rejectUnauthorized, false);
    assert.equal(local.connect.servername, 'kubernetes');
    assert.equal(local.headers.authorization, `Basic ${b64('admin:secret')}`);
    await assert.rejects(loadTarget({ kubeconfig: path, context: 'nope' }), /context "nope".*|known contexts: remote, local/);
    process.env.KUBECONFIG = fx.kubeconfig;
    const ambient = await loadTarget({});
    assert.equal(ambient.origin, fx.server.url);
    assert.equal(ambient.source.kubeconfig, undefined);
    process.env.KUBECONFIG = writeIn(fx.dir, 'missing-dir-file', 'not: [a kubeconfig');
    await assert.rejects(loadTarget({}), (err: Error & { code?: string }) => err.code === 'RACERIG_TARGET');
    // --in-cluster reads KUBECONFIG when the pod sets it (the mock's process runner does), as kubectl does.
    await assert.rejects(loadTarget({ inCluster: true }), /KUBECONFIG .*missing-dir-file \(--in-cluster\)/);
    process.env.KUBECONFIG = fx.kubeconfig;
    assert.equal((await loadTarget({ inCluster: true })).origin, fx.server.url);
    delete process.env.KUBECONFIG;
    await assert.rejects(loadTarget({ inCluster: true }), /in-cluster service account/);
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    await fx.close();
  }
});

/**
 * `racerig mock` runs in-process: prints its URL, writes a working kubeconfig, and stops on SIGINT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { kubectl, tempDir, waitFor, http, NO_KUBECTL } from './helpers.js';

test('racerig mock prints its URL, writes the kubeconfig, serves kubectl, and exits 0 on SIGINT', { skip: NO_KUBECTL }, async () => {
  const tmp = tempDir();
  try {
    const ctx = captureContext({ cwd: tmp.dir });
    const done = main(['mock', '--kubeconfig-out', 'out/mock.kubeconfig'], ctx);
    const url = await waitFor('the URL line', () => /listening on (http:\/\/\S+)/.exec(ctx.out())?.[1]);
    const kc = join(tmp.dir, 'out', 'mock.kubeconfig');
    assert.match(readFileSync(kc, 'utf8'), new RegExp(`server: ${url}`));
    assert.equal((await http(url, 'GET', '/version')).status, 200);
    const pods = await kubectl(kc, ['get', 'pods', '-A']);
    assert.equal(pods.code, 0, pods.stderr);
    ctx.signals.emit('SIGINT');
    assert.equal(await done, 0);
    assert.match(ctx.err(), /SIGINT received/);
  } finally {
    tmp.remove();
  }
});

test('racerig mock rejects a bad --port with the usage exit code', async () => {
  const ctx = captureContext();
  const code = await main(['mock', '--port', 'http'], ctx);
  assert.equal(code, 2);
  assert.match(ctx.err(), /--port must be an integer/);
});

test('racerig mock applies fault flags', async () => {
  const tmp = tempDir();
  try {
    const ctx = captureContext({ cwd: tmp.dir });
    const done = main(['mock', '--kubeconfig-out', 'k', '--error', 'list/configmaps=503:1:4'], ctx);
    const url = await waitFor('the URL line', () => /listening on (http:\/\/\S+)/.exec(ctx.out())?.[1]);
    const r = await http(url, 'GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '4');
    assert.equal((await http(url, 'GET', '/api/v1/namespaces/default')).status, 200);
    ctx.signals.emit('SIGTERM');
    assert.equal(await done, 0);
  } finally {
    tmp.remove();
  }
});

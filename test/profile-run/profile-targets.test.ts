import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startMockServerThread } from '../../src/mock/thread.js';
import type { RunResult } from '../../src/results/model.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../../..');
const distDir = resolve(here, '../..');

test('a TLS kubeconfig with a client certificate works end to end for a profile run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-tls-'));
  const kubeconfigPath = join(dir, 'tls.kubeconfig');
  const mock = await startMockServerThread({ tls: true, kubeconfigPath });
  try {
    assert.match(mock.url, /^https:/);
    const out = join(dir, 'smoke.json');
    const ctx = captureContext({ cwd: dir });
    const code = await main(['run', 'smoke', '--smoke', '--kubeconfig', kubeconfigPath, '-q', '-o', out, '-w', '2'], ctx);
    assert.equal(code, ExitCode.Ok, ctx.err());
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(result.target.kind, 'cluster');
    assert.equal(result.totals.errors, 0, JSON.stringify(result.operations.map((o) => [o.name, o.status, o.errorKinds])));
    assert.ok(result.operations.find((o) => o.name === 'exec pods')!.status['101']! > 0, 'exec upgrades over TLS');
  } finally {
    await mock.close();
  }
});

test('an exec plugin whose client certificate expires every second: every thread refreshes it and rotates its pools mid-run without errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-execcert-'));
  const mock = await startMockServerThread({ tls: true });
  try {
    const auth = mock.auth!;
    const countFile = join(dir, 'calls');
    writeFileSync(countFile, '');
    // A shell script, not a Node program: on a busy host Node took 3-4 s to start, longer than a worker's
    // refresh may take within the run. Each call appends a byte (atomic: calls from the threads overlap).
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientCertificateData: auth.clientCertPem, clientKeyData: auth.clientKeyPem, expirationTimestamp: 'EXP' } });
    const [head, rest] = credential.split(JSON.stringify(auth.clientCertPem).slice(1, -1));
    writeFileSync(join(dir, 'head.json'), head + JSON.stringify(auth.clientCertPem).slice(1, -1));
    writeFileSync(join(dir, 'tail.json'), rest!.slice(0, rest!.indexOf('EXP')));
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      [
        'printf . >> "$COUNT_FILE"',
        'n=$(wc -c < "$COUNT_FILE")',
        // The same certificate, its PEM text different on every call (n more newlines): each refresh is a new certificate to racerig.
        `cat "$DIR/head.json"; i=0; while [ "$i" -lt "$n" ]; do printf '\\\\n'; i=$((i + 1)); done; cat "$DIR/tail.json"`,
        `printf '%s"}}' "$(date -u -d '+1 second' +%Y-%m-%dT%H:%M:%S.%3NZ)"`,
        '',
      ].join('\n'),
    );
    const kubeconfigPath = join(dir, 'exec.kubeconfig');
    writeFileSync(
      kubeconfigPath,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'mock', cluster: { server: mock.url, 'certificate-authority-data': Buffer.from(auth.caPem).toString('base64') } }],
        users: [{ name: 'plugin', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: [plugin], env: [{ name: 'COUNT_FILE', value: countFile }, { name: 'DIR', value: dir }], interactiveMode: 'Never' } } }],
        contexts: [{ name: 'mock', context: { cluster: 'mock', user: 'plugin' } }],
        'current-context': 'mock',
      }),
    );
    const profile = join(dir, 'exec-cert.yaml');
    writeFileSync(
      profile,
      ['name: exec-cert', 'description: Lists and reads config maps for 4 s while the client certificate expires every second. Emulates no controller.', 'phases:', '  - name: p', '    duration: 4s', '    components:', '      - name: readers', '        rate: 25', '        scenario:', '          - list: {resource: configmaps, limit: 5}', '          - get: {resource: namespaces, name: default}', ''].join('\n'),
    );
    const out = join(dir, 'exec-cert.json');
    const ctx = captureContext({ cwd: dir });
    const code = await main(['run', profile, '--kubeconfig', kubeconfigPath, '-q', '-o', out, '-w', '2'], ctx);
    assert.equal(code, ExitCode.Ok, ctx.err());
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(result.totals.errors, 0, JSON.stringify(result.operations.map((o) => [o.name, o.status, o.errorKinds])));
    assert.equal(result.iterations?.failed, 0);
    // The main thread's load, then refreshes after expiry in both worker threads (each a new pool).
    // A refresh started near the run's end may write its call just after.
    for (const deadline = Date.now() + 10_000; statSync(countFile).size < 3 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    assert.ok(statSync(countFile).size >= 3, `plugin calls: ${statSync(countFile).size}`);
  } finally {
    await mock.close();
  }
});

test('Ctrl-C during a profile run writes a partial result and still cleans up the run objects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-pint-'));
  const kubeconfigPath = join(dir, 'mock.kubeconfig');
  const mock = await startMockServerThread({ kubeconfigPath });
  try {
    const out = join(dir, 'partial.json');
    const child = spawn(process.execPath, [join(root, 'bin/racerig'), 'run', 'argo-pod-cleanup', '--kubeconfig', kubeconfigPath, '-o', out, '-w', '2'], {
      cwd: dir,
      env: { ...process.env, RACERIG_DIST: distDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    // Wait until the run has created pods (the server counted the creates; they may already be
    // deleted again, pods here live only briefly), then interrupt.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const created = (await mock.metrics())
        .split('\n')
        .filter((l) => l.startsWith('apiserver_request_total{verb="POST"') && l.includes('resource="pods"') && l.includes('code="201"'))
        .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
      if (created >= 3) break;
      if (Date.now() > deadline) throw new Error(`no pods appeared: ${stdout} ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 40_000)))]);
    clearTimeout(timer); // a pending 40 s timer would keep the test process alive that long
    assert.equal(code, ExitCode.Interrupted, stderr);
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(result.partial, true);
    assert.equal(result.stoppedBy, 'interrupted');
    const runId = (result.config as { runId: string }).runId;
    const left = await fetch(`${mock.url}/api/v1/pods?labelSelector=${encodeURIComponent(`racerig.io/run=${runId}`)}`);
    assert.deepEqual(((await left.json()) as { items: unknown[] }).items, []);
  } finally {
    await mock.close();
  }
});

test('--integrity is refused when the kubeconfig target is not a racerig mock (its /metrics would count other clients too)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-integrity-'));
  const mock = await startMockServerThread();
  // A proxy in front of the mock that reports a real API server's version: racerig must not trust its /metrics.
  const { createServer, request } = await import('node:http');
  const upstream = new URL(mock.url);
  const proxy = createServer((req, res) => {
    if (req.url === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0' }));
      return;
    }
    const fwd = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const port = (proxy.address() as { port: number }).port;
    const kubeconfigPath = join(dir, 'proxy.kubeconfig');
    writeFileSync(
      kubeconfigPath,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const ctx = captureContext({ cwd: dir });
    const code = await main(['run', 'smoke', '--smoke', '--kubeconfig', kubeconfigPath, '--integrity', '-q', '-o', join(dir, 'r.json'), '-w', '1'], ctx);
    assert.equal(code, ExitCode.TargetFailed, ctx.err());
    assert.match(ctx.err(), /--integrity needs a racerig mock as the target; http:\/\/127\.0\.0\.1:\d+ reports version v1\.32\.0/);
  } finally {
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
    await mock.close();
  }
});

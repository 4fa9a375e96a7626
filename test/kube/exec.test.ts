import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { loadTarget } from '../../src/kube/target.js';
import { createTargetDispatcher, composeDispatch } from '../../src/kube/target-dispatcher.js';
import { ResourcePaths } from '../../src/kube/resource.js';
import { send } from '../../src/kube/send.js';
import { createRequest, getRequest } from '../../src/kube/requests.js';
import { exec, exitCodeOf, ExecError } from '../../src/kube/exec-client.js';
import { FrameDecoder, encodeClientFrame, OPCODES } from '../../src/kube/websocket-frame.js';
import { podManifest, startKubeFixture, waitFor } from './helpers.js';

const PODS = new ResourcePaths({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true });

test('exec on the mock over v5.channel.k8s.io: stdout, stderr, exit codes, stdin with the v5 close signal, refused upgrades as Status', async () => {
  const fx = await startKubeFixture();
  const target = await loadTarget({ kubeconfig: fx.kubeconfig });
  const client = createTargetDispatcher(target, { connections: 4 });
  const d = composeDispatch(client, []);
  try {
    assert.equal((await send(d, createRequest(PODS, 'default', podManifest('runner')))).status, 201);
    await waitFor('pod Running', async () => JSON.parse((await send(d, getRequest(PODS, 'default', 'runner'))).body.toString()).status?.phase === 'Running');
    const hello = await exec(d, PODS, 'default', 'runner', { command: ['echo', 'hello', 'world'] });
    assert.deepEqual({ ...hello }, { exitCode: 0, stdout: 'hello world\n', stderr: '', stdoutBytes: 12, stderrBytes: 0, protocol: 'v5.channel.k8s.io' });
    const failing = await exec(d, PODS, 'default', 'runner', { command: ['sh', '-c', 'exit 3'] });
    assert.equal(failing.exitCode, 3);
    assert.equal(failing.status?.reason, 'NonZeroExitCode');
    const stderr = await exec(d, PODS, 'default', 'runner', { command: ['sleep', 'bad'] });
    assert.match(stderr.stderr, /sleep: invalid time interval 'bad'/);
    assert.notEqual(stderr.exitCode, 0);
    const cat = await exec(d, PODS, 'default', 'runner', { command: ['cat'], stdinData: 'piped through stdin' });
    assert.equal(cat.stdout, 'piped through stdin');
    assert.equal(cat.exitCode, 0);
    // Several at once on one dispatcher, interleaved with ordinary requests.
    const mixed = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? exec(d, PODS, 'default', 'runner', { command: ['echo', String(i)] }).then((r) => r.stdout) : send(d, getRequest(PODS, 'default', 'runner')).then((r) => String(r.status)))));
    assert.deepEqual(mixed, Array.from({ length: 12 }, (_, i) => (i % 2 ? `${i}\n` : '200')));
    await assert.rejects(exec(d, PODS, 'default', 'nosuchpod', { command: ['true'] }), (e: ExecError) => e.code === 'RACERIG_KUBE_EXEC' && e.status?.code === 404 && e.status.reason === 'NotFound');
    await assert.rejects(exec(d, PODS, 'default', 'runner', { command: ['true'], container: 'other' }), (e: ExecError) => e.status?.code === 400 && e.status.reason === 'BadRequest');
    await assert.rejects(exec(d, PODS, 'default', 'runner', { command: ['sleep', '5'], timeoutMs: 100 }), /did not finish within 100 ms/);
  } finally {
    await client.close();
    await fx.close();
  }
});

test('exec falls back to v4.channel.k8s.io; fragmented and pinged server messages are handled', async () => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.ping();
      ws.send(Buffer.from([1, ...Buffer.from('frag')]), { fin: false });
      ws.send(Buffer.from('mented\n'), { fin: true });
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))]));
      ws.close(1000);
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createTargetDispatcher({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connect: { rejectUnauthorized: true } });
  try {
    const r = await exec(composeDispatch(client, []), PODS, 'ns', 'p', { command: ['x'] });
    assert.deepEqual([r.protocol, r.stdout, r.exitCode], ['v4.channel.k8s.io', 'fragmented\n', 0]);
  } finally {
    await client.close();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('an upgrade the server never answers is cut at timeoutMs', async () => {
  const server = http.createServer();
  const held: { destroy(): void }[] = [];
  server.on('upgrade', (_req, socket) => held.push(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createTargetDispatcher({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connect: { rejectUnauthorized: true } }, { timeoutMs: 0 });
  try {
    const started = performance.now();
    await assert.rejects(exec(composeDispatch(client, []), PODS, 'ns', 'p', { command: ['x'], timeoutMs: 150 }), /did not finish within 150 ms/);
    assert.ok(performance.now() - started < 2000);
    assert.equal(held.length, 1);
  } finally {
    for (const s of held) s.destroy();
    await client.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('client frames are masked and decode back; exit codes from the error-channel Status', () => {
  for (const size of [0, 5, 125, 126, 65535, 65536, 70000]) {
    const payload = Buffer.alloc(size, 0x61);
    const frame = encodeClientFrame(OPCODES.binary, payload);
    assert.equal(frame[1]! & 0x80, 0x80, 'mask bit set');
    const got: Buffer[] = [];
    const dec = new FrameDecoder((m) => got.push(m.payload));
    dec.push(frame.subarray(0, 3));
    dec.push(frame.subarray(3));
    assert.equal(got.length, 1);
    assert.ok(got[0]!.equals(payload), `size ${size}`);
  }
  assert.equal(exitCodeOf('').exitCode, 0);
  assert.equal(exitCodeOf('{"status":"Success"}').exitCode, 0);
  assert.equal(exitCodeOf(JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '137' }] } })).exitCode, 137);
  const internal = exitCodeOf(JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'boom' }));
  assert.deepEqual([internal.exitCode, internal.status?.reason, internal.status?.message], [-1, 'InternalError', 'boom']);
});

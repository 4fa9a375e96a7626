/**
 * racerig's exec client over SPDY/3.1 (`protocol: 'spdy'`) against the real mock on port 0, through the
 * same target dispatcher and wrapper composition as every other request: exit codes from the v4 Status,
 * stdout/stderr, stdin, a signal into one container, refused execs (Status before the 101), and a
 * connection lost mid-session (a clear ExecError, settled well before the time limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { loadTarget } from '../../src/kube/target.js';
import { createTargetDispatcher, composeDispatch } from '../../src/kube/target-dispatcher.js';
import { ResourcePaths } from '../../src/kube/resource.js';
import { send } from '../../src/kube/send.js';
import type { DispatchFn } from '../../src/kube/send.js';
import { createRequest, getRequest } from '../../src/kube/requests.js';
import { exec, execRequestOptions, ExecError } from '../../src/kube/exec-client.js';
import { SPDY_EXEC_PROTOCOLS, spdyHandshakeProtocol } from '../../src/kube/exec-spdy.js';
import { HeaderCompressor, HeaderDecompressor } from '../../src/spdy/header-compression.js';
import { FrameReader, encodeData, encodeGoAway, encodeSynReply } from '../../src/spdy/framing.js';
import { podManifest, startKubeFixture, waitFor } from './helpers.js';

const PODS = new ResourcePaths({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true });

/** A dispatch that calls `onUpgrade` when a 101 reaches the handler (to act mid-session without sleeping). */
function observingUpgrades(d: DispatchFn, onUpgrade: () => void): DispatchFn {
  return (opts, handler) =>
    d(opts, {
      ...handler,
      onRequestStart: handler.onRequestStart?.bind(handler),
      onResponseStart: handler.onResponseStart?.bind(handler),
      onResponseData: handler.onResponseData?.bind(handler),
      onResponseEnd: handler.onResponseEnd?.bind(handler),
      onResponseError: handler.onResponseError?.bind(handler),
      onRequestUpgrade(c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, socket: Duplex) {
        handler.onRequestUpgrade?.(c, status, headers, socket);
        onUpgrade();
      },
    } as Dispatcher.DispatchHandler);
}

test('the SPDY exec request: POST, Upgrade SPDY/3.1, one X-Stream-Protocol-Version line per version (v4, v3, v2)', () => {
  const { opts } = execRequestOptions(PODS, 'default', 'p', { command: ['true'], protocol: 'spdy' });
  assert.equal(opts.method, 'POST');
  assert.equal(opts.upgrade, 'SPDY/3.1');
  assert.deepEqual(opts.headers, { 'x-stream-protocol-version': ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io'] });
  assert.equal(opts.path, '/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true&stderr=true');
  assert.deepEqual(SPDY_EXEC_PROTOCOLS, ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io']);
  assert.equal(spdyHandshakeProtocol(101, { upgrade: 'spdy/3.1', 'x-stream-protocol-version': 'v3.channel.k8s.io' }), 'v3.channel.k8s.io');
  assert.deepEqual(spdyHandshakeProtocol(101, { upgrade: 'websocket', 'x-stream-protocol-version': 'v4.channel.k8s.io' }), { why: 'upgraded to "websocket"' });
  assert.deepEqual(spdyHandshakeProtocol(101, { upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v5.channel.k8s.io' }), { why: 'stream protocol "v5.channel.k8s.io"' });
});

test('exec over SPDY/3.1 on the mock: exit 0, exit codes from the v4 Status, stdout and stderr, stdin, kill -15 1 into one container, refused execs', async () => {
  const fx = await startKubeFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 600_000, jitter: 0 } });
  const target = await loadTarget({ kubeconfig: fx.kubeconfig });
  const client = createTargetDispatcher(target, { connections: 4 });
  const d = composeDispatch(client, []);
  const spdy = { protocol: 'spdy' as const, timeoutMs: 10_000 };
  try {
    const pod = podManifest('runner') as { spec: { containers: Array<{ name: string; image: string }>; restartPolicy?: string } };
    pod.spec.containers.push({ name: 'sidecar', image: 'busybox' });
    pod.spec.restartPolicy = 'Never';
    assert.equal((await send(d, createRequest(PODS, 'default', pod))).status, 201);
    const podNow = async () => JSON.parse((await send(d, getRequest(PODS, 'default', 'runner'))).body.toString());
    await waitFor('pod Running', async () => (await podNow()).status?.phase === 'Running');

    const hello = await exec(d, PODS, 'default', 'runner', { command: ['echo', 'hello', 'world'], container: 'main', ...spdy });
    assert.deepEqual({ ...hello }, { exitCode: 0, stdout: 'hello world\n', stderr: '', stdoutBytes: 12, stderrBytes: 0, protocol: 'v4.channel.k8s.io' });

    const failing = await exec(d, PODS, 'default', 'runner', { command: ['sh', '-c', 'exit 3'], container: 'main', ...spdy });
    assert.equal(failing.exitCode, 3);
    assert.equal(failing.status?.reason, 'NonZeroExitCode');

    const both = await exec(d, PODS, 'default', 'runner', { command: ['sh', '-c', 'echo out; kill -s NOPE 1'], container: 'main', ...spdy });
    assert.equal(both.stdout, 'out\n');
    assert.equal(both.stderr, 'kill: invalid signal specification NOPE\n');
    assert.equal(both.exitCode, 1);

    const cat = await exec(d, PODS, 'default', 'runner', { command: ['cat'], container: 'main', stdinData: 'piped through stdin', ...spdy });
    assert.equal(cat.stdout, 'piped through stdin');
    assert.equal(cat.exitCode, 0);

    // Several at once on one dispatcher, interleaved with WebSocket execs and ordinary requests.
    const mixed = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0
          ? send(d, getRequest(PODS, 'default', 'runner')).then((r) => String(r.status))
          : exec(d, PODS, 'default', 'runner', { command: ['echo', String(i)], container: 'main', protocol: i % 3 === 1 ? 'spdy' : 'websocket' }).then((r) => `${r.protocol} ${r.stdout}`),
      ),
    );
    assert.deepEqual(mixed, Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? '200' : `${i % 3 === 1 ? 'v4' : 'v5'}.channel.k8s.io ${i}\n`)));

    // SIGTERM to the sidecar's pid 1: the exec succeeds and that container (only) terminates with 143.
    const killed = await exec(d, PODS, 'default', 'runner', { command: ['kill', '-15', '1'], container: 'sidecar', ...spdy });
    assert.equal(killed.exitCode, 0);
    const states = await waitFor('sidecar terminated', async () => {
      const cs = ((await podNow()).status?.containerStatuses ?? []) as Array<{ name: string; state: { terminated?: { exitCode: number }; running?: unknown } }>;
      return cs.find((c) => c.name === 'sidecar')?.state.terminated ? cs : undefined;
    });
    assert.equal(states.find((c) => c.name === 'sidecar')!.state.terminated!.exitCode, 143);
    assert.ok(states.find((c) => c.name === 'main')!.state.running, 'main still running');

    // Refused before the 101: the Status as an ExecError.
    await assert.rejects(exec(d, PODS, 'default', 'nosuchpod', { command: ['true'], ...spdy }), (e: ExecError) => e.code === 'RACERIG_KUBE_EXEC' && e.status?.code === 404 && e.status.reason === 'NotFound');
    await assert.rejects(exec(d, PODS, 'default', 'runner', { command: ['true'], container: 'other', ...spdy }), (e: ExecError) => e.status?.code === 400 && e.status.reason === 'BadRequest');
    await assert.rejects(exec(d, PODS, 'default', 'runner', { command: ['sleep', '5'], container: 'main', ...spdy, timeoutMs: 100 }), /did not finish within 100 ms/);
  } finally {
    await client.close();
    await fx.close();
  }
});

test('the mock shutting down mid-session: a clear ExecError at once, not a hang until the time limit', async () => {
  const fx = await startKubeFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 600_000, jitter: 0 } });
  const target = await loadTarget({ kubeconfig: fx.kubeconfig });
  const client = createTargetDispatcher(target, { connections: 2 });
  const d = composeDispatch(client, []);
  let closing: Promise<void> | undefined;
  try {
    assert.equal((await send(d, createRequest(PODS, 'default', podManifest('runner')))).status, 201);
    await waitFor('pod Running', async () => JSON.parse((await send(d, getRequest(PODS, 'default', 'runner'))).body.toString()).status?.phase === 'Running');
    const started = Date.now();
    const observed = observingUpgrades(d, () => (closing ??= fx.server.close()));
    await assert.rejects(exec(observed, PODS, 'default', 'runner', { command: ['sleep', '20'], protocol: 'spdy', timeoutMs: 20_000 }), (e: ExecError) => {
      assert.ok(e instanceof ExecError);
      assert.match(e.message, /before the command finished/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, `settled after ${Date.now() - started} ms`);
  } finally {
    await client.close();
    await (closing ?? fx.server.close());
    await fx.close().catch(() => undefined);
  }
});

test('a server that answers some output then drops the connection: ExecError naming the lost connection', async () => {
  // A hand-made SPDY exec server on the shared framing: 101, replies to each stream, stdout, then destroy.
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    let head = '';
    const reader = new FrameReader(new HeaderDecompressor());
    const compressor = new HeaderCompressor();
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      if (!upgraded) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        assert.match(head, /^POST \/api\/v1\/namespaces\/default\/pods\/p\/exec\?command=sleep/);
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
        chunk = Buffer.from(head.slice(end + 4), 'latin1');
      }
      for (const f of reader.push(chunk)) {
        if (f.type !== 'syn_stream') continue;
        socket.write(encodeSynReply(compressor, f.streamId));
        if (f.headers.get('streamtype')?.[0] === 'stderr') {
          socket.write(encodeData(f.streamId - 2, Buffer.from('partial\n')));
          socket.destroy();
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const { Client } = await import('undici');
  const c = new Client(`http://127.0.0.1:${port}`);
  try {
    const dispatch: DispatchFn = (opts, handler) => c.dispatch(opts, handler);
    const started = Date.now();
    await assert.rejects(exec(dispatch, PODS, 'default', 'p', { command: ['sleep', '20'], protocol: 'spdy', timeoutMs: 20_000 }), /exec: the (server closed the connection|connection closed) before the command finished/);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await c.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('v3.channel.k8s.io (no Status): an empty error stream is exit 0, the text message gives the exit code', async () => {
  // A hand-made server that only speaks v3: the outcome is a text message on the error stream on failure only.
  const outcomes = ['', 'command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7'];
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    const outcome = outcomes.shift() ?? '';
    let head = '';
    let upgraded = false;
    const reader = new FrameReader(new HeaderDecompressor());
    const compressor = new HeaderCompressor();
    const ids = new Map<string, number>();
    socket.on('data', (chunk: Buffer) => {
      if (!upgraded) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        assert.match(head, /x-stream-protocol-version: v4\.channel\.k8s\.io\r\nx-stream-protocol-version: v3\.channel\.k8s\.io\r\nx-stream-protocol-version: v2\.channel\.k8s\.io\r\n/i);
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v3.channel.k8s.io\r\n\r\n');
        chunk = Buffer.from(head.slice(end + 4), 'latin1');
      }
      for (const f of reader.push(chunk)) {
        if (f.type !== 'syn_stream') continue;
        ids.set(f.headers.get('streamtype')![0]!, f.streamId);
        socket.write(encodeSynReply(compressor, f.streamId));
        if (ids.has('stderr')) {
          socket.write(encodeData(ids.get('stdout')!, Buffer.from('out\n')));
          if (outcome) socket.write(encodeData(ids.get('error')!, Buffer.from(outcome)));
          for (const id of ids.values()) socket.write(encodeData(id, Buffer.alloc(0), true));
          socket.write(encodeGoAway(f.streamId));
          socket.end();
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { Client } = await import('undici');
  const c = new Client(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  try {
    const dispatch: DispatchFn = (opts, handler) => c.dispatch(opts, handler);
    const ok = await exec(dispatch, PODS, 'default', 'p', { command: ['true'], protocol: 'spdy', timeoutMs: 10_000 });
    assert.deepEqual({ ...ok }, { exitCode: 0, stdout: 'out\n', stderr: '', stdoutBytes: 4, stderrBytes: 0, protocol: 'v3.channel.k8s.io' });
    const failed = await exec(dispatch, PODS, 'default', 'p', { command: ['sh', '-c', 'exit 7'], protocol: 'spdy', timeoutMs: 10_000 });
    assert.equal(failed.exitCode, 7);
    assert.equal(failed.status?.reason, 'NonZeroExitCode');
  } finally {
    await c.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

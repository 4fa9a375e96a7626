/**
 * pods/exec and pods/attach over SPDY/3.1 driven by a client written here from the SPDY/3.1 spec and
 * the Kubernetes stream protocol (its own framing, and one streaming zlib context per direction, so
 * it shares nothing with the server's code but the dictionary): stream replies, output, the Status,
 * protocol negotiation, headers split across TCP writes, client RST_STREAM, malformed frames, and the
 * connection reset at every stage with the mock staying up.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createDeflate, createInflate, constants, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../src/spdy/header-compression.js';
import { http, json, podManifest, waitFor, startFixture, type MockFixture } from './helpers.js';

let fx: MockFixture;
let url: string;
let port: number;

async function createRunningPod(name: string, restartPolicy = 'Never'): Promise<void> {
  const created = await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest(name, 'default', {}, { restartPolicy }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitFor(`${name} Running`, async () => (await json(url, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body.status?.phase === 'Running');
}

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 600_000, jitter: 0 } });
  url = fx.url;
  port = Number(new URL(url).port);
  await createRunningPod('shell', 'Always');
});

after(() => fx.close());

// ---- a SPDY/3.1 client, from the spec -------------------------------------------------------------

const V4 = 'v4.channel.k8s.io';
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;

interface Frame {
  control: boolean;
  /** Control frame type (0 for DATA). */
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  headers?: Record<string, string>;
}

/** Runs zlib `input` through a streaming context and resolves with its output up to a sync flush. */
function zlibStep(z: Deflate | Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer) => out.push(c);
    z.on('data', onData);
    z.once('error', reject);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () =>
      setImmediate(() => {
        z.off('data', onData);
        z.off('error', reject);
        resolve(Buffer.concat(out));
      }),
    );
  });
}

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.from([0x80, 3, 0, type, flags, 0, 0, 0]);
  h.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([h, payload]);
}

function data(streamId: number, body: Buffer | string, fin = false): Buffer {
  const b = Buffer.from(body);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId, 0);
  h.writeUInt32BE(((fin ? 1 : 0) << 24) | b.length, 4);
  return Buffer.concat([h, b]);
}

class TestClient {
  readonly frames: Frame[] = [];
  closed = false;
  readonly closedAt: Promise<void>;
  private readonly deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  private pending = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private nextId = 1;

  constructor(
    readonly socket: Socket,
    leftover: Buffer,
    readonly protocol: string,
    private readonly byteByByte: boolean,
  ) {
    this.closedAt = new Promise((resolve) => socket.on('close', () => ((this.closed = true), resolve())));
    socket.on('data', (c: Buffer) => this.receive(c));
    if (leftover.length) this.receive(leftover);
  }

  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.pending.length < 8) return;
      const len = this.pending.readUIntBE(5, 3);
      if (this.pending.length < 8 + len) return;
      const raw = this.pending.subarray(0, 8 + len);
      this.pending = this.pending.subarray(8 + len);
      this.chain = this.chain.then(() => this.decode(raw));
    }
  }

  private async decode(raw: Buffer): Promise<void> {
    const isControl = (raw[0]! & 0x80) !== 0;
    const payload = raw.subarray(8);
    const f: Frame = { control: isControl, type: isControl ? raw.readUInt16BE(2) : 0, flags: raw[4]!, streamId: isControl ? 0 : raw.readUInt32BE(0) & 0x7fffffff, payload };
    if (isControl && [RST_STREAM, GOAWAY, SYN_REPLY, SYN_STREAM].includes(f.type)) f.streamId = payload.readUInt32BE(0) & 0x7fffffff;
    if (isControl && f.type === SYN_REPLY) {
      const block = await zlibStep(this.inflate, payload.subarray(4));
      const headers: Record<string, string> = {};
      let off = 4;
      const str = () => {
        const n = block.readUInt32BE(off);
        const s = block.toString('utf8', off + 4, off + 4 + n);
        off += 4 + n;
        return s;
      };
      for (let i = block.readUInt32BE(0); i > 0; i--) headers[str()] = str();
      f.headers = headers;
    }
    this.frames.push(f);
  }

  /** send writes bytes whole, or one byte per TCP write when the client was made byteByByte. */
  async send(bytes: Buffer): Promise<void> {
    if (!this.byteByByte) {
      this.socket.write(bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i++) {
      this.socket.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** openStream sends SYN_STREAM with `streamtype` and waits for its SYN_REPLY; returns the stream id. */
  async openStream(streamType: string, wait = true): Promise<number> {
    const id = this.nextId;
    this.nextId += 2;
    const name = Buffer.from('streamtype');
    const value = Buffer.from(streamType);
    const block = Buffer.concat([be32(1), be32(name.length), name, be32(value.length), value]);
    const compressed = await zlibStep(this.deflate, block);
    await this.send(control(SYN_STREAM, 0, Buffer.concat([be32(id), be32(0), Buffer.from([0, 0]), compressed])));
    if (wait) await waitFor(`SYN_REPLY for ${streamType}`, () => this.frames.some((f) => f.type === SYN_REPLY && f.streamId === id) || this.closed);
    return id;
  }

  /** streamData is everything received on a stream as text, and whether it was finished. */
  streamData(id: number): { text: string; fin: boolean } {
    const fs = this.frames.filter((f) => !f.control && f.streamId === id);
    return { text: Buffer.concat(fs.map((f) => f.payload)).toString('utf8'), fin: fs.some((f) => (f.flags & 1) !== 0) };
  }

  of(type: number): Frame[] {
    return this.frames.filter((f) => f.control && f.type === type);
  }

  async finished(timeoutMs = 5000): Promise<void> {
    await waitFor('the server to close the connection', () => this.closed, timeoutMs);
    await this.chain;
  }

  destroy(): void {
    this.deflate.destroy();
    this.inflate.destroy();
    this.socket.destroy();
  }
}

interface UpgradeOptions {
  protocols?: string[] | null;
  /** Write the request and every frame one byte per TCP write. */
  byteByByte?: boolean;
}

type Upgraded = { status: 101; client: TestClient } | { status: number; headers: string; body: string };

function query(q: Record<string, string | string[]>): string {
  return Object.entries(q)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${encodeURIComponent(x)}`))
    .join('&');
}

/** upgrade POSTs an exec/attach upgrade to SPDY/3.1 and resolves with the client once the 101 is read (or the refusal). */
async function upgrade(path: string, options: UpgradeOptions = {}): Promise<Upgraded> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const protocols = options.protocols === undefined ? [V4, 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] : options.protocols;
  const request =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
    (protocols ?? []).map((p) => `X-Stream-Protocol-Version: ${p}\r\n`).join('') +
    'Content-Length: 0\r\n\r\n';
  let got = Buffer.alloc(0);
  const head = new Promise<{ head: string; rest: Buffer }>((resolve, reject) => {
    const onData = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      resolve({ head: got.subarray(0, end).toString('latin1'), rest: got.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed before a response: ${got.toString('latin1')}`)));
  });
  if (options.byteByByte) {
    for (let i = 0; i < request.length; i++) {
      socket.write(request[i]!);
      await new Promise((r) => setImmediate(r));
    }
  } else socket.write(request);
  const { head: text, rest } = await head;
  const status = Number(text.split(' ')[1]);
  if (status !== 101) {
    let body = rest;
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => (body = Buffer.concat([body, c])));
      socket.once('close', () => resolve());
      socket.resume();
    });
    return { status, headers: text, body: body.toString('utf8') };
  }
  socket.removeAllListeners('close');
  socket.removeAllListeners('error');
  socket.on('error', () => {});
  const proto = /x-stream-protocol-version: (\S+)/i.exec(text)?.[1] ?? '';
  assert.match(text, /^HTTP\/1\.1 101 /);
  assert.match(text, /\r\nupgrade: SPDY\/3\.1/i);
  assert.match(text, /\r\nconnection: upgrade/i);
  const client = new TestClient(socket, rest, proto, options.byteByByte ?? false);
  socket.resume();
  return { status: 101, client };
}

async function upgraded(path: string, options: UpgradeOptions = {}): Promise<TestClient> {
  const r = await upgrade(path, options);
  assert.equal(r.status, 101, 'body' in r ? r.body : '');
  return (r as { client: TestClient }).client;
}

function execPath(pod: string, command: string[], q: Record<string, string> = { stdout: 'true', stderr: 'true' }, sub = 'exec'): string {
  return `/api/v1/namespaces/default/pods/${pod}/${sub}?${query({ command, ...q })}`;
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await fx.server.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const EXEC_101 = 'subresource="exec",scope="resource",code="101"';
const EXEC_GAUGE = 'subresource="exec",scope="resource"}';

// ---- tests ----------------------------------------------------------------------------------------

test('v4 exec: a SYN_REPLY per stream, stdout and stderr as DATA, the Success Status on the error stream, FIN everywhere, GOAWAY, close; PINGs echoed; counted as 101', async () => {
  const before101 = await metric('apiserver_request_total', EXEC_101);
  const c = await upgraded(execPath('shell', ['sh', '-c', 'echo hi; kill -s NOPE 1']));
  assert.equal(c.protocol, V4);
  await c.send(control(PING, 0, be32(1)));
  const error = await c.openStream('error');
  const stdout = await c.openStream('stdout');
  const stderr = await c.openStream('stderr');
  await c.finished();
  assert.deepEqual(c.of(PING).map((f) => f.payload.readUInt32BE(0)), [1], 'the ping came back');
  assert.deepEqual(c.of(SYN_REPLY).map((f) => [f.streamId, f.headers]), [[error, {}], [stdout, {}], [stderr, {}]]);
  assert.deepEqual(c.streamData(stdout), { text: 'hi\n', fin: true });
  assert.deepEqual(c.streamData(stderr), { text: 'kill: invalid signal specification NOPE\n', fin: true });
  const status = c.streamData(error);
  assert.ok(status.fin);
  assert.deepEqual(JSON.parse(status.text), {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [sh -c echo hi; kill -s NOPE 1], exit code 1',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '1' }] },
  });
  const goaway = c.of(GOAWAY);
  assert.equal(goaway.length, 1);
  assert.equal(goaway[0]!.payload.readUInt32BE(4), 0, 'GOAWAY OK');
  assert.equal(goaway[0]!.streamId, stderr, 'last good stream');
  c.destroy();
  await waitFor('the exec counted', async () => (await metric('apiserver_request_total', EXEC_101)) === before101 + 1);
  assert.equal(await metric('apiserver_longrunning_requests', EXEC_GAUGE), 0);
});

test('headers split across TCP writes: the request, every SYN_STREAM and DATA frame written one byte at a time', async () => {
  const c = await upgraded(execPath('shell', ['cat'], { stdin: 'true', stdout: 'true' }), { byteByByte: true });
  const error = await c.openStream('error');
  const stdin = await c.openStream('stdin');
  const stdout = await c.openStream('stdout');
  await c.send(data(stdin, 'split '));
  await c.send(data(stdin, 'bytes', true));
  await c.finished();
  assert.deepEqual(c.streamData(stdout), { text: 'split bytes', fin: true });
  assert.deepEqual(JSON.parse(c.streamData(error).text), { metadata: {}, status: 'Success' });
  assert.ok(c.streamData(stdin).fin, 'the server finishes stdin too');
  c.destroy();
});

test('a tty session: error, stdin, stdout and resize streams (stderr folded into stdout), resize data accepted; 4 MiB of stdin sent before the command reads it, all echoed (the server pauses reading at 1 MiB and resumes)', async () => {
  const tty = await upgraded(execPath('shell', ['sh', '-c', 'echo out; kill -s NOPE 1'], { tty: 'true', stdout: 'true', stderr: 'true' }));
  const error = await tty.openStream('error');
  const stdout = await tty.openStream('stdout');
  const resize = await tty.openStream('resize');
  await tty.send(data(resize, '{"Width":80,"Height":24}\n'));
  await tty.finished();
  assert.equal(tty.streamData(stdout).text, 'out\nkill: invalid signal specification NOPE\n');
  assert.equal(JSON.parse(tty.streamData(error).text).reason, 'NonZeroExitCode');
  tty.destroy();

  // The command reads nothing for 200 ms: the server buffers 1 MiB, stops reading the connection, and resumes as cat drains it.
  const big = await upgraded(execPath('shell', ['sh', '-c', 'sleep 0.2; cat'], { stdin: 'true', stdout: 'true' }));
  const bigError = await big.openStream('error');
  const stdin = await big.openStream('stdin');
  const out = await big.openStream('stdout');
  const chunk = Buffer.alloc(64 * 1024, 'abcdefgh');
  for (let i = 0; i < 64; i++) await big.send(data(stdin, chunk));
  await big.send(data(stdin, '', true));
  await big.finished(15_000);
  assert.equal(big.streamData(out).text.length, 64 * chunk.length);
  assert.deepEqual(JSON.parse(big.streamData(bigError).text), { metadata: {}, status: 'Success' });
  big.destroy();
});

test("stream protocol negotiation: the client's order among v4/v3/v2/channel.k8s.io wins; v2 reports failure as text and success as nothing; none in common is 403, none offered 400", async () => {
  const v2 = await upgraded(execPath('shell', ['exit', '3']), { protocols: ['v5.channel.k8s.io', 'v2.channel.k8s.io', V4] });
  assert.equal(v2.protocol, 'v2.channel.k8s.io');
  const e = await v2.openStream('error');
  await v2.openStream('stdout');
  await v2.openStream('stderr');
  await v2.finished();
  assert.equal(v2.streamData(e).text, 'command terminated with non-zero exit code: error executing command [exit 3], exit code 3');
  v2.destroy();
  const ok = await upgraded(execPath('shell', ['true'], { stdout: 'true' }), { protocols: ['channel.k8s.io'] });
  const okError = await ok.openStream('error');
  await ok.openStream('stdout');
  await ok.finished();
  assert.deepEqual(ok.streamData(okError), { text: '', fin: true });
  ok.destroy();

  const none = await upgrade(execPath('shell', ['true']), { protocols: ['v5.channel.k8s.io'] });
  assert.equal(none.status, 403);
  assert.match((none as { headers: string }).headers, /X-Accepted-Stream-Protocol-Versions: v4\.channel\.k8s\.io, v3/);
  const missing = await upgrade(execPath('shell', ['true']), { protocols: null });
  assert.equal(missing.status, 400);
  assert.match((missing as { body: string }).body, /X-Stream-Protocol-Version/);
});

test('the checks before the 101: a missing pod 404, a bad container 400, no command 400, no stream 400, a pod not Running 400', async () => {
  const cases: Array<[string, number, RegExp]> = [
    [execPath('ghost', ['true']), 404, /pods "ghost" not found/],
    [execPath('shell', ['true'], { container: 'nope', stdout: 'true' }), 400, /container nope is not valid for pod shell/],
    [`/api/v1/namespaces/default/pods/shell/exec?stdout=true`, 400, /at least 1 command/],
    [execPath('shell', ['true'], {}), 400, /at least 1 of stdin, stdout, stderr/],
  ];
  await json(url, 'POST', '/api/v1/namespaces/default/pods', { ...podManifest('pending'), metadata: { name: 'pending', namespace: 'default', annotations: { 'racerig.dev/start-delay-ms': '600000' } } });
  cases.push([execPath('pending', ['true']), 400, /container not found/]);
  for (const [path, status, message] of cases) {
    const r = await upgrade(path);
    assert.equal(r.status, status, path);
    const body = JSON.parse((r as { body: string }).body);
    assert.equal(body.kind, 'Status');
    assert.match(body.message, message);
  }
});

test('client RST_STREAM: resetting stdout drops its output but the outcome still arrives; resetting the error stream ends the session', async () => {
  const c = await upgraded(execPath('shell', ['cat'], { stdin: 'true', stdout: 'true' }));
  const error = await c.openStream('error');
  const stdin = await c.openStream('stdin');
  const stdout = await c.openStream('stdout');
  await c.send(control(RST_STREAM, 0, Buffer.concat([be32(stdout), be32(5)])));
  await c.send(data(stdin, 'unseen', true));
  await c.finished();
  assert.deepEqual(c.streamData(stdout), { text: '', fin: false }, 'nothing on a reset stream, not even FIN');
  assert.deepEqual(JSON.parse(c.streamData(error).text), { metadata: {}, status: 'Success' });
  c.destroy();

  const sleeper = await upgraded(execPath('shell', ['sleep', '30']));
  const sleeperError = await sleeper.openStream('error');
  await sleeper.openStream('stdout');
  await sleeper.openStream('stderr');
  const t = performance.now();
  await sleeper.send(control(RST_STREAM, 0, Buffer.concat([be32(sleeperError), be32(5)])));
  await sleeper.finished();
  assert.ok(performance.now() - t < 3000, 'the session ended long before the sleep would have');
  sleeper.destroy();
});

test('protocol errors: an unknown streamtype is refused and a duplicate is in use (RST_STREAM), a frame of another SPDY version is GOAWAY PROTOCOL_ERROR and a close', async () => {
  const c = await upgraded(execPath('shell', ['true']));
  await c.openStream('error');
  const bogus = await c.openStream('bogus', false);
  const dup = await c.openStream('error', false);
  await waitFor('two resets', () => c.of(RST_STREAM).length === 2);
  assert.deepEqual(c.of(RST_STREAM).map((f) => [f.streamId, f.payload.readUInt32BE(4)]), [[bogus, 3], [dup, 8]]);
  await c.send(Buffer.from([0x80, 2, 0, PING, 0, 0, 0, 4, 0, 0, 0, 1]));
  await c.finished();
  assert.equal(c.of(GOAWAY)[0]?.payload.readUInt32BE(4), 1, 'GOAWAY PROTOCOL_ERROR');
  c.destroy();
});

test('attach over SPDY: the container log on stdout, stdin echoed, Success on the error stream once the container is killed', async () => {
  await createRunningPod('attached');
  const c = await upgraded(`/api/v1/namespaces/default/pods/attached/attach?${query({ stdin: 'true', stdout: 'true', stderr: 'true' })}`);
  const error = await c.openStream('error');
  const stdin = await c.openStream('stdin');
  const stdout = await c.openStream('stdout');
  await c.openStream('stderr');
  await c.send(data(stdin, 'echo me\n'));
  await waitFor('log and echo', () => c.streamData(stdout).text.includes('echo me\n'));
  assert.equal(c.streamData(stdout).text, 'racerig mock: container main of pod default/attached started\nracerig mock: container main is running\necho me\n');
  assert.equal(c.closed, false, 'attach stays while the container runs');
  const killer = await upgraded(execPath('attached', ['kill', '1']));
  await killer.openStream('error');
  await killer.openStream('stdout');
  await killer.openStream('stderr');
  await killer.finished();
  killer.destroy();
  await c.finished();
  assert.deepEqual(JSON.parse(c.streamData(error).text), { metadata: {}, status: 'Success' });
  c.destroy();
});

/** Stages at which a client resets its connection; each returns the socket to reset. */
const STAGES: Array<[string, () => Promise<Socket>]> = [
  [
    'mid request headers',
    async () => {
      const s = connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.write(`POST ${execPath('shell', ['true'])} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Pro`);
      return s;
    },
  ],
  [
    'request sent, before the 101 is read',
    async () => {
      const s = connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.write(`POST ${execPath('shell', ['sleep', '30'])} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${V4}\r\nContent-Length: 0\r\n\r\n`);
      return s;
    },
  ],
  ['after the 101, no stream yet', async () => (await upgraded(execPath('shell', ['sleep', '30']))).socket],
  [
    'some streams open',
    async () => {
      const c = await upgraded(execPath('shell', ['sleep', '30']));
      await c.openStream('error');
      return c.socket;
    },
  ],
  [
    'mid SYN_STREAM frame',
    async () => {
      const c = await upgraded(execPath('shell', ['sleep', '30']));
      await c.openStream('error');
      c.socket.write(Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 40, 0, 0]));
      return c.socket;
    },
  ],
  [
    'mid-command (sleep running)',
    async () => {
      const c = await upgraded(execPath('shell', ['sleep', '30']));
      await c.openStream('error');
      await c.openStream('stdout');
      await c.openStream('stderr');
      return c.socket;
    },
  ],
  [
    'mid-command (cat waiting for stdin)',
    async () => {
      const c = await upgraded(execPath('shell', ['cat'], { stdin: 'true', stdout: 'true' }));
      await c.openStream('error');
      const stdin = await c.openStream('stdin');
      const stdout = await c.openStream('stdout');
      await c.send(data(stdin, 'one'));
      await waitFor('the echo', () => c.streamData(stdout).text === 'one');
      return c.socket;
    },
  ],
  [
    'mid-attach',
    async () => {
      const c = await upgraded(`/api/v1/namespaces/default/pods/shell/attach?stdout=true`);
      await c.openStream('error');
      const stdout = await c.openStream('stdout');
      await waitFor('the log', () => c.streamData(stdout).text.length > 0);
      return c.socket;
    },
  ],
];

test('a connection reset (TCP RST) at every stage leaves the mock up, its gauges back at 0, and the next exec served', async () => {
  for (const [stage, open] of STAGES) {
    const socket = await open();
    socket.on('error', () => {});
    const closed = new Promise((r) => socket.once('close', r));
    socket.resetAndDestroy();
    await closed;
    const pod = await http(url, 'GET', '/api/v1/namespaces/default/pods/shell');
    assert.equal(pod.status, 200, `after a reset ${stage}`);
    const c = await upgraded(execPath('shell', ['echo', 'still here'], { stdout: 'true' }));
    await c.openStream('error');
    const stdout = await c.openStream('stdout');
    await c.finished();
    assert.equal(c.streamData(stdout).text, 'still here\n', `after a reset ${stage}`);
    c.destroy();
  }
  await waitFor('no exec or attach session left', async () => {
    const text = await fx.server.metrics();
    return !/apiserver_longrunning_requests\{[^}]*subresource="(exec|attach)"[^}]*\} [1-9]/.test(text);
  });
});

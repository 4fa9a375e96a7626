/**
 * pods/exec and pods/attach over SPDY/3.1, the Kubernetes stream protocol as client-go spoke it
 * before WebSocket (kubectl up to 1.29, and controllers built on client-go of that time).
 *
 * The client POSTs with `Upgrade: SPDY/3.1` and the stream protocol versions it speaks
 * (`X-Stream-Protocol-Version`, v4/v3/v2/channel.k8s.io); the server answers 101 with the chosen one.
 * The client then opens one SPDY stream per channel, each named by its `streamtype` header (error,
 * stdin, stdout, stderr, resize), and the server replies to each. Once every stream the query asked
 * for is open the command runs; its output goes out as DATA frames, its outcome on the error stream
 * (v4: a metav1.Status carrying the exit code; older versions: a text message on failure only), then
 * every stream is finished, GOAWAY is sent and the connection is closed.
 *
 * Like moby/spdystream (client-go's SPDY library), no flow control is enforced: WINDOW_UPDATE and
 * SETTINGS frames are read and ignored.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MockApi } from '../api.js';
import type { ExecHandler } from '../exec.js';
import { DEFAULT_EXEC_START_DELAY_MS, exitStatus } from '../exec.js';
import { StatusError } from '../status.js';
import { writeRawStatus } from '../http-util.js';
import { killMainProcess, resolveExecTarget, runExecTarget, type ExecTarget } from '../exec-target.js';
import { HeaderCompressor, HeaderDecompressor } from '../../spdy/header-compression.js';
import {
  FrameReader,
  GoAwayStatus,
  RstStatus,
  SpdyProtocolError,
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  type SpdyFrame,
} from '../../spdy/framing.js';

/** SPDY_UPGRADE is the Upgrade header value of the protocol. */
export const SPDY_UPGRADE = 'SPDY/3.1';

/** SPDY_STREAM_PROTOCOLS are the stream protocol versions served over SPDY, most preferred first (v5 is WebSocket only). */
export const SPDY_STREAM_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/** DEFAULT_STREAM_CREATION_TIMEOUT_MS is how long the client may take to open every stream it asked for after the 101, in ms (the kubelet's 30 s). */
export const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** DEFAULT_CLOSE_GRACE_MS is how long the server waits for the client to close its end after the session finished, in ms, before it destroys the connection. */
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

/** STDIN_HIGH_WATER_BYTES is how much unread stdin the server buffers before it stops reading the connection (TCP pushes back on the client), in bytes. */
export const STDIN_HIGH_WATER_BYTES = 1024 * 1024;

/** DATA_CHUNK_BYTES is the largest DATA frame payload the server sends. */
export const DATA_CHUNK_BYTES = 32 * 1024;

/** isSpdyUpgrade tells whether an upgrade request asks for SPDY/3.1 (else it is taken for WebSocket). */
export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').trim().toLowerCase() === SPDY_UPGRADE.toLowerCase();
}

/** SpdyExecOptions configures createSpdyExecHandler; times in ms. */
export interface SpdyExecOptions {
  /** Time an exec'd command takes to start (default DEFAULT_EXEC_START_DELAY_MS, as over WebSocket). */
  startDelayMs?: number;
  /** What attach shows as the container's output (see LogOptions); undefined: the default lines. */
  logLines?: string[];
  /** See DEFAULT_STREAM_CREATION_TIMEOUT_MS. */
  streamCreationTimeoutMs?: number;
  /** See DEFAULT_CLOSE_GRACE_MS. */
  closeGraceMs?: number;
}

const STREAM_TYPES = ['error', 'stdin', 'stdout', 'stderr', 'resize'] as const;
type StreamType = (typeof STREAM_TYPES)[number];

function offeredProtocols(req: IncomingMessage): string[] | undefined {
  const raw = req.headers['x-stream-protocol-version'];
  if (raw === undefined) return undefined;
  return (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** negotiateStreamProtocol picks the first protocol the client offers that the server serves (the client's order wins, as in apimachinery's Handshake), or throws the 400/403 Status. */
export function negotiateStreamProtocol(offered: string[] | undefined): string {
  if (offered === undefined || offered.length === 0) {
    throw new StatusError(400, 'BadRequest', 'unable to upgrade: header X-Stream-Protocol-Version does not exist or is empty');
  }
  const chosen = offered.find((p) => SPDY_STREAM_PROTOCOLS.includes(p));
  if (!chosen) {
    throw new StatusError(403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${SPDY_STREAM_PROTOCOLS.join(' ')}]`, undefined, {
      'X-Accepted-Stream-Protocol-Versions': SPDY_STREAM_PROTOCOLS.join(', '),
    });
  }
  return chosen;
}

/** createSpdyExecHandler returns the SPDY/3.1 exec and attach endpoint over `api`'s pods; `onDone` gets the exit code (or 101 when the session ended before the command ran, or the HTTP status of a refusal). */
export function createSpdyExecHandler(api: MockApi, options: SpdyExecOptions = {}): ExecHandler {
  const sessions = new Set<SpdySession>();
  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onDone?: (code: number) => void) {
      // A client may reset the connection at any time: an upgraded socket has no other error listener.
      socket.on('error', () => socket.destroy());
      let target: ExecTarget;
      let protocol: string;
      try {
        target = resolveExecTarget(api, req);
        protocol = negotiateStreamProtocol(offeredProtocols(req));
      } catch (err) {
        const e = err instanceof StatusError ? err : new StatusError(500, 'InternalError', String(err));
        if (!socket.destroyed) writeRawStatus(socket, e);
        onDone?.(e.httpStatus);
        return;
      }
      const session = new SpdySession(api, socket, target, protocol, options);
      sessions.add(session);
      session.start(head).then(
        (code) => {
          sessions.delete(session);
          onDone?.(code);
        },
        () => {
          sessions.delete(session);
          socket.destroy();
          onDone?.(500);
        },
      );
    },
    close() {
      for (const s of sessions) s.destroy();
      sessions.clear();
    },
  };
}

interface OpenStream {
  id: number;
  type: StreamType;
  /** The server may still send on it (not finished by us, not reset by the client). */
  writable: boolean;
}

/** One upgraded connection: frame dispatch, the stream set, the command's I/O. */
class SpdySession {
  private readonly reader = new FrameReader(new HeaderDecompressor());
  private readonly compressor = new HeaderCompressor();
  private readonly streams = new Map<StreamType, OpenStream>();
  private readonly byId = new Map<number, OpenStream>();
  private readonly abort = new AbortController();
  private lastClientStreamId = 0;
  private readonly expected: Set<StreamType>;
  private allOpen!: () => void;
  private readonly streamsReady: Promise<void>;
  private stdinQueue: Buffer[] = [];
  private stdinQueuedBytes = 0;
  private stdinOpen = true;
  private stdinWaiter: ((b: Buffer | undefined) => void) | undefined;
  private closed = false;

  constructor(
    private readonly api: MockApi,
    private readonly socket: Duplex,
    private readonly target: ExecTarget,
    private readonly protocol: string,
    private readonly options: SpdyExecOptions,
  ) {
    // The streams the kubelet waits for: error always, then what the query asked for; resize with a tty (v3+).
    this.expected = new Set<StreamType>(['error']);
    if (target.stdin) this.expected.add('stdin');
    if (target.stdout) this.expected.add('stdout');
    if (target.stderr) this.expected.add('stderr');
    if (target.tty && protocol !== 'v2.channel.k8s.io' && protocol !== 'channel.k8s.io') this.expected.add('resize');
    this.streamsReady = new Promise<void>((resolve) => (this.allOpen = resolve));
  }

  /** start answers 101, serves the connection and resolves with the exit code (101 when the client left before the command ran). */
  async start(head: Buffer): Promise<number> {
    const { socket } = this;
    const gone = () => this.gone();
    socket.on('close', gone);
    socket.on('end', gone);
    socket.on('error', gone);
    if (socket.destroyed) return 101;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\nX-Stream-Protocol-Version: ${this.protocol}\r\n\r\n`);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    if (head.length) this.receive(head);

    const timeoutMs = this.options.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS;
    const ready = await this.until(this.streamsReady, timeoutMs);
    if (!ready) {
      // Timed out or the client went away: nothing ran.
      this.finish(undefined);
      return 101;
    }
    const delayMs = this.options.startDelayMs ?? DEFAULT_EXEC_START_DELAY_MS;
    if (delayMs > 0) await this.until(new Promise<void>((r) => setTimeout(r, delayMs).unref()), delayMs + 1000);
    if (this.abort.signal.aborted) {
      this.finish(undefined);
      return 101;
    }
    const code = await runExecTarget(this.api, this.target, this.options.logLines, {
      stdout: (t) => this.send('stdout', Buffer.from(t)),
      stderr: (t) => this.send(this.streams.has('stderr') ? 'stderr' : this.target.tty ? 'stdout' : 'stderr', Buffer.from(t)),
      readStdin: () => this.readStdin(),
      signal: this.abort.signal,
      podName: this.target.pod,
      killMain: (sig) => killMainProcess(this.api, this.target, sig),
    });
    this.finish(code);
    return code;
  }

  /** destroy drops the connection at once (server shutdown). */
  destroy(): void {
    this.gone();
    this.socket.destroy();
  }

  /** Resolves true when `p` settles first, false on timeout or when the client is gone. */
  private until(p: Promise<void>, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.abort.signal.aborted) return resolve(false);
      const t = setTimeout(() => done(false), ms);
      t.unref();
      const onAbort = () => done(false);
      const done = (v: boolean) => {
        clearTimeout(t);
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
      void p.then(() => done(true));
    });
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.stdinOpen = false;
    this.abort.abort();
    this.wakeStdin(undefined);
  }

  private write(bytes: Buffer): void {
    if (!this.closed && !this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: SpdyFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      // The connection is out of step (framing or header compression): it cannot be recovered.
      if (err instanceof SpdyProtocolError) this.write(encodeGoAway(this.lastClientStreamId, GoAwayStatus.PROTOCOL_ERROR));
      this.socket.end();
      this.gone();
      return;
    }
    for (const f of frames) this.handle(f);
  }

  private handle(f: SpdyFrame): void {
    switch (f.type) {
      case 'syn_stream':
        return this.onSynStream(f.streamId, f.headers.get('streamtype')?.[0] ?? '', f.fin);
      case 'data': {
        const s = this.byId.get(f.streamId);
        if (!s) {
          this.write(encodeRstStream(f.streamId, RstStatus.INVALID_STREAM));
          return;
        }
        if (s.type === 'stdin' && this.stdinOpen && f.data.length) this.pushStdin(f.data);
        if (s.type === 'stdin' && f.fin) this.closeStdin();
        return;
      }
      case 'rst_stream': {
        const s = this.byId.get(f.streamId);
        if (!s) return;
        s.writable = false;
        if (s.type === 'stdin') this.closeStdin();
        // Without its error stream the client can no longer learn the outcome: treat it as gone.
        if (s.type === 'error') this.gone();
        return;
      }
      case 'ping':
        // Odd ids are the client's pings, to be echoed; even ids would answer pings of ours (none are sent).
        if (f.id % 2 === 1) this.write(encodePing(f.id));
        return;
      case 'goaway':
        this.gone();
        this.socket.end();
        return;
      case 'invalid':
        this.write(encodeRstStream(f.streamId, RstStatus.PROTOCOL_ERROR));
        return;
      case 'syn_reply':
      case 'headers':
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private onSynStream(id: number, streamType: string, fin: boolean): void {
    // Client streams have odd, increasing ids.
    if (id % 2 === 0 || id <= this.lastClientStreamId) {
      this.write(encodeRstStream(id, RstStatus.PROTOCOL_ERROR));
      return;
    }
    this.lastClientStreamId = id;
    const type = STREAM_TYPES.find((t) => t === streamType);
    if (!type || this.streams.has(type)) {
      this.write(encodeRstStream(id, type ? RstStatus.STREAM_IN_USE : RstStatus.REFUSED_STREAM));
      return;
    }
    const s: OpenStream = { id, type, writable: true };
    this.streams.set(type, s);
    this.byId.set(id, s);
    this.write(encodeSynReply(this.compressor, id));
    if (type === 'stdin' && (fin || !this.target.stdin)) this.closeStdin();
    if ([...this.expected].every((t) => this.streams.has(t))) this.allOpen();
  }

  private send(type: StreamType, data: Buffer): void {
    const s = this.streams.get(type);
    if (!s || !s.writable) return;
    for (let off = 0; off < data.length; off += DATA_CHUNK_BYTES) this.write(encodeData(s.id, data.subarray(off, off + DATA_CHUNK_BYTES)));
  }

  private pushStdin(chunk: Buffer): void {
    if (this.stdinWaiter) return this.wakeStdin(chunk);
    this.stdinQueue.push(chunk);
    this.stdinQueuedBytes += chunk.length;
    if (this.stdinQueuedBytes > STDIN_HIGH_WATER_BYTES) this.socket.pause();
  }

  private closeStdin(): void {
    this.stdinOpen = false;
    this.wakeStdin(undefined);
  }

  private wakeStdin(b: Buffer | undefined): void {
    const w = this.stdinWaiter;
    this.stdinWaiter = undefined;
    w?.(b);
  }

  private readStdin(): Promise<Buffer | undefined> {
    const next = this.stdinQueue.shift();
    if (next) {
      this.stdinQueuedBytes -= next.length;
      if (this.stdinQueuedBytes <= STDIN_HIGH_WATER_BYTES / 2 && this.socket.isPaused()) this.socket.resume();
      return Promise.resolve(next);
    }
    if (!this.stdinOpen || !this.target.stdin) return Promise.resolve(undefined);
    return new Promise((r) => (this.stdinWaiter = r));
  }

  /** finish writes the outcome on the error stream (when a command ran), finishes every stream, says GOAWAY and closes. */
  private finish(code: number | undefined): void {
    if (this.closed) {
      this.socket.destroy();
      return;
    }
    if (code !== undefined) {
      const v4 = this.protocol === 'v4.channel.k8s.io';
      const argv = this.target.kind === 'exec' ? this.target.argv : ['attach'];
      const message = v4 ? exitStatus(code, argv) : code === 0 ? '' : `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`;
      if (message) this.send('error', Buffer.from(message));
    }
    for (const s of this.streams.values()) {
      if (s.writable) this.write(encodeData(s.id, Buffer.alloc(0), true));
      s.writable = false;
    }
    this.write(encodeGoAway(this.lastClientStreamId, GoAwayStatus.OK));
    this.gone();
    this.socket.end();
    // Read on (and discard) until the client closes, even if unread stdin had paused the socket.
    this.socket.resume();
    const grace = setTimeout(() => this.socket.destroy(), this.options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
    grace.unref();
    this.socket.once('close', () => clearTimeout(grace));
  }
}

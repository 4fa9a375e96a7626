/**
 * The client side of pods/exec over SPDY/3.1, as client-go's SPDY executor (remotecommand over
 * moby/spdystream) spoke it before WebSocket exec: Argo Workflows v3.6.0-rc1 and kubectl up to 1.29.
 *
 * The upgrade request is built by exec-client.ts (a POST with `Upgrade: SPDY/3.1` and one
 * `X-Stream-Protocol-Version` line per offered version) and goes through the caller's dispatch chain;
 * after the 101 this session opens one stream per channel, one after another as client-go does (each
 * SYN_STREAM waits for its SYN_REPLY): error, then stdin when there is data for it, stdout, stderr.
 * Stdin is written and finished (FIN) once every stream is open. The outcome comes on the error
 * stream: with v4 a metav1 Status (exit code in its NonZeroExitCode cause), with v3/v2 a text message
 * on failure only. The session ends when the server has finished the error stream and every output
 * stream (or said GOAWAY); a connection that closes before that is an error, never a success.
 *
 * Framing and header compression are the shared src/spdy/ modules the mock serves with. Like
 * spdystream, no flow control is enforced: WINDOW_UPDATE and SETTINGS are read and ignored.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { HeaderCompressor, HeaderDecompressor } from '../spdy/header-compression.js';
import { FrameReader, RstStatus, encodeData, encodePing, encodeRstStream, encodeSynStream, type SpdyFrame } from '../spdy/framing.js';
import { ExecError, exitCodeOf, header } from './exec-status.js';
import type { ExecResult, ExecRunOptions } from './exec-client.js';

/** SPDY_UPGRADE is the Upgrade token of the request and of the server's 101. */
export const SPDY_UPGRADE = 'SPDY/3.1';

/** SPDY_EXEC_PROTOCOLS are the stream protocol versions offered, most preferred first (client-go's SPDY executor: v4, v3, v2). */
export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io'] as const;

/** spdyExecHeaders returns the request headers of a SPDY exec besides the upgrade (one X-Stream-Protocol-Version line per version, as client-go sends them). */
export function spdyExecHeaders(): Record<string, string[]> {
  return { 'x-stream-protocol-version': [...SPDY_EXEC_PROTOCOLS] };
}

/** spdyHandshakeProtocol checks the server's answer to the upgrade and returns the stream protocol it chose, or why the handshake is unusable. */
export function spdyHandshakeProtocol(statusCode: number, headers: IncomingHttpHeaders | string[] | Buffer[]): string | { why: string } {
  const upgrade = header(headers, 'upgrade') ?? '';
  const protocol = header(headers, 'x-stream-protocol-version') ?? '';
  if (statusCode !== 101) return { why: `status ${statusCode}` };
  if (upgrade.trim().toLowerCase() !== SPDY_UPGRADE.toLowerCase()) return { why: `upgraded to "${upgrade}"` };
  if (!(SPDY_EXEC_PROTOCOLS as readonly string[]).includes(protocol.trim())) return { why: `stream protocol "${protocol}"` };
  return protocol.trim();
}

/** CLOSE_GRACE_MS is how long the session waits, once it has the outcome, for the server to close the connection before it destroys it. */
const CLOSE_GRACE_MS = 2_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr';

interface ClientStream {
  id: number;
  type: StreamType;
  /** The server replied (SYN_REPLY). */
  replied: boolean;
  /** The server finished its half (FIN or RST_STREAM). */
  remoteDone: boolean;
}

/**
 * SpdyExecSession runs the exec protocol on an upgraded socket and settles once: `resolve` with the
 * result, or `reject` with an ExecError (protocol error, refused stream, connection lost, `abort`).
 */
export class SpdyExecSession {
  private readonly reader = new FrameReader(new HeaderDecompressor());
  private readonly compressor = new HeaderCompressor();
  /** Streams to open, in order; the head is opened when the previous one was replied to. */
  private readonly pending: StreamType[];
  private readonly streams = new Map<number, ClientStream>();
  private readonly byType = new Map<StreamType, ClientStream>();
  private nextId = 1;
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private readonly errorChannel: Buffer[] = [];
  private outBytes = 0;
  private errBytes = 0;
  private goAway = false;
  private settled = false;
  /** The outcome, once known: it is handed on when the connection has closed (so the session's duration covers it). */
  private result: ExecResult | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Duplex,
    private readonly protocol: string,
    private readonly o: ExecRunOptions,
    private readonly resolve: (r: ExecResult) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.pending = ['error'];
    if (o.stdinData !== undefined || o.stdin) this.pending.push('stdin');
    if (o.stdout !== false) this.pending.push('stdout');
    if (o.stderr !== false) this.pending.push('stderr');
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => {
      if (!this.result) this.lost('the server closed the connection');
    });
    socket.on('close', () => (this.result ? this.done() : this.lost('the connection closed')));
    socket.on('error', (e) => {
      if (!this.result) this.fail(new ExecError(`exec: the connection failed before the command finished (${e.message})`, undefined, e));
    });
    this.openNext();
  }

  /** abort destroys the connection and rejects with `err` (time limit), or resolves when the outcome is already known; nothing once settled. */
  abort(err: Error): void {
    if (this.result) {
      this.socket.destroy();
      return this.done();
    }
    this.fail(err);
  }

  private write(bytes: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  private openNext(): void {
    const type = this.pending.shift();
    if (type === undefined) return this.allOpen();
    const s: ClientStream = { id: this.nextId, type, replied: false, remoteDone: false };
    this.nextId += 2;
    this.streams.set(s.id, s);
    this.byType.set(type, s);
    this.write(encodeSynStream(this.compressor, s.id, { streamtype: type }));
  }

  /** Every stream is open: write stdin and finish it (client-go closes stdin once its reader is drained). */
  private allOpen(): void {
    const stdin = this.byType.get('stdin');
    if (!stdin) return;
    const data = this.o.stdinData === undefined ? Buffer.alloc(0) : typeof this.o.stdinData === 'string' ? Buffer.from(this.o.stdinData) : Buffer.from(this.o.stdinData);
    for (let off = 0; off < data.length; off += 32 * 1024) this.write(encodeData(stdin.id, data.subarray(off, off + 32 * 1024)));
    this.write(encodeData(stdin.id, Buffer.alloc(0), true));
  }

  private receive(chunk: Buffer): void {
    if (this.settled || this.result) return;
    let frames: SpdyFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      return this.fail(new ExecError(`exec SPDY protocol error: ${(e as Error).message}`, undefined, e));
    }
    for (const f of frames) {
      if (this.settled || this.result) return;
      this.handle(f);
    }
  }

  private handle(f: SpdyFrame): void {
    switch (f.type) {
      case 'syn_reply': {
        const s = this.streams.get(f.streamId);
        if (!s || s.replied) return;
        s.replied = true;
        if (f.fin) this.remoteDone(s);
        // The reply to the newest stream lets the next one open.
        if (s.id === this.nextId - 2) this.openNext();
        return;
      }
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        if (f.data.length) this.data(s, f.data);
        if (f.fin) this.remoteDone(s);
        return;
      }
      case 'rst_stream': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        if (!s.replied) return this.fail(new ExecError(`exec: the server refused the ${s.type} stream (RST_STREAM status ${f.status})`));
        this.remoteDone(s);
        return;
      }
      case 'syn_stream':
        // The server opens no streams in this protocol.
        this.write(encodeRstStream(f.streamId, RstStatus.REFUSED_STREAM));
        return;
      case 'ping':
        // Even ids are the server's pings, to be echoed.
        if (f.id % 2 === 0) this.write(encodePing(f.id));
        return;
      case 'goaway':
        this.goAway = true;
        this.complete();
        return;
      case 'invalid':
        this.write(encodeRstStream(f.streamId, RstStatus.PROTOCOL_ERROR));
        return;
      case 'headers':
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private data(s: ClientStream, data: Buffer): void {
    const max = this.o.maxOutputBytes ?? 1 << 20;
    switch (s.type) {
      case 'stdout':
        if (this.outBytes < max) this.out.push(data.subarray(0, max - this.outBytes));
        this.outBytes += data.length;
        return;
      case 'stderr':
        if (this.errBytes < max) this.err.push(data.subarray(0, max - this.errBytes));
        this.errBytes += data.length;
        return;
      case 'error':
        this.errorChannel.push(data);
        return;
      case 'stdin':
        return;
    }
  }

  private remoteDone(s: ClientStream): void {
    s.remoteDone = true;
    this.complete();
  }

  /**
   * Takes the outcome once the error stream and every output stream are finished (or at GOAWAY), ends our half of
   * the connection and settles when it has closed (the server closes after GOAWAY; after CLOSE_GRACE_MS it is destroyed).
   */
  private complete(): void {
    if (this.result) return;
    const error = this.byType.get('error');
    if (!error?.remoteDone && !this.goAway) return;
    if (!this.goAway && (this.pending.length > 0 || [...this.streams.values()].some((s) => s.type !== 'stdin' && !s.remoteDone))) return;
    if (!error?.remoteDone && this.errorChannel.length === 0) {
      return this.fail(new ExecError('exec: the server said GOAWAY before the command finished (no outcome on the error stream)'));
    }
    const statusText = Buffer.concat(this.errorChannel).toString('utf8');
    const { exitCode, status } = this.protocol === 'v4.channel.k8s.io' ? exitCodeOf(statusText) : legacyExitCode(statusText);
    const r: ExecResult = {
      exitCode,
      stdout: Buffer.concat(this.out).toString('utf8'),
      stderr: Buffer.concat(this.err).toString('utf8'),
      stdoutBytes: this.outBytes,
      stderrBytes: this.errBytes,
      protocol: this.protocol,
    };
    if (status) r.status = status;
    this.result = r;
    this.socket.end();
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  private done(): void {
    if (this.settled || !this.result) return;
    this.settled = true;
    clearTimeout(this.closeTimer);
    this.resolve(this.result);
  }

  private lost(what: string): void {
    if (this.settled) return;
    this.fail(new ExecError(`exec: ${what} before the command finished (no outcome on the error stream)`));
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.socket.destroy();
    this.reject(err);
  }
}

/** legacyExitCode reads the v3/v2 error stream: empty on success, else a text message (`… exit code N` when the command failed). */
function legacyExitCode(text: string): ReturnType<typeof exitCodeOf> {
  if (text.trim() === '') return { exitCode: 0 };
  const m = /exit code (\d+)\s*$/.exec(text.trim());
  return { exitCode: m ? Number(m[1]) : -1, status: { code: 500, reason: m ? 'NonZeroExitCode' : 'InternalError', message: text } };
}

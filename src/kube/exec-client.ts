/**
 * pods/exec through the same dispatcher and wrapper chain as every other request, over WebSocket
 * (default) or SPDY/3.1 (`protocol: 'spdy'`, see exec-spdy.ts).
 *
 * WebSocket: an upgrade request (`upgrade: 'websocket'`, subprotocols v5.channel.k8s.io then
 * v4.channel.k8s.io) sent with `dispatch`, then the channel protocol on the upgraded socket: one channel
 * byte per message (0 stdin, 1 stdout, 2 stderr, 3 error Status, 255 v5 close), exit code from the error Status.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { RigDispatchOptions } from '../http/request-options.js';
import type { ResourcePaths } from './resource.js';
import { EXEC_SUBPROTOCOLS, execPath, type ExecOptions } from './requests.js';
import type { DispatchFn } from './send.js';
import { KubeApiError, parseStatus, type KubeStatus } from './status.js';
import { ExecError, exitCodeOf, header } from './exec-status.js';
import { SpdyExecSession, spdyExecHeaders, spdyHandshakeProtocol, SPDY_UPGRADE } from './exec-spdy.js';
import { FrameDecoder, OPCODES, acceptKey, encodeClientFrame, type WebSocketMessage } from './websocket-frame.js';

export { ExecError, exitCodeOf } from './exec-status.js';

/** ExecProtocol is the wire protocol of an exec: WebSocket (kubectl ≥ 1.30) or SPDY/3.1 (client-go before that, e.g. Argo v3.6). */
export type ExecProtocol = 'websocket' | 'spdy';

/** ExecRunOptions are exec options plus stdin data, metrics context and a time limit. */
export interface ExecRunOptions extends ExecOptions {
  /** Sent on stdin (implies `stdin: true`); with v5 stdin is then closed. */
  stdinData?: string | Uint8Array;
  /** Metrics operation (RigDispatchOptions.operation). */
  operation?: number;
  /** Intended start on the run clock, ms (open model). */
  intendedAt?: number;
  /** Operation recording the session's duration (RigDispatchOptions.streamOperation). */
  streamOperation?: number;
  /** Limit for the whole exec from dispatch to close, ms (default 30000); on expiry the request or socket is destroyed and the promise rejects. */
  timeoutMs?: number;
  /** Keep at most this many bytes of stdout and of stderr (default 1 MiB); the rest is counted, not kept. */
  maxOutputBytes?: number;
  /** Wire protocol (default 'websocket'). */
  protocol?: ExecProtocol;
}

/** ExecResult is a finished exec session. */
export interface ExecResult {
  /** The command's exit code (0 on Success; from the NonZeroExitCode cause; -1 when the Status gives none). */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Bytes received on stdout and stderr (including any not kept). */
  stdoutBytes: number;
  stderrBytes: number;
  /** The negotiated stream protocol (WebSocket subprotocol, or X-Stream-Protocol-Version over SPDY). */
  protocol: string;
  /** The error-channel Status when it was a Failure. */
  status?: KubeStatus;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;
const PROTOCOL_HEADER = EXEC_SUBPROTOCOLS.join(', ');

/** ExecSessionLike is what the exec timer needs of a running session (WebSocket or SPDY). */
interface ExecSessionLike {
  abort(err: Error): void;
}

class ExecSession {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private readonly errorChannel: Buffer[] = [];
  private outBytes = 0;
  private errBytes = 0;
  private finished = false;
  private closeSent = false;
  private readonly decoder: FrameDecoder;

  constructor(
    private readonly socket: Duplex,
    private readonly protocol: string,
    private readonly o: ExecRunOptions,
    private readonly resolve: (r: ExecResult) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.decoder = new FrameDecoder((m) => this.message(m));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.abort(new ExecError((err as Error).message, undefined, err));
      }
    });
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', (err) => this.abort(new ExecError(`exec socket: ${err.message}`, undefined, err)));
    if (o.stdinData !== undefined) {
      const data = typeof o.stdinData === 'string' ? Buffer.from(o.stdinData) : o.stdinData;
      const msg = Buffer.allocUnsafe(data.length + 1);
      msg[0] = STDIN;
      msg.set(data, 1);
      socket.write(encodeClientFrame(OPCODES.binary, msg));
      if (protocol.startsWith('v5.')) socket.write(encodeClientFrame(OPCODES.binary, Buffer.from([CLOSE, STDIN])));
    }
  }

  private keep(list: Buffer[], kept: number, data: Buffer): void {
    const max = this.o.maxOutputBytes ?? 1 << 20;
    if (kept < max) list.push(data.length + kept > max ? data.subarray(0, max - kept) : Buffer.from(data));
  }

  private message(m: WebSocketMessage): void {
    if (m.opcode === OPCODES.binary || m.opcode === OPCODES.text) {
      if (m.payload.length === 0) return;
      const data = m.payload.subarray(1);
      switch (m.payload[0]) {
        case STDOUT:
          this.keep(this.out, this.outBytes, data);
          this.outBytes += data.length;
          break;
        case STDERR:
          this.keep(this.err, this.errBytes, data);
          this.errBytes += data.length;
          break;
        case ERROR:
          this.errorChannel.push(Buffer.from(data));
          break;
      }
    } else if (m.opcode === OPCODES.ping) {
      this.socket.write(encodeClientFrame(OPCODES.pong, m.payload));
    } else if (m.opcode === OPCODES.close) {
      if (!this.closeSent) {
        this.closeSent = true;
        this.socket.write(encodeClientFrame(OPCODES.close, m.payload.subarray(0, 2)));
      }
      this.socket.end();
      this.finish();
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const { exitCode, status } = exitCodeOf(Buffer.concat(this.errorChannel).toString('utf8'));
    const r: ExecResult = {
      exitCode,
      stdout: Buffer.concat(this.out).toString('utf8'),
      stderr: Buffer.concat(this.err).toString('utf8'),
      stdoutBytes: this.outBytes,
      stderrBytes: this.errBytes,
      protocol: this.protocol,
    };
    if (status) r.status = status;
    this.resolve(r);
  }

  /** abort destroys the socket and rejects (time limit, protocol error). */
  abort(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.socket.destroy();
    this.reject(err);
  }
}

class ExecHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private readonly body: Buffer[] = [];
  controller: Dispatcher.DispatchController | undefined;
  session: ExecSessionLike | undefined;
  constructor(
    private readonly key: string,
    private readonly o: ExecRunOptions,
    private readonly resolve: (r: ExecResult) => void,
    private readonly reject: (e: Error) => void,
  ) {}
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    if (this.o.protocol === 'spdy') {
      const chosen = spdyHandshakeProtocol(statusCode, headers);
      if (typeof chosen !== 'string') {
        socket.destroy();
        this.reject(new ExecError(`exec upgrade: bad SPDY handshake (${chosen.why})`));
        return;
      }
      this.session = new SpdyExecSession(socket, chosen, this.o, this.resolve, this.reject);
      return;
    }
    const protocol = header(headers, 'sec-websocket-protocol') ?? '';
    if (statusCode !== 101 || header(headers, 'sec-websocket-accept') !== acceptKey(this.key) || !(EXEC_SUBPROTOCOLS as readonly string[]).includes(protocol)) {
      socket.destroy();
      this.reject(new ExecError(`exec upgrade: bad handshake (status ${statusCode}, protocol "${protocol}")`));
      return;
    }
    this.session = new ExecSession(socket, protocol, this.o, this.resolve, this.reject);
  }
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.body.push(chunk);
  }
  onResponseEnd(): void {
    const s = parseStatus(this.status, Buffer.concat(this.body));
    this.reject(new ExecError(`exec refused: ${s.code} ${s.reason}: ${s.message}`, s, new KubeApiError(s, 'exec')));
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.reject(new ExecError(`exec request failed: ${err.message}`, undefined, err));
  }
}

/**
 * execRequestOptions returns the upgrade request of an exec and the Sec-WebSocket-Key it carries: a GET
 * upgraded to `websocket`, or with `protocol: 'spdy'` a POST upgraded to `SPDY/3.1` offering
 * SPDY_EXEC_PROTOCOLS in X-Stream-Protocol-Version (the key is then unused).
 */
export function execRequestOptions(paths: ResourcePaths, namespace: string, pod: string, o: ExecRunOptions): { opts: RigDispatchOptions; key: string } {
  const key = randomBytes(16).toString('base64');
  const path = execPath(paths, namespace, pod, o.stdinData !== undefined ? { ...o, stdin: true } : o);
  const opts: RigDispatchOptions =
    o.protocol === 'spdy'
      ? { method: 'POST', path, headers: spdyExecHeaders(), upgrade: SPDY_UPGRADE }
      : { method: 'GET', path, headers: { 'sec-websocket-key': key, 'sec-websocket-version': '13', 'sec-websocket-protocol': PROTOCOL_HEADER }, upgrade: 'websocket' };
  if (o.operation !== undefined) opts.operation = o.operation;
  if (o.intendedAt !== undefined) opts.intendedAt = o.intendedAt;
  if (o.streamOperation !== undefined) opts.streamOperation = o.streamOperation;
  return { opts, key };
}

/** exec runs a command in a pod over WebSocket (or SPDY/3.1 with `protocol: 'spdy'`) through `dispatch` (and its wrappers); rejects with ExecError when it cannot run. */
export function exec(dispatch: DispatchFn, paths: ResourcePaths, namespace: string, pod: string, o: ExecRunOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const { opts, key } = execRequestOptions(paths, namespace, pod, o);
    const limitMs = o.timeoutMs ?? 30_000;
    let settled = false;
    const settle = <T>(f: (v: T) => void) => (v: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f(v);
    };
    const handler = new ExecHandler(key, o, settle(resolve), settle(reject));
    const timer = setTimeout(() => {
      const err = new ExecError(`exec did not finish within ${limitMs} ms`);
      if (handler.session) handler.session.abort(err);
      else {
        handler.controller?.abort(err);
        settle(reject)(err);
      }
    }, limitMs);
    try {
      dispatch(opts, handler);
    } catch (err) {
      settle(reject)(err as Error);
    }
  });
}

/**
 * H1Client: racerig's lean HTTP/1.1 client for one connection, an undici Dispatcher, so racerig's
 * wrappers (metrics, logging) compose over it exactly as over undici's Client. It exists for speed:
 * at 10,000 requests/s a load worker spent ~33 µs per request in undici's Client outside the write
 * system call (request validation, queue, llhttp callbacks, an idle-socket check that defers every
 * write to a setImmediate), where wrk and autocannon pre-serialize the request and parse responses
 * with a few string operations.
 *
 * What it does: one socket from the given connector (pre-connected sockets included, TLS too),
 * requests serialized once per (method, path, headers, body) and written as one buffer, up to
 * `pipelining` in flight, responses parsed by a small state machine (status line and headers,
 * Content-Length, chunked with trailers, bodies up to the close, 1xx skipped, HEAD/204/304 without
 * a body, Connection: close, with requests pipelined behind it sent again), header and body timeouts, abort, close and destroy with undici's
 * error classes (so error kinds count the same). What it leaves to undici's Client: upgrades,
 * streamed bodies, Expect: 100-continue, HTTP/2 (`run` picks undici's Client for such requests,
 * and with `--http-client undici`).
 *
 * Handlers: undici's raw handler interface (onConnect, onHeaders, onData, onComplete, onError),
 * which racerig's metrics wrapper speaks; a handler of undici's current interface is adapted with
 * undici's own UnwrapHandler.
 */
import type { Dispatcher as UndiciDispatcher, buildConnector as BuildConnector } from 'undici';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildConnector, Dispatcher, errors, UnwrapHandler } from './undici-client.js';

/** RawHandler is undici's raw dispatch handler interface (what its Client calls). */
interface RawHandler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
  onHeaders?(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  /**
   * true: the handler never reads the header list onHeaders gets, so H1Client passes an empty one
   * and does not cut the header lines into names and values (it still reads Content-Length,
   * Transfer-Encoding and Connection). racerig's metrics wrapper says so when nothing after it
   * looks at headers, as on the load path.
   */
  readonly ignoresHeaders?: boolean;
  onData?(chunk: Buffer): boolean;
  /**
   * true (read for every body chunk): the handler only counts the body's bytes for now, so H1Client
   * calls onDataLength with the chunk's length instead of onData and neither cuts nor copies the
   * chunk. racerig's metrics wrapper says so for a success response when nothing after it reads bodies.
   */
  readonly countsBodyOnly?: boolean;
  onDataLength?(length: number): boolean;
  onComplete?(trailers: string[]): void;
  onError?(err: Error): void;
}

/** H1ClientOptions are the subset of undici's Client options the load path uses. */
export interface H1ClientOptions {
  pipelining?: number;
  /** ms from a request's write (or the previous response) to its response head; 0 = none. */
  headersTimeout?: number;
  /** ms a response body may be idle; 0 = none. */
  bodyTimeout?: number;
  /**
   * ms a request may take in all, from its write (or, pipelined, from the previous response's end)
   * to the end of its response, however the server trickles; 0 = none. Checked with the other
   * timeouts, every tenth of the shortest (at least 10 ms, at most 250 ms).
   */
  requestTimeout?: number;
  connectTimeout?: number;
  /** A connector (undici's `buildConnector` result) or options for one. */
  connect?: BuildConnector.connector | BuildConnector.BuildOptions;
  /**
   * The `connect` function's sockets were made with `sharedReadOptions()` (plain TCP only): they read
   * into READ_BUFFER, like the sockets of the connector H1Client builds itself.
   */
  sharedRead?: boolean;
  /**
   * Body chunks given to handlers are lent, not copied: with a shared read buffer a chunk is valid only
   * during the handler's call (a handler that keeps part of one must copy it).
   */
  lendBodyChunks?: boolean;
}

/** MAX_HEAD_BYTES bounds a response head (undici's default maxHeaderSize is 16 KiB; this allows more). */
const MAX_HEAD_BYTES = 64 * 1024;
/** A completed response without trailers (nearly all) passes this one empty list. */
const NO_TRAILERS: string[] = [];
/** The header list a handler that ignores headers gets (see RawHandler.ignoresHeaders). */
const NO_HEADERS: string[] = Object.freeze([]) as unknown as string[];
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const EXPECTS_PAYLOAD = new Set(['PUT', 'POST', 'PATCH', 'QUERY']);
/**
 * READ_BUFFER is the one buffer every plain-TCP H1Client socket of this thread reads into, whether the
 * client built its connector or was given one made with sharedReadOptions() (net.connect's
 * `onread`, SHARED_ONREAD): no Buffer per read and none of the stream
 * machinery behind 'data' events (~4 µs per read on this machine). Parsing is synchronous, so one
 * buffer serves all sockets; whatever outlives the read (a partial head, body chunks given to a
 * handler) is copied.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** The H1Client reading a socket made with SHARED_ONREAD, set while the client holds it. */
const kReader = Symbol('racerig.h1.reader');
type Reader = (from: Socket, n: number, buf: Uint8Array) => boolean;
/** net.connect's `onread` for READ_BUFFER: a read goes to the client holding the socket; with none (a pre-connected socket not handed out yet) it is dropped. */
const SHARED_ONREAD = {
  buffer: READ_BUFFER,
  callback(this: Socket & { [kReader]?: Reader }, n: number, buf: Uint8Array): boolean {
    const reader = this[kReader];
    return reader ? reader(this, n, buf) : true;
  },
};

/** sharedReadOptions are the connector options (undici's `buildConnector`) for plain-TCP sockets an H1Client with `sharedRead` reads into its thread's one buffer. */
export function sharedReadOptions(): { onread: typeof SHARED_ONREAD } {
  return { onread: SHARED_ONREAD };
}
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;

const enum St {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

/** A serialized request: the bytes to write, cached per path. */
interface Serialized {
  method: string;
  headers: unknown;
  body: unknown;
  bytes: Buffer;
}

/** decimal parses a Content-Length value: digits only, at most 15 of them; -1 otherwise. */
function decimal(s: string): number {
  if (s.length === 0 || s.length > 15) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * nameIs tells whether `text` holds the header name `lower` (lower-case letters and '-') at `from`,
 * in any letter case, without cutting the name out or lower-casing it.
 */
function nameIs(text: string, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(from + i);
    const l = lower.charCodeAt(i);
    if (c !== l && (l < 97 || c + 32 !== l)) return false;
  }
  return true;
}

/** One request on this client. */
class Req {
  aborted = false;
  constructor(
    readonly handler: RawHandler,
    readonly bytes: Buffer,
    readonly noBody: boolean,
  ) {}
}


/** H1Client is one HTTP/1.1 connection to `origin` (see the module comment). */
export class H1Client extends Dispatcher {
  private readonly url: URL;
  private readonly hostLine: string;
  private readonly pipelining: number;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;
  private readonly requestTimeout: number;
  private readonly connector: BuildConnector.connector;
  /** Sockets read into READ_BUFFER (see there): chunks are borrowed and copied when kept. */
  private readonly borrowed: boolean;
  /** Body chunks read into READ_BUFFER are copied before handlers get them (false with `lendBodyChunks`). */
  private readonly copyBody: boolean;
  private readonly connectParams: BuildConnector.Options;
  private readonly cache = new Map<string, Serialized>();

  private socket: Socket | null = null;
  private connecting = false;
  private readonly queue: Req[] = [];
  private readonly inflight: Req[] = [];
  private closing: Array<() => void> | null = null;
  private destroyed = false;

  // Response parser state (for inflight[0]).
  private st = St.Head;
  private headParts: Buffer[] = [];
  private headBytes = 0;
  private remaining = 0;
  private line = '';
  private trailers: string[] = [];
  private keepAlive = true;
  private paused = false;

  // Timeouts: the time of the last write or read, checked by one unref'd interval while a socket is open.
  private lastActivity = 0;
  /** When the request at the head of the line (inflight[0]) began: its write, or the previous response's end. */
  private headSince = 0;
  private gotHead = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(origin: string | URL, opts: H1ClientOptions = {}) {
    super();
    this.url = new URL(origin);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new errors.InvalidArgumentError(`unsupported protocol ${this.url.protocol}`);
    this.hostLine = `host: ${this.url.host}\r\n`;
    this.pipelining = Math.max(1, opts.pipelining ?? 1);
    this.headersTimeout = opts.headersTimeout ?? 300_000;
    this.bodyTimeout = opts.bodyTimeout ?? 300_000;
    this.requestTimeout = opts.requestTimeout ?? 0;
    this.borrowed = this.url.protocol === 'http:' && (typeof opts.connect !== 'function' || opts.sharedRead === true);
    this.copyBody = this.borrowed && opts.lendBodyChunks !== true;
    this.connector =
      typeof opts.connect === 'function'
        ? opts.connect
        : buildConnector({ ...(opts.connect ?? {}), ...(opts.connectTimeout ? { timeout: opts.connectTimeout } : {}), ...(this.borrowed ? sharedReadOptions() : {}) } as BuildConnector.BuildOptions);
    const hostname = this.url.hostname.startsWith('[') ? this.url.hostname.slice(1, -1) : this.url.hostname;
    this.connectParams = {
      host: this.url.host,
      hostname,
      protocol: this.url.protocol,
      port: this.url.port || (this.url.protocol === 'https:' ? '443' : '80'),
      servername: null,
      localAddress: null,
      httpSocket: undefined,
    } as unknown as BuildConnector.Options;
  }

  /** dispatch queues one request; it returns false when this connection is busy (as undici's Client does). */
  override dispatch(opts: UndiciDispatcher.DispatchOptions, handler: UndiciDispatcher.DispatchHandler): boolean {
    let h = handler as unknown as RawHandler;
    if ((handler as { onRequestStart?: unknown }).onRequestStart) {
      if (!UnwrapHandler.unwrap) throw new errors.InvalidArgumentError('H1Client needs a raw handler');
      h = UnwrapHandler.unwrap(handler) as unknown as RawHandler;
    }
    try {
      if (this.destroyed) throw new errors.ClientDestroyedError();
      if (this.closing) throw new errors.ClientClosedError();
      if (opts.upgrade || opts.method === 'CONNECT') throw new errors.NotSupportedError('H1Client does not do upgrades');
      const s = this.serialize(opts);
      this.queue.push(new Req(h, s.bytes, opts.method === 'HEAD'));
    } catch (err) {
      h.onError?.(err as Error);
      return false;
    }
    this.flush();
    return this.queue.length + this.inflight.length < this.pipelining;
  }

  /** close resolves once every queued and running request has ended, then closes the connection. */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = new Promise<void>((resolve) => {
      (this.closing ??= []).push(resolve);
      this.maybeClosed();
    });
    if (callback) void p.then(callback);
    else return p;
  }

  /** destroy ends the connection now; queued and running requests fail with `err` (ClientDestroyedError by default). */
  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const err = typeof a === 'function' || !a ? new errors.ClientDestroyedError() : a;
    this.destroyed = true;
    const s = this.socket;
    this.socket = null;
    const p = new Promise<void>((resolve) => {
      if (s && !s.destroyed) {
        s.once('close', () => resolve());
        s.destroy();
      } else resolve();
    });
    this.failAll(err);
    this.stopTimer();
    const waiting = this.closing;
    this.closing = null;
    for (const r of waiting ?? []) r();
    if (callback) void p.then(callback);
    else return p;
  }

  private serialize(opts: UndiciDispatcher.DispatchOptions): Serialized {
    const path = opts.path;
    const e = this.cache.get(path);
    if (e && e.method === opts.method && e.headers === opts.headers && e.body === opts.body) return e;
    const built = this.build(opts);
    if (this.cache.size >= 256) this.cache.clear();
    this.cache.set(path, built);
    return built;
  }

  private build(opts: UndiciDispatcher.DispatchOptions): Serialized {
    const { method, path, body } = opts;
    if (typeof method !== 'string' || !TOKEN.test(method)) throw new errors.InvalidArgumentError('invalid request method');
    if (typeof path !== 'string' || (path[0] !== '/' && path !== '*') || /[\s\0]/.test(path)) throw new errors.InvalidArgumentError('invalid request path');
    let bodyBuf: Buffer | undefined;
    if (typeof body === 'string') bodyBuf = Buffer.from(body);
    else if (body instanceof Uint8Array) bodyBuf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    else if (body != null) throw new errors.NotSupportedError('H1Client sends only string and byte bodies');
    let head = `${method} ${path} HTTP/1.1\r\n`;
    let host = false;
    let length = false;
    let connection = false;
    const add = (name: unknown, value: unknown): void => {
      if (value === undefined) return;
      if (typeof name !== 'string' || !TOKEN.test(name)) throw new errors.InvalidArgumentError('invalid header key');
      const lower = name.toLowerCase();
      if (lower === 'transfer-encoding' || lower === 'upgrade' || lower === 'expect' || lower === 'keep-alive') throw new errors.NotSupportedError(`H1Client does not send a ${name} header`);
      if (lower === 'host') host = true;
      else if (lower === 'content-length') length = true;
      else if (lower === 'connection') connection = true;
      for (const v of Array.isArray(value) ? value : [value]) {
        const s = v === null ? '' : String(v);
        if (typeof v === 'object' && v !== null) throw new errors.InvalidArgumentError(`invalid ${name} header`);
        if (BAD_VALUE.test(s)) throw new errors.InvalidArgumentError(`invalid ${name} header`);
        head += `${name}: ${s}\r\n`;
      }
    };
    const headers = opts.headers as unknown;
    if (Array.isArray(headers)) {
      if (headers.length % 2 !== 0) throw new errors.InvalidArgumentError('headers array must be even');
      for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
    } else if (headers && typeof headers === 'object') {
      for (const [k, v] of Object.entries(headers)) add(k, v);
    } else if (headers != null) throw new errors.InvalidArgumentError('headers must be an object or an array');
    if (!host) head = head.replace('\r\n', `\r\n${this.hostLine}`);
    if (!connection) head += 'connection: keep-alive\r\n';
    if (!length && (bodyBuf ? bodyBuf.length > 0 || EXPECTS_PAYLOAD.has(method) : EXPECTS_PAYLOAD.has(method))) head += `content-length: ${bodyBuf?.length ?? 0}\r\n`;
    head += '\r\n';
    const headBuf = Buffer.from(head, 'latin1');
    return { method, headers: opts.headers, body, bytes: bodyBuf && bodyBuf.length > 0 ? Buffer.concat([headBuf, bodyBuf]) : headBuf };
  }

  /** flush connects if needed and writes queued requests while there is room in the pipeline. */
  private flush(): void {
    if (this.queue.length === 0) return;
    const s = this.socket;
    if (!s || s.destroyed) {
      if (!this.connecting) this.openSocket();
      return;
    }
    while (this.queue.length > 0 && this.inflight.length < this.pipelining && this.socket === s) {
      const r = this.queue.shift()!;
      if (r.aborted) continue;
      try {
        r.handler.onConnect?.((err?: Error) => this.abort(r, err));
      } catch (err) {
        this.fail(r, err as Error);
        continue;
      }
      if (r.aborted) continue;
      this.inflight.push(r);
      if (this.inflight.length === 1) {
        this.lastActivity = this.headSince = performance.now();
        this.gotHead = false;
      }
      s.write(r.bytes);
    }
  }

  private openSocket(): void {
    this.connecting = true;
    this.connector(this.connectParams, (err, socket) => {
      this.connecting = false;
      if (this.destroyed || (this.closing && this.queue.length === 0)) {
        socket?.destroy(); // destroyed, or closed with nothing left to send, while connecting
        return;
      }
      if (err || !socket) {
        const e = err ?? new errors.SocketError('connect failed');
        // Like undici: every queued request fails with the connect error.
        const queued = this.queue.splice(0);
        for (const r of queued) this.fail(r, e);
        this.emit('connectionError', this.url, [this], e as InstanceType<typeof errors.UndiciError>);
        this.maybeClosed();
        return;
      }
      this.attach(socket as Socket);
      this.flush();
    });
  }

  private attach(s: Socket): void {
    this.socket = s; // the parser state is fresh: detach reset it when the last connection went
    this.keepAlive = true;
    this.paused = false;
    this.startTimer();
    let sockErr: Error | undefined;
    if (this.borrowed) {
      (s as Socket & { [kReader]?: Reader })[kReader] = this.reader;
    } else {
      s.on('data', (chunk: Buffer) => {
        if (this.socket === s) this.onChunk(chunk, chunk.length, s);
      });
    }
    s.on('error', (err) => {
      sockErr ??= err;
    });
    s.on('end', () => {
      if (this.socket === s) this.ended(s, undefined);
    });
    s.on('close', () => {
      if (this.socket === s) this.ended(s, sockErr);
    });
  }

  /** ended handles the end of the socket: a body read to the close completes, every other running request fails. */
  private ended(s: Socket, err: Error | undefined): void {
    this.socket = null; // first, so that completing a response does not write the next request to this socket
    if (!s.destroyed) s.destroy();
    if (this.st === St.UntilClose && this.inflight.length > 0) this.complete(NO_TRAILERS);
    this.dropConnection(err ?? new errors.SocketError('other side closed'));
  }

  /** detach lets the connection go: the socket is destroyed, the parser reset, and the requests that were running on it are returned. */
  private detach(): Req[] {
    const s = this.socket;
    this.socket = null;
    if (s && !s.destroyed) s.destroy();
    this.stopTimer();
    this.st = St.Head;
    this.headParts = [];
    this.headBytes = 0;
    this.line = '';
    this.gotHead = false;
    return this.inflight.splice(0);
  }

  /** dropConnection detaches, fails every request that was running with `err`, and goes on with the queue on a new connection. */
  private dropConnection(err: Error): void {
    for (const r of this.detach()) this.fail(r, err);
    this.flush();
    this.maybeClosed();
  }

  private abort(r: Req, err?: Error): void {
    if (r.aborted) return;
    const e = err ?? new errors.RequestAbortedError();
    const i = this.inflight.indexOf(r);
    if (i < 0) {
      const q = this.queue.indexOf(r);
      if (q >= 0) this.queue.splice(q, 1);
      this.fail(r, e);
      return;
    }
    // A running HTTP/1.1 request cannot be cancelled on its connection: the connection goes.
    this.inflight.splice(i, 1);
    this.fail(r, e);
    this.dropConnection(new errors.SocketError('aborted'));
  }

  private fail(r: Req, err: Error): void {
    if (r.aborted) return;
    r.aborted = true;
    try {
      r.handler.onError?.(err);
    } catch {
      // a handler's failure must not break the connection's other requests
    }
  }

  private failAll(err: Error): void {
    const all = [...this.inflight.splice(0), ...this.queue.splice(0)];
    for (const r of all) this.fail(r, err);
  }

  private maybeClosed(): void {
    if (!this.closing || this.queue.length > 0 || this.inflight.length > 0) return;
    const waiting = this.closing;
    this.closing = [];
    const s = this.socket;
    this.socket = null;
    this.stopTimer();
    const done = (): void => {
      for (const r of waiting) r();
    };
    if (s && !s.destroyed) {
      s.once('close', done);
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    } else done();
  }

  private startTimer(): void {
    if (this.timer) return;
    const limit = Math.max(this.headersTimeout, this.bodyTimeout, this.requestTimeout);
    if (limit <= 0) return;
    const every = Math.max(10, Math.min(250, Math.floor(Math.min(this.headersTimeout || limit, this.bodyTimeout || limit, this.requestTimeout || limit) / 10)));
    this.timer = setInterval(() => this.checkTimeout(), every);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private checkTimeout(): void {
    if (this.inflight.length === 0) return;
    const now = performance.now();
    // The whole request's bound holds even while a handler holds the body paused.
    if (this.requestTimeout > 0 && now - this.headSince >= this.requestTimeout) {
      this.dropConnection(this.gotHead ? new errors.BodyTimeoutError() : new errors.HeadersTimeoutError());
      return;
    }
    if (this.paused) return;
    const idle = now - this.lastActivity;
    const limit = this.gotHead ? this.bodyTimeout : this.headersTimeout;
    if (limit <= 0 || idle < limit) return;
    this.dropConnection(this.gotHead ? new errors.BodyTimeoutError() : new errors.HeadersTimeoutError());
  }

  /** reader takes a read into READ_BUFFER (SHARED_ONREAD, called on the socket that read); false pauses the socket. */
  private readonly reader: Reader = (from, n, buf) => {
    const s = this.socket;
    if (!s || from !== s) return true; // a socket this client has let go
    if (n > 0) this.onChunk(buf as Buffer, n, s);
    return !this.paused;
  };

  /**
   * onChunk parses chunk[0, n), one read of the response stream (borrowed when `this.borrowed`: copy
   * what is kept). With a shared read buffer, bytes from n on are an older read's: every search in
   * `chunk` checks that what it found ends before n.
   */
  private onChunk(chunk: Buffer, n: number, s: Socket): void {
    this.lastActivity = performance.now();
    let off = 0;
    while (off < n && this.socket === s) {
      const r = this.inflight[0];
      if (!r) {
        this.protocolError(s, 'response without a request');
        return;
      }
      switch (this.st) {
        case St.Head: {
          let buf = chunk;
          let from = off;
          let end: number;
          if (this.headParts.length > 0) {
            this.headParts.push(chunk.subarray(off, n));
            const prev = this.headBytes;
            buf = Buffer.concat(this.headParts);
            from = 0;
            const at = buf.indexOf(CRLF_CRLF, Math.max(0, prev - 3));
            if (at < 0) {
              this.headParts = [buf];
              this.headBytes = buf.length;
              if (buf.length > MAX_HEAD_BYTES) this.protocolError(s, 'response head too large');
              return;
            }
            end = at;
            off = n - (buf.length - (at + 4)); // continue in `chunk` after the head
            this.headParts = [];
            this.headBytes = 0;
          } else {
            const at = chunk.indexOf(CRLF_CRLF, off);
            if (at < 0 || at + 4 > n) {
              this.headParts = [this.borrowed ? Buffer.from(chunk.subarray(off, n)) : chunk.subarray(off, n)];
              this.headBytes = n - off;
              if (this.headBytes > MAX_HEAD_BYTES) this.protocolError(s, 'response head too large');
              return;
            }
            end = at;
            off = at + 4;
          }
          if (end - from > MAX_HEAD_BYTES) {
            this.protocolError(s, 'response head too large');
            return;
          }
          if (!this.onHead(buf.toString('latin1', from, end), r, s)) return;
          break;
        }
        case St.Length: {
          const take = Math.min(this.remaining, n - off);
          this.remaining -= take;
          this.data(r, chunk, off, off + take);
          off += take;
          if (this.remaining === 0) this.complete(NO_TRAILERS);
          break;
        }
        case St.UntilClose: {
          this.data(r, chunk, off, n);
          off = n;
          break;
        }
        case St.ChunkData: {
          const take = Math.min(this.remaining, n - off);
          this.remaining -= take;
          this.data(r, chunk, off, off + take);
          off += take;
          if (this.remaining === 0) this.st = St.ChunkEnd;
          break;
        }
        default: {
          // Line-based states: chunk size, the CRLF after chunk data, trailers.
          const nl = chunk.indexOf(10, off);
          if (nl < 0 || nl >= n) {
            this.line += chunk.toString('latin1', off, n);
            if (this.line.length > 4096) this.protocolError(s, 'chunk line too long');
            return;
          }
          let line = this.line + chunk.toString('latin1', off, nl);
          this.line = '';
          off = nl + 1;
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (!this.onLine(line, s)) return;
        }
      }
    }
  }

  /** onHead handles a response head; false when the connection was dropped. */
  private onHead(text: string, r: Req, s: Socket): boolean {
    // Status line: HTTP/1.x SSS reason
    if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) return this.protocolError(s, 'invalid status line');
    const minor = text.charCodeAt(7) - 48;
    const d0 = text.charCodeAt(9) - 48;
    const d1 = text.charCodeAt(10) - 48;
    const d2 = text.charCodeAt(11) - 48;
    if (!(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) || (text.length > 12 && text.charCodeAt(12) !== 32)) return this.protocolError(s, 'invalid status code');
    const status = d0 * 100 + d1 * 10 + d2;
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const statusText = eol > 13 ? text.slice(13, eol) : '';
    const keepRaw = r.handler.ignoresHeaders !== true;
    const raw: string[] = keepRaw ? [] : NO_HEADERS;
    let contentLength = -1;
    let chunked = false;
    let connection = '';
    let pos = eol + 2;
    while (pos < text.length) {
      let next = text.indexOf('\r\n', pos);
      if (next < 0) next = text.length;
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon > next || colon === pos) return this.protocolError(s, 'invalid header line');
      const c0 = text.charCodeAt(pos);
      if (c0 === 32 || c0 === 9) return this.protocolError(s, 'folded header line');
      const nameLength = colon - pos;
      // Without a header list to fill, only the three names below need cutting out.
      if (!keepRaw && nameLength !== 10 && nameLength !== 14 && nameLength !== 17) {
        pos = next + 2;
        continue;
      }
      // "Name: value" is the usual form: trim only when there is more white space than one leading space.
      let from = colon + 1;
      if (text.charCodeAt(from) === 32) from++;
      let value = text.slice(from, next);
      const first = value.charCodeAt(0);
      const last = value.charCodeAt(value.length - 1);
      if (first === 32 || first === 9 || last === 32 || last === 9) value = value.trim();
      if (keepRaw) raw.push(text.slice(pos, colon), value);
      switch (nameLength) {
        case 14:
          if (nameIs(text, pos, 'content-length')) {
            const v = decimal(value);
            if (v < 0 || (contentLength >= 0 && contentLength !== v)) return this.protocolError(s, 'invalid content-length');
            contentLength = v;
          }
          break;
        case 17:
          if (nameIs(text, pos, 'transfer-encoding')) chunked = /(^|,)\s*chunked\s*$/i.test(value);
          break;
        case 10:
          if (nameIs(text, pos, 'connection')) connection = value === 'keep-alive' || value === 'close' ? value : value.toLowerCase();
          break;
      }
      pos = next + 2;
    }
    if (status < 200) {
      if (status === 101) return this.protocolError(s, 'unexpected upgrade');
      return true; // 1xx informational: the real response follows
    }
    this.keepAlive =
      connection === '' ? minor >= 1 : connection === 'keep-alive' || (minor >= 1 ? !/(^|,)\s*close\s*(,|$)/.test(connection) : /(^|,)\s*keep-alive\s*(,|$)/.test(connection));
    this.gotHead = true;
    let paused = false;
    try {
      paused = r.handler.onHeaders?.(status, raw, this.resume, statusText) === false;
    } catch (err) {
      this.abort(r, err as Error);
      return false;
    }
    if (this.socket !== s || this.inflight[0] !== r) return false; // aborted from inside the handler
    if (paused) this.pause(s);
    if (r.noBody || status === 204 || status === 304) {
      this.complete(NO_TRAILERS);
    } else if (chunked) {
      this.st = St.ChunkSize;
    } else if (contentLength >= 0) {
      if (contentLength === 0) this.complete(NO_TRAILERS);
      else {
        this.remaining = contentLength;
        this.st = St.Length;
      }
    } else {
      this.keepAlive = false;
      this.st = St.UntilClose;
    }
    return this.socket === s;
  }

  /** onLine handles a line of a chunked body; false when the connection was dropped. */
  private onLine(line: string, s: Socket): boolean {
    switch (this.st) {
      case St.ChunkSize: {
        const semi = line.indexOf(';');
        const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return this.protocolError(s, 'invalid chunk size');
        const size = parseInt(hex, 16);
        if (size === 0) {
          this.st = St.Trailers;
          this.trailers = [];
        } else {
          this.remaining = size;
          this.st = St.ChunkData;
        }
        return true;
      }
      case St.ChunkEnd:
        if (line !== '') return this.protocolError(s, 'missing CRLF after chunk');
        this.st = St.ChunkSize;
        return true;
      case St.Trailers: {
        if (line === '') {
          this.complete(this.trailers.length > 0 ? this.trailers : NO_TRAILERS);
          return this.socket === s;
        }
        const colon = line.indexOf(':');
        if (colon <= 0) return this.protocolError(s, 'invalid trailer line');
        this.trailers.push(line.slice(0, colon), line.slice(colon + 1).trim());
        return true;
      }
      default:
        return this.protocolError(s, 'unexpected line');
    }
  }

  /** data hands chunk[from, to) of the response body to the handler (see RawHandler.countsBodyOnly). */
  private data(r: Req, chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const h = r.handler;
    let ok = true;
    try {
      if (h.countsBodyOnly === true && h.onDataLength) ok = h.onDataLength(to - from) !== false;
      else {
        const part = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
        ok = h.onData?.(this.copyBody ? Buffer.from(part) : part) !== false;
      }
    } catch (err) {
      this.abort(r, err as Error);
      return;
    }
    if (!ok && this.socket) this.pause(this.socket);
  }

  private pause(s: Socket): void {
    this.paused = true;
    s.pause();
  }

  private readonly resume = (): void => {
    if (!this.paused) return;
    this.paused = false;
    this.lastActivity = performance.now();
    this.socket?.resume();
  };

  /** complete ends the response of inflight[0]. */
  private complete(trailers: string[]): void {
    const r = this.inflight.shift()!;
    this.st = St.Head;
    this.gotHead = false;
    if (this.inflight.length > 0) this.headSince = performance.now(); // pipelined: the next request's bound starts
    // A handler that paused the socket paused it for this response: the next one is read.
    if (this.paused) this.resume();
    if (!r.aborted) {
      r.aborted = true; // ended: later errors are not reported for it
      try {
        r.handler.onComplete?.(trailers);
      } catch {
        // the handler's own failure; the response was complete
      }
    }
    if (!this.keepAlive) {
      // Requests pipelined behind a response that closed the connection were sent after the server
      // had decided to close: it processed none of them, so they go again on a new connection.
      if (this.socket) this.queue.unshift(...this.detach());
      this.keepAlive = true;
    }
    this.flush();
    this.maybeClosed();
  }

  /** protocolError drops the connection: every running request fails with an HTTP parser error. */
  private protocolError(s: Socket, message: string): false {
    if (this.socket === s) this.dropConnection(new errors.HTTPParserError(message));
    return false;
  }
}


/**
 * H1Client: racerig's lean HTTP/1.1 client for one connection, an undici Dispatcher, so racerig's
 * wrappers compose over it exactly as over undici's Client. It writes each request as one
 * pre-serialized buffer (RequestSerializer), keeps up to `pipelining` in flight, parses responses with
 * ResponseParser, and enforces header, body and request timeouts; aborts, close and destroy fail
 * requests with undici's error classes, so error kinds count the same. It exists for speed (see
 * docs/architecture.md, HTTP clients) and leaves upgrades, streamed bodies, Expect: 100-continue and
 * HTTP/2 to undici's Client. Handlers: the raw interface with racerig's capabilities (RawHandler); a
 * handler of undici's current interface is adapted with undici's own UnwrapHandler.
 */
import type { Dispatcher as UndiciDispatcher, buildConnector as BuildConnector } from 'undici';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildConnector, Dispatcher, errors, UnwrapHandler } from '../undici-client.js';
import type { RawHandler } from '../raw-handler.js';
import { readWith, sharedReadOptions, type SocketReader } from './read-buffer.js';
import { RequestSerializer } from './request-serializer.js';
import { EXPECT_HEADERS, EXPECT_NO_BODY, NO_REQUEST, ResponseParser, type ResponseSink } from './response-parser.js';

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
   * into the thread's shared read buffer, like the sockets of the connector H1Client builds itself.
   */
  sharedRead?: boolean;
  /**
   * Body chunks given to handlers are lent, not copied: with a shared read buffer a chunk is valid only
   * during the handler's call (a handler that keeps part of one must copy it).
   */
  lendBodyChunks?: boolean;
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

/** rawHandler returns the raw interface of a dispatched handler: itself, or undici's adapter for a handler of its current interface. */
function rawHandler(handler: UndiciDispatcher.DispatchHandler): RawHandler {
  if (!handler.onRequestStart) return handler;
  if (!UnwrapHandler.unwrap) throw new errors.InvalidArgumentError('H1Client needs a raw handler');
  return UnwrapHandler.unwrap(handler);
}

/**
 * H1Client is one HTTP/1.1 connection to `origin` (see the module comment). Its ResponseSink methods
 * are called only by its own parser.
 */
export class H1Client extends Dispatcher implements ResponseSink {
  private readonly url: URL;
  private readonly pipelining: number;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;
  private readonly requestTimeout: number;
  private readonly connector: BuildConnector.connector;
  /** Sockets read into the shared read buffer: reads are borrowed and copied when kept. */
  private readonly borrowed: boolean;
  /** Body chunks read into the shared buffer are copied before handlers get them (false with `lendBodyChunks`). */
  private readonly copyBody: boolean;
  private readonly connectParams: BuildConnector.Options;
  private readonly serializer: RequestSerializer;
  /** Parses the responses of inflight[0], then the next; reset whenever the connection goes. */
  private readonly parser: ResponseParser;

  private socket: Socket | null = null;
  private connecting = false;
  private readonly queue: Req[] = [];
  private readonly inflight: Req[] = [];
  private closing: Array<() => void> | null = null;
  private destroyed = false;
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
    this.serializer = new RequestSerializer(this.url.host);
    this.pipelining = Math.max(1, opts.pipelining ?? 1);
    this.headersTimeout = opts.headersTimeout ?? 300_000;
    this.bodyTimeout = opts.bodyTimeout ?? 300_000;
    this.requestTimeout = opts.requestTimeout ?? 0;
    this.borrowed = this.url.protocol === 'http:' && (typeof opts.connect !== 'function' || opts.sharedRead === true);
    this.copyBody = this.borrowed && opts.lendBodyChunks !== true;
    this.parser = new ResponseParser(this, this.borrowed);
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
    const h = rawHandler(handler);
    try {
      if (this.destroyed) throw new errors.ClientDestroyedError();
      if (this.closing) throw new errors.ClientClosedError();
      if (opts.upgrade || opts.method === 'CONNECT') throw new errors.NotSupportedError('H1Client does not do upgrades');
      this.queue.push(new Req(h, this.serializer.serialize(opts), opts.method === 'HEAD'));
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
    this.parser.reset();
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
    this.socket = s; // the parser is fresh: it was reset when the last connection went
    this.paused = false;
    this.startTimer();
    let sockErr: Error | undefined;
    if (this.borrowed) readWith(s, this.reader);
    else {
      s.on('data', (chunk: Buffer) => {
        if (this.socket === s) this.read(chunk, chunk.length);
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
    if (this.inflight.length > 0) this.parser.finish();
    this.dropConnection(err ?? new errors.SocketError('other side closed'));
  }

  /** detach lets the connection go: the socket is destroyed, the parser reset, and the requests that were running on it are returned. */
  private detach(): Req[] {
    const s = this.socket;
    this.socket = null;
    if (s && !s.destroyed) s.destroy();
    this.stopTimer();
    this.parser.reset();
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
    this.parser.reset();
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

  /** reader takes a read into the shared read buffer (called on the socket that read); false pauses the socket. */
  private readonly reader: SocketReader = (from, n, buf) => {
    const s = this.socket;
    if (!s || from !== s) return true; // a socket this client has let go
    if (n > 0) this.read(buf as Buffer, n);
    return !this.paused;
  };

  /** read parses chunk[0, n), one read of the current socket (borrowed when `this.borrowed`). */
  private read(chunk: Buffer, n: number): void {
    this.lastActivity = performance.now();
    this.parser.feed(chunk, n);
  }

  /** expectResponse (ResponseSink): what the response of the request at the head of the line may carry. */
  expectResponse(): number {
    const r = this.inflight[0];
    if (!r) return NO_REQUEST;
    return (r.noBody ? EXPECT_NO_BODY : 0) | (r.handler.ignoresHeaders === true ? 0 : EXPECT_HEADERS);
  }

  /** onResponseHead (ResponseSink): the head goes to the handler, which may pause the body or abort. */
  onResponseHead(status: number, rawHeaders: string[], statusText: string): void {
    const r = this.inflight[0]!;
    this.gotHead = true;
    let paused = false;
    try {
      paused = r.handler.onHeaders?.(status, rawHeaders, this.resume, statusText) === false;
    } catch (err) {
      this.abort(r, err as Error); // resets the parser: the connection goes
      return;
    }
    if (paused && this.socket) this.pause(this.socket);
  }

  /** onResponseBody (ResponseSink): chunk[from, to) goes to the handler as bytes or as a length (RawHandlerCapabilities.countsBodyOnly). */
  onResponseBody(chunk: Buffer, from: number, to: number): void {
    const r = this.inflight[0]!;
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

  /** onResponseEnd (ResponseSink): ends the response of inflight[0]; without keep-alive the connection goes. */
  onResponseEnd(trailers: string[], keepAlive: boolean): void {
    const r = this.inflight.shift()!;
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
    // Requests pipelined behind a response that closed the connection were sent after the server
    // had decided to close: it processed none of them, so they go again on a new connection.
    if (!keepAlive && this.socket) this.queue.unshift(...this.detach());
    this.flush();
    this.maybeClosed();
  }

  /** onProtocolError (ResponseSink): the connection goes, and every running request fails with an HTTP parser error. */
  onProtocolError(message: string): void {
    if (this.socket) this.dropConnection(new errors.HTTPParserError(message));
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
}

/**
 * The metrics wrapper: records every request's outcome (status or error kind, corrected and
 * uncorrected latency, bytes) into the shared metrics. Created per dispatcher; per-request state
 * lives only in its handler; the options object is never written; upgrades (101) count like responses.
 * A stream (options with `streamOperation`: a watch, a followed log, an exec session) is recorded when
 * it is established (2xx headers, or the upgrade): that is its latency; when it ends, its duration goes
 * to the stream operation and its body bytes to its own.
 * The handler talks to the client in its raw interface with racerig's capabilities (RawHandler).
 */
import type { Dispatcher } from 'undici';
import type { Duplex } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { MetricsRecorder } from '../../metrics/recorder.js';
import type { RunClock } from '../../engine/clock.js';
import { errorKind, RUN_ABORTED } from '../error-kind.js';
import { bodyLength, type RigDispatchOptions } from '../request-options.js';
import { MAX_STATUS_BODY, reasonIndex } from '../status-reason.js';
import { parseHeaders } from '../undici-client.js';
import type { RawHandler } from '../raw-handler.js';
import { withRole } from './compose.js';

/** MetricsInterceptorOptions configure the metrics wrapper. */
export interface MetricsInterceptorOptions {
  recorder: MetricsRecorder;
  clock: RunClock;
  /** Operation used when the options carry none (default 0). */
  defaultOperation?: number;
  /** Count requests in flight (GlobalSlot.IN_FLIGHT) here: for clients whose work source does not (profile runs). */
  countInFlight?: boolean;
}

/** A response without trailers (nearly all of them) hands its handler this one empty object. */
const NO_TRAILERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;

const noAbort = (): void => {};

/**
 * MetricsHandler speaks the raw handler interface (RawHandler) to the client and undici's current
 * interface to the next handler. undici would otherwise put its own adapter in between, which parses
 * every response's headers into an object; this one parses them only for a next handler that has
 * `onResponseStart` (the load path's has none).
 */
class MetricsHandler implements RawHandler, Dispatcher.DispatchController {
  private status = 0;
  private bytesIn = 0;
  private done = false;
  private flying: boolean;
  /** An established stream, until its end is recorded. */
  private open = false;
  /** The first bytes of an error response's body, to read its Status reason. */
  private errorBody: Buffer[] | undefined;
  // The handler is also the controller the next handler sees (as undici's adapter makes one): abort,
  // and pause/resume of the response body, forwarded to the request undici runs. One object per request.
  #paused = false;
  #aborted = false;
  #reason: Error | null = null;
  private abortRequest: (err?: Error) => void = noAbort;
  private resumeRequest: (() => void) | null = null;
  rawHeaders: Buffer[] | null = null;
  rawTrailers: string[] | Buffer[] | null = null;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly o: MetricsInterceptorOptions,
    private readonly op: number,
    private readonly startedAt: number,
    private readonly intendedAt: number,
    private readonly bytesOut: number,
    /** The operation recording this stream's duration; undefined for an ordinary request. */
    private readonly streamOp: number | undefined,
  ) {
    this.flying = o.countInFlight === true;
    if (this.flying) o.recorder.inFlight(1);
  }

  private land(): void {
    if (this.flying) {
      this.flying = false;
      this.o.recorder.inFlight(-1);
    }
  }

  /** establish records a stream's response now (time to establish) and counts it open until `endStream`. */
  private establish(status: number): void {
    this.record(status);
    this.open = true;
    this.o.recorder.streamOpened();
  }

  private endStream(): void {
    if (!this.open) return;
    this.open = false;
    this.o.recorder.streamEnded(this.op, this.streamOp!, (this.o.clock() - this.startedAt) * 1000, this.bytesIn);
  }

  private record(status: number): void {
    if (this.done) return;
    this.done = true;
    this.land();
    const end = this.o.clock();
    this.o.recorder.response(this.op, status, (end - this.intendedAt) * 1000, (end - this.startedAt) * 1000, this.bytesIn, this.bytesOut);
    if (status >= 400) this.o.recorder.reason(this.op, reasonIndex(status, this.errorBody && Buffer.concat(this.errorBody)));
  }

  /** RawHandlerCapabilities.ignoresHeaders: nothing after this handler reads response headers. */
  get ignoresHeaders(): boolean {
    return this.inner.onResponseStart === undefined;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (this.#paused) {
      this.#paused = false;
      this.resumeRequest?.();
    }
  }

  abort(reason: Error): void {
    if (!this.#aborted) {
      this.#aborted = true;
      this.#reason = reason;
      this.abortRequest(reason);
    }
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  get paused(): boolean {
    return this.#paused;
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    this.abortRequest = abort;
    this.inner.onRequestStart?.(this, context);
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex): void {
    if (this.streamOp === undefined) this.record(statusCode);
    else {
      // The session lasts until its socket closes.
      this.establish(statusCode);
      socket.once('close', () => this.endStream());
    }
    this.rawHeaders = rawHeaders as Buffer[] | null;
    this.inner.onRequestUpgrade?.(this, statusCode, parseHeaders(rawHeaders ?? []) as IncomingHttpHeaders, socket);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[], resume: () => void, statusMessage?: string): boolean {
    if (statusCode >= 200) this.status = statusCode; // 1xx informational responses are not the outcome
    if (statusCode >= 400) this.errorBody = [];
    else if (this.streamOp !== undefined && statusCode >= 200 && statusCode < 300) this.establish(statusCode);
    this.resumeRequest = resume;
    this.rawHeaders = rawHeaders as Buffer[];
    const inner = this.inner;
    if (inner.onResponseStart) inner.onResponseStart(this, statusCode, parseHeaders(rawHeaders) as IncomingHttpHeaders, statusMessage);
    return !this.#paused;
  }

  /** RawHandlerCapabilities.countsBodyOnly: a success response's body that nothing after this handler reads is only counted. */
  get countsBodyOnly(): boolean {
    return this.errorBody === undefined && this.inner.onResponseData === undefined;
  }

  onDataLength(length: number): boolean {
    this.bytesIn += length;
    return !this.#paused;
  }

  onData(chunk: Buffer): boolean {
    if (this.errorBody && this.bytesIn < MAX_STATUS_BODY) this.errorBody.push(chunk);
    this.bytesIn += chunk.length;
    this.inner.onResponseData?.(this, chunk);
    return !this.#paused;
  }

  onComplete(rawTrailers: Buffer[] | string[] | null): void {
    if (this.open) this.endStream();
    else this.record(this.status);
    this.rawTrailers = rawTrailers;
    this.inner.onResponseEnd?.(this, rawTrailers && rawTrailers.length > 0 ? (parseHeaders(rawTrailers) as IncomingHttpHeaders) : NO_TRAILERS);
  }

  onError(err: Error): void {
    // An established stream ends, however it ends (stopped by the client, or cut): it was answered.
    if (this.open) this.endStream();
    else if (!this.done) {
      const kind = errorKind(err);
      // A stream the client ended itself after the response began (a watch or a followed log it
      // stopped) was answered: it counts under its status. Transport failures count by kind.
      // A run's abort (RunAbortedError) and protocol errors are failures even after the head.
      if (this.status >= 200 && (kind === 'aborted' || kind === 'other') && (err as { code?: unknown }).code !== RUN_ABORTED) this.record(this.status);
      else {
        this.done = true;
        this.land();
        this.o.recorder.failure(this.op, kind, this.bytesOut);
      }
    }
    this.inner.onResponseError?.(this, err);
  }
}

/** metricsInterceptor returns an undici interceptor (`dispatch => dispatch`) that records into the shared metrics. */
export function metricsInterceptor(options: MetricsInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const fallbackOp = options.defaultOperation ?? 0;
  return withRole('metrics', (dispatch) =>
    function metricsDispatch(opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const now = options.clock();
      const op = opts.operation ?? fallbackOp;
      const intended = opts.intendedAt ?? now;
      return dispatch(opts, new MetricsHandler(handler, options, op, now, Math.min(intended, now), bodyLength(opts.body), opts.streamOperation));
    });
}

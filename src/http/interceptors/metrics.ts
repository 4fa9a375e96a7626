/**
 * The metrics wrapper: records every request's outcome (status or error kind, corrected and
 * uncorrected latency, bytes) into the shared metrics. Created per dispatcher; per-request state
 * lives only in its handler; the options object is never written; upgrades (101) count like responses.
 */
import type { Dispatcher } from 'undici';
import type { Duplex } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { MetricsRecorder } from '../../metrics/recorder.js';
import type { RunClock } from '../../engine/clock.js';
import { errorKind } from '../error-kind.js';
import { bodyLength, type RigDispatchOptions } from '../request-options.js';
import { MAX_STATUS_BODY, reasonIndex } from '../status-reason.js';

/** MetricsInterceptorOptions configure the metrics wrapper. */
export interface MetricsInterceptorOptions {
  recorder: MetricsRecorder;
  clock: RunClock;
  /** Operation used when the options carry none (default 0). */
  defaultOperation?: number;
}

class MetricsHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private bytesIn = 0;
  private done = false;
  /** The first bytes of an error response's body, to read its Status reason. */
  private errorBody: Buffer[] | undefined;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly o: MetricsInterceptorOptions,
    private readonly op: number,
    private readonly startedAt: number,
    private readonly intendedAt: number,
    private readonly bytesOut: number,
  ) {}

  private record(status: number): void {
    if (this.done) return;
    this.done = true;
    const end = this.o.clock();
    this.o.recorder.response(this.op, status, (end - this.intendedAt) * 1000, (end - this.startedAt) * 1000, this.bytesIn, this.bytesOut);
    if (status >= 400) this.o.recorder.reason(this.op, reasonIndex(status, this.errorBody && Buffer.concat(this.errorBody)));
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.record(statusCode);
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode >= 200) this.status = statusCode; // 1xx informational responses are not the outcome
    if (statusCode >= 400) this.errorBody = [];
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.errorBody && this.bytesIn < MAX_STATUS_BODY) this.errorBody.push(chunk);
    this.bytesIn += chunk.length;
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.record(this.status);
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    if (!this.done) {
      const kind = errorKind(err);
      // A stream the client ended itself after the response began (a watch or a followed log it
      // stopped) was answered: it counts under its status. Transport failures count by kind.
      if (this.status >= 200 && (kind === 'aborted' || kind === 'other')) this.record(this.status);
      else {
        this.done = true;
        this.o.recorder.failure(this.op, kind, this.bytesOut);
      }
    }
    this.inner.onResponseError?.(controller, err);
  }
}

/** metricsInterceptor returns an undici interceptor (`dispatch => dispatch`) that records into the shared metrics. */
export function metricsInterceptor(options: MetricsInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const fallbackOp = options.defaultOperation ?? 0;
  return (dispatch) =>
    function metricsDispatch(opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const now = options.clock();
      const op = opts.operation ?? fallbackOp;
      const intended = opts.intendedAt ?? now;
      return dispatch(opts, new MetricsHandler(handler, options, op, now, Math.min(intended, now), bodyLength(opts.body)));
    };
}

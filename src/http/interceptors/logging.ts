/**
 * The logging wrapper: one NDJSON line per request (time, worker, method, path, status, latency,
 * error), optionally sampled. Created per dispatcher; per-request state lives only in its handler;
 * the options object is never written; upgrade requests are logged with status 101.
 */
import type { Dispatcher } from 'undici';
import type { Duplex } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { RunClock } from '../../engine/clock.js';
import type { LogSink } from '../log-sink.js';
import { errorKind } from '../error-kind.js';
import type { RigDispatchOptions } from '../request-options.js';
import { withRole } from './compose.js';

/** LoggingInterceptorOptions configure the logging wrapper. */
export interface LoggingInterceptorOptions {
  sink: LogSink;
  clock: RunClock;
  /** Worker index written into each line. */
  worker: number;
  /** Fraction of requests logged, 0..1 (default 1). */
  sample?: number;
  /** Operation names by index, to label lines. */
  operations?: readonly string[];
  /** Wall-clock ms of the run clock's zero, to write absolute times. */
  epochWallMs: number;
}

class LoggingHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private done = false;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly o: LoggingInterceptorOptions,
    private readonly opts: RigDispatchOptions,
    private readonly startedAt: number,
  ) {}

  private write(status: number, error: string | undefined): void {
    if (this.done) return;
    this.done = true;
    const end = this.o.clock();
    const op = this.opts.operation ?? 0;
    this.o.sink.line({
      time: new Date(this.o.epochWallMs + this.startedAt).toISOString(),
      worker: this.o.worker,
      operation: this.o.operations?.[op] ?? String(op),
      method: this.opts.method,
      path: this.opts.path,
      status,
      latencyUs: Math.round((end - (this.opts.intendedAt ?? this.startedAt)) * 1000),
      uncorrectedUs: Math.round((end - this.startedAt) * 1000),
      ...(error ? { error } : {}),
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.write(statusCode, undefined);
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode >= 200) this.status = statusCode;
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.write(this.status, undefined);
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.write(this.status, `${errorKind(err)}: ${err.message}`);
    this.inner.onResponseError?.(controller, err);
  }
}

/** loggingInterceptor returns an undici interceptor that writes sampled NDJSON request lines to a sink. */
export function loggingInterceptor(options: LoggingInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const sample = options.sample ?? 1;
  return withRole('logging', (dispatch) =>
    function loggingDispatch(opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      if (sample < 1 && Math.random() >= sample) return dispatch(opts, handler);
      return dispatch(opts, new LoggingHandler(handler, options, opts, options.clock()));
    });
}

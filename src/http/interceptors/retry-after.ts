/**
 * The 429 retry wrapper: a `429 Too Many Requests` answer is retried after its `Retry-After` (seconds
 * or an HTTP date; bounded), at most `maxRetries` times, and counted; the caller sees only the last
 * attempt. Placed outermost, so every attempt passes the rate limiter again and is recorded by the
 * metrics wrapper (as the server counts it). Requests with a streaming body and upgrades are not retried.
 * Created per dispatcher; per-request state lives only in its handler; the options object is never written.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RigDispatchOptions } from '../request-options.js';
import { withRole } from './compose.js';

/** RetryCounters are a wrapper's running totals (plain numbers; one per thread). */
export interface RetryCounters {
  /** Attempts re-sent after a 429. */
  retries: number;
  /** Requests whose last attempt was still a 429 after `maxRetries`. */
  exhausted: number;
}

/** RetryAfterInterceptorOptions bound the retries; times in ms. */
export interface RetryAfterInterceptorOptions {
  /** Retries per request (default 3). */
  maxRetries?: number;
  /** Longest wait honoured; a longer Retry-After is cut to this (default 10000). */
  maxDelayMs?: number;
  /** Wait when the answer has no usable Retry-After (default 1000). */
  defaultDelayMs?: number;
  /** Totals this wrapper adds to. */
  counters?: RetryCounters;
  /** Called before each retry with the wait and the attempt number (1-based). */
  onRetry?: (delayMs: number, attempt: number, opts: RigDispatchOptions) => void;
}

/** retryAfterMs reads a Retry-After header (delay seconds or HTTP date) as ms, or undefined when absent or invalid. */
export function retryAfterMs(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const replayable = (body: Dispatcher.DispatchOptions['body']): boolean => body == null || typeof body === 'string' || body instanceof Uint8Array;

class RetryHandler implements Dispatcher.DispatchHandler {
  private attempt = 0;
  private swallowing = false;
  private delayMs = 0;

  constructor(
    private readonly dispatch: Dispatcher.Dispatch,
    private readonly opts: RigDispatchOptions,
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly o: RetryAfterInterceptorOptions,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.swallowing = false;
    this.inner.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode === 429) {
      if (this.attempt < (this.o.maxRetries ?? 3)) {
        this.swallowing = true;
        const max = this.o.maxDelayMs ?? 10_000;
        this.delayMs = Math.min(max, retryAfterMs(headers['retry-after']) ?? this.o.defaultDelayMs ?? 1000);
        return;
      }
      if (this.o.counters) this.o.counters.exhausted++;
    }
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.swallowing) this.inner.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (!this.swallowing) {
      this.inner.onResponseEnd?.(controller, trailers);
      return;
    }
    this.attempt++;
    if (this.o.counters) this.o.counters.retries++;
    this.o.onRetry?.(this.delayMs, this.attempt, this.opts);
    setTimeout(() => {
      try {
        this.dispatch(this.opts, this);
      } catch (err) {
        this.inner.onResponseError?.(controller, err as Error);
      }
    }, this.delayMs);
  }
  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.inner.onResponseError?.(controller, err);
  }
}

/** retryAfterInterceptor returns an undici interceptor that retries 429 answers after their Retry-After, bounded and counted. */
export function retryAfterInterceptor(options: RetryAfterInterceptorOptions = {}): Dispatcher.DispatcherComposeInterceptor {
  return withRole('retry-after', (dispatch) =>
    function retryAfterDispatch(opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      if (opts.upgrade || !replayable(opts.body)) return dispatch(opts, handler);
      return dispatch(opts, new RetryHandler(dispatch, opts, handler, options));
    });
}

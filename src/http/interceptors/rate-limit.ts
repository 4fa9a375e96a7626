/**
 * The rate-limit wrapper: takes a token from a SharedTokenBucket (shared by all worker threads of a
 * component) for every request and delays its dispatch until the token is due, never busy-waiting.
 * The wait is recorded as its own operation's latency (e.g. `ratelimit wait <component>`).
 * Created per dispatcher; keeps no per-request state; the options object is passed on unchanged.
 */
import type { Dispatcher } from 'undici';
import type { MetricsRecorder } from '../../metrics/recorder.js';
import type { SharedTokenBucket } from '../../kube/shared-token-bucket.js';
import type { RigDispatchOptions } from '../request-options.js';
import { withRole } from './compose.js';

/** RATELIMIT_OPERATION_PREFIX starts the name of the operation that records limiter waits (not an HTTP operation: integrity checks skip it). */
export const RATELIMIT_OPERATION_PREFIX = 'ratelimit wait ';

/** RateLimitInterceptorOptions configure the rate-limit wrapper. */
export interface RateLimitInterceptorOptions {
  bucket: SharedTokenBucket;
  /** Where to record each wait (µs, as both latencies; status 0, no bytes). */
  recorder?: MetricsRecorder;
  waitOperation?: number;
}

const NOOP_CONTROLLER: Dispatcher.DispatchController = {
  aborted: false,
  paused: false,
  reason: null,
  abort() {},
  pause() {},
  resume() {},
};

function dispatchLater(dispatch: Dispatcher.Dispatch, opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler): void {
  try {
    dispatch(opts, handler);
  } catch (err) {
    handler.onResponseError?.(NOOP_CONTROLLER, err as Error);
  }
}

/** rateLimitInterceptor returns an undici interceptor that delays each request until the shared bucket grants it a token. */
export function rateLimitInterceptor(options: RateLimitInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const { bucket, recorder } = options;
  const op = options.waitOperation ?? -1;
  return withRole('rate-limit', (dispatch) =>
    function rateLimitDispatch(opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const waitUs = bucket.acquire();
      if (recorder && op >= 0) recorder.response(op, 0, waitUs, waitUs, 0, 0);
      if (waitUs <= 0) return dispatch(opts, handler);
      setTimeout(dispatchLater, waitUs / 1000, dispatch, opts, handler);
      return true;
    });
}

/** The dispatch options racerig passes through its wrappers: undici's, plus the operation and intended start. */
import type { Dispatcher } from 'undici';

/** RigDispatchOptions are undici dispatch options plus racerig's per-request context; wrappers only read them. */
export interface RigDispatchOptions extends Dispatcher.DispatchOptions {
  /** Index of the operation in the run's metrics layout. */
  operation?: number;
  /** Intended start on the run clock, ms (open model); absent means "now" (closed model). */
  intendedAt?: number;
  /**
   * Set for a long-lived request (a watch, a followed log, an exec session): the operation that records
   * the stream's duration. Its own operation then records the time to establish it (response headers,
   * or the 101 upgrade) as its latency, and the duration (until the stream ends) goes here.
   */
  streamOperation?: number;
}

/** bodyLength returns the request body size in bytes, when known without consuming it (0 otherwise). */
export function bodyLength(body: Dispatcher.DispatchOptions['body']): number {
  if (body == null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

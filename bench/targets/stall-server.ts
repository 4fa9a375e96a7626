/**
 * A loopback HTTP server that stalls periodically: for `stallMs` out of every `periodMs` it holds
 * every response and releases them all when the stall window ends. A request that arrives at a
 * uniformly random time therefore waits `max(0, stallMs − phase)`, which gives the analytic
 * ground truth P(latency > x) = (stallMs − x) / periodMs for 0 ≤ x ≤ stallMs (see `stallTruthMs`).
 * Used by the coordinated-omission benchmark and by tests of the engine's corrected latency.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** StallServerOptions configures `startStallServer`; every duration is in milliseconds. */
export interface StallServerOptions {
  /** Length of each stall window in ms (e.g. 1000). */
  stallMs: number;
  /** Distance between the starts of two stall windows in ms (e.g. 5000); must exceed stallMs. */
  periodMs: number;
  /**
   * Where the first stall window starts, in ms after the anchor (default 0). Windows then start
   * every periodMs: [anchor + offsetMs + k·periodMs, … + stallMs).
   */
  offsetMs?: number;
  /**
   * "first-request" (default) anchors the stall schedule at the first request the server receives,
   * so a run of a whole number of periods sees exactly the intended duty cycle whatever its start
   * delay; "listen" anchors it when the server starts listening.
   */
  anchor?: 'first-request' | 'listen';
  /** Loopback address to bind (default 127.0.0.1). */
  host?: '127.0.0.1' | '::1';
  /** Port (default 0: any free port). */
  port?: number;
  /** Response body (default a small Kubernetes-style JSON object). */
  body?: string;
}

/** StallServer is a started stall server; `close` stops it and releases every held response first. */
export interface StallServer {
  /** Base URL, e.g. http://127.0.0.1:40123/ */
  url: string;
  /** Number of requests received so far (counted on arrival, before any stall). */
  requests(): number;
  /** Number of requests that arrived inside a stall window so far. */
  stalled(): number;
  /**
   * The latest a stall window's held responses were all written, in ms after the window's end
   * (timer lateness plus write time): how far the server itself strayed from the schedule.
   */
  maxReleaseLateMs(): number;
  /** Milliseconds (performance.now() clock of this process) of the schedule's anchor, or undefined before it is set. */
  anchorMs(): number | undefined;
  /** Stops accepting connections, answers held requests, closes every connection. */
  close(): Promise<void>;
}

const DEFAULT_BODY = '{"kind":"Status","apiVersion":"v1","status":"Success","code":200}';

/** startStallServer starts a stall server on loopback and resolves once it listens. */
export async function startStallServer(options: StallServerOptions): Promise<StallServer> {
  const { stallMs, periodMs } = options;
  if (!(stallMs >= 0 && periodMs > stallMs)) {
    throw new RangeError(`stall server needs 0 <= stallMs < periodMs (got stallMs=${stallMs}, periodMs=${periodMs})`);
  }
  const offsetMs = options.offsetMs ?? 0;
  const host = options.host ?? '127.0.0.1';
  const body = Buffer.from(options.body ?? DEFAULT_BODY);
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

  let anchor: number | undefined;
  let received = 0;
  let stalledCount = 0;
  // Responses held in the current stall window, released together by one timer.
  let held: ServerResponse[] = [];
  let releaseTimer: NodeJS.Timeout | undefined;
  let windowEnd = 0;
  let maxReleaseLate = 0;

  const release = (): void => {
    releaseTimer = undefined;
    const batch = held;
    held = [];
    for (const res of batch) respond(res);
    if (batch.length) maxReleaseLate = Math.max(maxReleaseLate, performance.now() - windowEnd);
  };
  const respond = (res: ServerResponse): void => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(200, headers);
    res.end(body);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const now = performance.now();
    if (anchor === undefined) anchor = now;
    received++;
    req.resume();
    const sinceFirstWindow = now - anchor - offsetMs;
    const phase = ((sinceFirstWindow % periodMs) + periodMs) % periodMs;
    if (sinceFirstWindow < 0 || phase >= stallMs) {
      respond(res);
      return;
    }
    stalledCount++;
    held.push(res);
    if (releaseTimer === undefined) {
      // Release at the end of this window; a timer fires at or after its delay, never before.
      windowEnd = now + stallMs - phase;
      releaseTimer = setTimeout(release, Math.max(0, stallMs - phase));
    }
  };

  const server = createServer({ keepAliveTimeout: 60_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (options.anchor === 'listen') anchor = performance.now();
  const { port } = server.address() as AddressInfo;
  const url = host === '::1' ? `http://[::1]:${port}/` : `http://${host}:${port}/`;

  return {
    url,
    requests: () => received,
    stalled: () => stalledCount,
    maxReleaseLateMs: () => maxReleaseLate,
    anchorMs: () => anchor,
    close: () =>
      new Promise<void>((resolve) => {
        if (releaseTimer !== undefined) clearTimeout(releaseTimer);
        releaseTimer = undefined;
        const batch = held;
        held = [];
        for (const res of batch) respond(res);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * stallTruthMs returns the ground-truth latency in ms at quantile `q` (0..1, e.g. 0.99) for
 * requests offered at a constant rate to a stall server: max(0, stallMs − (1 − q)·periodMs),
 * from P(latency > x) = (stallMs − x) / periodMs. Service time outside stalls is taken as 0.
 */
export function stallTruthMs(q: number, stallMs: number, periodMs: number): number {
  // Rounded to nanoseconds so that e.g. q = 0.9 gives exactly 500, not 500.0000000000001.
  return Math.max(0, Math.round((stallMs - (1 - q) * periodMs) * 1e6) / 1e6);
}

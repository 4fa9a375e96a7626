/**
 * A loopback HTTP server that stalls periodically: for `stallMs` out of every `periodMs` it holds
 * every response and releases them all when the stall window ends. A request that arrives at a
 * uniformly random time therefore waits `max(0, stallMs − phase)`, which gives the analytic
 * ground truth P(latency > x) = (stallMs − x) / periodMs for 0 ≤ x ≤ stallMs (see `stallTruthMs`).
 * Used by the coordinated-omission benchmark.
 *
 * It speaks minimal HTTP/1.1 on raw sockets (request heads only, keep-alive, one prebuilt response
 * per request head) because the release is part of what is measured: a window's held responses are
 * all due at the same instant, and writing hundreds through node:http took up to 60 ms on this
 * 2-core machine, which showed up as error in every generator's p90. Raw writes of a prebuilt
 * response take a few µs each. Requests must carry no body (every generator here sends GETs).
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
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
  const body = options.body ?? DEFAULT_BODY;
  const response = Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
  );

  let anchor: number | undefined;
  let received = 0;
  let stalledCount = 0;
  /** Held responses in arrival order: the connection of each and its count of held requests. */
  let held: { socket: Socket; pending: { held: number } }[] = [];
  let releaseTimer: NodeJS.Timeout | undefined;
  let windowEnd = 0;
  let maxReleaseLate = 0;
  const sockets = new Set<Socket>();

  const respond = (socket: Socket): void => {
    if (!socket.destroyed) socket.write(response);
  };
  const release = (): void => {
    releaseTimer = undefined;
    const batch = held;
    held = [];
    for (const h of batch) {
      h.pending.held--;
      respond(h.socket);
    }
    if (batch.length) maxReleaseLate = Math.max(maxReleaseLate, performance.now() - windowEnd);
  };
  /** onRequest answers or holds one request head that arrived at `now`. */
  const onRequest = (socket: Socket, now: number, pending: { held: number }): void => {
    if (anchor === undefined) anchor = now;
    received++;
    const sinceFirstWindow = now - anchor - offsetMs;
    const phase = ((sinceFirstWindow % periodMs) + periodMs) % periodMs;
    // HTTP/1.1 answers in order: behind a held request on the same connection, hold this one too.
    if (pending.held === 0 && (sinceFirstWindow < 0 || phase >= stallMs)) {
      respond(socket);
      return;
    }
    stalledCount++;
    pending.held++;
    held.push({ socket, pending });
    if (releaseTimer === undefined) {
      windowEnd = now + Math.max(0, stallMs - phase);
      releaseTimer = setTimeout(release, Math.max(0, stallMs - phase));
    }
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    let buffered = '';
    const pending = { held: 0 };
    socket.on('data', (chunk: string) => {
      const now = performance.now();
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
        buffered = buffered.slice(end + 4);
        onRequest(socket, now, pending);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
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
        for (const h of batch) respond(h.socket);
        server.close(() => resolve());
        for (const socket of sockets) socket.end();
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

/** The plain-data task each worker thread receives, and the report it returns at the end. */
import type { MetricsLayout } from '../metrics/layout.js';
import type { LoadModel } from './load-model.js';
import type { ErrorData } from '../errors.js';
import type { ResolvedAddress } from '../http/resolve-target.js';

/** RequestSpec is one request a worker sends (pre-serialized; the same object is reused, frozen). */
export interface RequestSpec {
  /** Operation index in the metrics layout. */
  operation: number;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  /** Request body (UTF-8 text or raw bytes), if any. */
  body?: string | Uint8Array;
  /** Upgrade protocol (e.g. "websocket"): the request is an HTTP upgrade. */
  upgrade?: string;
}

/** WorkerTask configures one worker thread of a run. Durations in ms; Infinity means unbounded. */
export interface WorkerTask {
  index: number;
  workers: number;
  layout: MetricsLayout;
  buffer: SharedArrayBuffer;
  /** Origin of the target, e.g. http://127.0.0.1:8080. */
  origin: string;
  /** Requests sent in turn (arrival i sends requests[i % length]). */
  requests: RequestSpec[];
  /** Connections this worker opens (its share of the total). */
  connections: number;
  pipelining: number;
  /** Per-request timeout (headers and body), ms. */
  timeoutMs: number;
  /** Global cap on requests in flight across workers (0: none). */
  maxInFlight: number;
  model: LoadModel;
  /** Global cap on requests sent (Infinity: none). */
  maxRequests: number;
  durationMs: number;
  /** Open model: an arrival more than this late when a connection frees up is dropped, not sent. */
  maxLagMs: number;
  /** Open model: arrivals started together from completions (LoopComponent.gatherMs), ms. */
  gatherMs: number;
  log?: { path: string; sample: number; operations: string[] };
  /** TLS: verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** HTTP client per connection: racerig's lean HTTP/1.1 client ('fast', default) or undici's Client. */
  httpClient?: HttpClientKind;
  /** The origin host's checked addresses (a name's, resolved on the main thread): connections go only to them. */
  addresses?: ResolvedAddress[];
}

/** HttpClientKind names the HTTP client a load worker uses per connection (see --http-client). */
export type HttpClientKind = 'fast' | 'undici';

/** WorkerReport is what a worker returns when it ends. */
export interface WorkerReport {
  index: number;
  /** Requests this worker dispatched. */
  sent: number;
  /** When this worker's last request ended, ms on the run clock (0 if none). */
  lastEndMs: number;
  /**
   * Start lateness of open-model requests, µs: the non-empty slots of its HdrHistogram-layout counts
   * as flat (slot, count) pairs ([] in the closed model), so workers never load hdr-histogram-js.
   */
  lateness: number[];
  error?: ErrorData;
}

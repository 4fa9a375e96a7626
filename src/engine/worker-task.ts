/** The plain-data task each worker thread receives, and the report it returns at the end. */
import type { MetricsLayout } from '../metrics/layout.js';
import type { RunPlan } from '../cli/run-options.js';
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

/**
 * WorkerTask configures one worker thread of a `run <url>`: the run's validated plan, unchanged, plus
 * what is this worker's own (its index, its share of the connections) and what the main thread derived
 * (the requests, the checked addresses). Durations in ms; Infinity means unbounded.
 */
export interface WorkerTask {
  index: number;
  workers: number;
  layout: MetricsLayout;
  buffer: SharedArrayBuffer;
  plan: RunPlan;
  /** Connections this worker opens (its share of plan.connections). */
  connections: number;
  /** Requests sent in turn (arrival i sends requests[i % length]). */
  requests: RequestSpec[];
  /** Operation names, for the request log (plan.log). */
  operations: string[];
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

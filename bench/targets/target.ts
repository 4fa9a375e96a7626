/** A load target the benchmark started itself on loopback, and how to stop it. */

/** Target is a started HTTP server on loopback; `close` stops it and everything it started. */
export interface Target {
  /** What serves the requests, e.g. "nginx 1.22.1 (1 worker)" or "node http (1 process)". */
  name: string;
  /** URL the tools load, always on 127.0.0.1 or ::1. */
  url: string;
  close(): Promise<void>;
  /**
   * Load requests the server has answered so far, read from the server itself (its status requests
   * not counted): the same count for every tool, where each tool reports its own. Absent on targets without a counter.
   */
  served?(): Promise<number>;
}

/** STATUS_PATH is where the throughput targets report their served-request counter. */
export const STATUS_PATH = '/racerig-bench-status';

/** SMALL_JSON_BODY is the response body of the throughput targets (a small Kubernetes-style Status). */
export const SMALL_JSON_BODY = '{"kind":"Status","apiVersion":"v1","status":"Success","code":200}';

/** assertLoopback throws unless `url` points at 127.0.0.1, ::1 or localhost: benchmarks load nothing else. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== '[::1]' && host !== 'localhost') {
    throw new Error(`benchmark target ${url} is not on loopback; refusing to send load`);
  }
}

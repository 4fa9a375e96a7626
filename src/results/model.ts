/**
 * The result file model (`racerig/result@1`): what one run measured. Field names are fixed;
 * every duration is in integer microseconds unless its name says otherwise, rates are per second.
 */

/** RESULT_SCHEMA is the schema identifier written into every result file. */
export const RESULT_SCHEMA = 'racerig/result@1';

/** LatencySummary holds percentiles in microseconds and the full histogram (compressed base64 HdrHistogram). */
export interface LatencySummary {
  /** Number of samples in the histogram. */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  /** Standard compressed HdrHistogram V2 encoding, base64 (decodes in any HdrHistogram implementation). */
  hdr: string;
}

/** OperationResult is what one operation (a request kind, e.g. `GET /api/v1/pods`) measured. */
export interface OperationResult {
  name: string;
  /**
   * true for a measurement operation: its "requests" are samples of something that is not a request
   * (a watch event's delivery lag, `<watch operation> · delivery lag`; a wait in a component's client-side
   * rate limiter, `ratelimit wait <component>`), left out of `totals` and of the time series.
   */
  measurement?: boolean;
  /**
   * Set on a stream operation (watches, followed logs, exec sessions): the name of the measurement
   * operation holding its streams' durations (`<operation> · duration`). Its latency is then the time
   * to establish each stream (response headers, or the 101 upgrade), its `bytesIn` what the streams
   * received. Absent in files written before streams were recorded apart: there a stream's latency was
   * its whole duration.
   */
  streamDuration?: string;
  /** Requests that completed or failed (not counting dropped ones). */
  requests: number;
  /** Transport errors plus responses with status >= 400. */
  errors: number;
  /** Planned requests that were never sent because the generator fell too far behind (open model). */
  dropped: number;
  /** requests / measured duration in seconds. */
  achievedRate: number;
  /** Responses by HTTP status code ("200": n, "101": n for upgrades). */
  status: Record<string, number>;
  /** Transport failures by kind: refused, reset, timeout, tls, dns, aborted, other. */
  errorKinds: Record<string, number>;
  /** Error responses (status >= 400) by metav1 Status reason: Conflict, AlreadyExists, NotFound, TooManyRequests, … */
  reasons?: Record<string, number>;
  /** Response body bytes received. */
  bytesIn: number;
  /** Request body bytes sent. */
  bytesOut: number;
  /** Watch operations (profile watch steps): events received by type, relists, 410s and re-watches. */
  watch?: WatchResult;
  /** Latency from the intended start (open model) of every response; equals uncorrected in the closed model. */
  latencyUs: LatencySummary;
  /** Latency from the actual send time of every response. */
  uncorrectedLatencyUs: LatencySummary;
}

/** WatchResult counts what the watches of one operation received. */
export interface WatchResult {
  /** Events received from watch streams by type: ADDED, MODIFIED, DELETED, BOOKMARK, ERROR (initial list items are not events). */
  events: Record<string, number>;
  /** Lists after the first one of a watch (after a 410 Expired or an error), like client-go's reflector relists. */
  relists: number;
  /** 410 Expired / Gone answers: watch requests answered 410 and in-stream ERROR events with code 410. */
  expired: number;
  /** Watch requests sent after the first of a watch (the stream ended, or after a relist). */
  rewatches: number;
}

/** TimeSeriesPoint is one second of the run, all operations together. */
export interface TimeSeriesPoint {
  /** Seconds since the start of the run (end of the interval). */
  t: number;
  requests: number;
  errors: number;
  dropped: number;
  /** Corrected latency percentiles of the responses completed in this interval, microseconds (0 when none). */
  p50: number;
  p99: number;
  /** Requests in flight at the end of the interval (profile runs: since results that have `openStreams`; 0 before). */
  inFlight: number;
  /** Runs with stream operations: streams (watches, followed logs, exec sessions) open at the end of the interval. */
  openStreams?: number;
}

/** RunTotals sums every operation. */
export interface RunTotals {
  requests: number;
  errors: number;
  dropped: number;
  achievedRate: number;
}

/** TargetInfo describes what the run was pointed at. */
export interface TargetInfo {
  url: string;
  /** "url" for `run <url>`, "mock" for the embedded mock server, "cluster" for a kubeconfig target. */
  kind: string;
  /** The server's reported version (e.g. `/version` gitVersion), when known. */
  serverVersion?: string;
}

/**
 * FindingKind names what an observer of the system under test saw: a Go race-detector report, a panic,
 * a Go `fatal error:`, a match of a user pattern, the SUT's exit, a container restart, or a disagreement
 * between the SUT's own request counts and the API server's.
 */
export type FindingKind = 'race' | 'panic' | 'fatal' | 'pattern' | 'exit' | 'restart' | 'metrics-mismatch';

/** Finding is one signature observed about the system under test, deduplicated: `count` occurrences, the first kept verbatim. */
export interface Finding {
  kind: FindingKind | (string & {});
  /** Stable across runs and builds: function names only (no addresses, offsets, goroutine ids or paths). */
  signature: string;
  /** One line for tables, e.g. "DATA RACE: write in main.(*metricsTransport).Wrap vs read in main.(*metricsTransport).RoundTrip". */
  message: string;
  count: number;
  /** ISO 8601 UTC time of the first occurrence. */
  firstAt?: string;
  /** Phase the first occurrence happened in ("setup", a phase name, or "cleanup"). */
  phase?: string;
  /** Where it was seen: "sut" for a process racerig started, "pod <ns>/<name>/<container>" for a pod, "metrics" for a scrape. */
  source?: string;
  /** The first occurrence's full text (race block, panic dump, last log lines before an exit), capped at 64 KiB. */
  report?: string;
}

/** SutExit is one exit of a system under test racerig started: its code or signal, when, in which phase, and whether racerig asked for it. */
export interface SutExit {
  code?: number;
  signal?: string;
  /** ISO 8601 UTC. */
  at: string;
  phase?: string;
  /** True for the exit racerig caused when it stopped the SUT at the end. */
  requested: boolean;
}

/** SutResult is what the result says about the system under test racerig started (`--sut`, `sut:`). */
export interface SutResult {
  command: string[];
  /** Its whole output (stdout and stderr of every start), beside the result file. */
  logFile: string;
  /** Time from the first start to ready, ms. */
  readyMs?: number;
  starts: number;
  restarts: number;
  exits: SutExit[];
}

/** LifecycleResult is the latency of one kind of object lifecycle the run observed (e.g. pod created → Running). */
export interface LifecycleResult {
  /** Name of the lifecycle, e.g. `pod startup` or `pod deletion`. */
  name: string;
  /** Time from the first to the last event of the lifecycle, per object. */
  latencyUs: LatencySummary;
}

/** ShardInfo is set on the result of one shard of a distributed run (`run <url> --shard i/N`). */
export interface ShardInfo {
  /** This shard's index, 0-based. */
  index: number;
  /** How many shards the run has. */
  count: number;
  /** The agreed start of every shard (`--start-at`), ISO 8601 UTC; absent without it. */
  startAt?: string;
  /** How late this shard was ready to start after `startAt`, ms (0 when on time); its arrivals kept the agreed schedule. */
  startLatenessMs?: number;
  /** Host name of the machine the shard ran on (in a pod: the pod's name). */
  host?: string;
}

/** ShardSummary is one input of a merged result (`racerig merge`): what that shard measured. */
export interface ShardSummary {
  /** The shard's index (its `shard.index`, else its position among the inputs). */
  index: number;
  /** The result file it was read from, when merged from files. */
  file?: string;
  host?: string;
  /** The shard's pod and its node, when a coordinator ran it as an Indexed Job. */
  pod?: string;
  node?: string;
  requests: number;
  errors: number;
  dropped: number;
  /** ISO 8601 UTC. */
  startedAt: string;
  durationSeconds: number;
  startLatenessMs?: number;
  /** The shard's clock minus the coordinator's, estimated from its progress lines (a lower bound: the fastest line's transit is not known), ms; set by a coordinator. */
  clockOffsetMs?: number;
  partial: boolean;
  stoppedBy?: string;
}

/** RunResult is the whole result file. */
export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  /** Name of the run: the profile name, or the target host for `run <url>`. */
  name: string;
  /** True when the run was stopped early (Ctrl-C, SIGTERM, a failing target) and measured less than planned. */
  partial: boolean;
  /** Why a partial run stopped (e.g. "interrupted"). */
  stoppedBy?: string;
  labels: Record<string, string>;
  /** ISO 8601 UTC. */
  startedAt: string;
  endedAt: string;
  /** The run's length in seconds, rates' denominator: the planned duration of a `run <url>` not stopped early, else first request to last completion. */
  durationSeconds: number;
  /** From the start to the last response, s, when it differs in meaning from durationSeconds (a run measured over its planned duration). */
  elapsedSeconds?: number;
  target: TargetInfo;
  /** The effective options of the run. */
  config: Record<string, unknown>;
  environment: { racerigVersion: string; node: string; platform: string; cpus: number };
  profile?: { name: string; sha256: string };
  totals: RunTotals;
  /** Open model only: how late requests started relative to their intended time. */
  schedule?: {
    /** Start lateness percentiles, microseconds. */
    lateUs: { p50: number; p99: number; max: number };
    /** Requests that started 1 ms or more late. */
    startedLate: number;
  };
  operations: OperationResult[];
  timeSeries: TimeSeriesPoint[];
  /** Each threshold's verdict; `actual` in the threshold's `unit` (ms for latencies, ratio 0..1, count, per-second; `unit` absent in older files: parse `expression`). */
  thresholds?: { expression: string; passed: boolean; actual?: number; unit?: 'ms' | 'ratio' | 'count' | 'per-second' }[];
  /** Runs against the embedded mock: the run's response counts per resource and code against the mock's /metrics. */
  integrity?: { ok: boolean; compared: number; mismatches: string[] };
  /** Profile runs: 429 answers retried after their Retry-After, and requests still 429 after the last of 3 retries. */
  retries?: { retries: number; exhausted: number };
  /** Profile runs: scenario iterations that completed, and those that failed by reason. */
  iterations?: {
    completed: number;
    failed: number;
    failures: Record<string, number>;
    /** The same counts by component (a component holding a watch for the phase counts one iteration per watcher); absent in older files. */
    byComponent?: Record<string, { completed: number; failed: number }>;
  };
  /** Observed about the system under test (absent when nothing observed it; [] when observers found nothing). */
  findings?: Finding[];
  /** The system under test racerig started beside the run. */
  sut?: SutResult;
  /** What observers measured besides findings (e.g. per-phase deltas of scraped metrics), keyed by observer. */
  observations?: Record<string, unknown>;
  /** Object lifecycle latencies, when the profile measures them; compared like operation latencies. */
  lifecycles?: LifecycleResult[];
  /** Set on one shard's result of a distributed run. */
  shard?: ShardInfo;
  /** Set on a merged result (`racerig merge`): its inputs, by shard index. */
  shards?: ShardSummary[];
  /** Conditions that do not make the result partial but weaken it (e.g. a shard's clock offset beyond the threshold). */
  warnings?: string[];
}

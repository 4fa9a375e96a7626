/**
 * The mock's own Prometheus metrics, named as kube-apiserver names them, so a run can check its
 * counts against the server's.
 */

/** DURATION_BUCKETS are kube-apiserver's request duration histogram buckets, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** RequestLabels are the labels a request is counted under. */
export interface RequestLabels {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
}

/** RequestSeries holds the counters of one label set: requests by code and the duration histogram. */
export class RequestSeries {
  readonly codes = new Map<number, number>();
  readonly counts = new Array<number>(DURATION_BUCKETS.length).fill(0);
  sum = 0;
  count = 0;

  constructor(readonly labels: string) {}

  /** observe counts one finished request with its HTTP code and duration in seconds. */
  observe(code: number, seconds: number): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= DURATION_BUCKETS[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += seconds;
    this.count++;
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(l: RequestLabels): string {
  return `verb="${l.verb}",group="${esc(l.group)}",version="${esc(l.version)}",resource="${esc(l.resource)}",subresource="${esc(l.subresource)}",scope="${l.scope}"`;
}

/** MAX_CLIENT_USER_AGENTS bounds how many user agents racerig_mock_client_requests_total counts apart; requests of later ones count under OTHER_USER_AGENTS. */
export const MAX_CLIENT_USER_AGENTS = 1000;

/** OTHER_USER_AGENTS is the user_agent label of requests from user agents beyond MAX_CLIENT_USER_AGENTS. */
export const OTHER_USER_AGENTS = 'racerig-mock:other-user-agents';

/** MockMetrics accumulates counters in memory and renders them in Prometheus text format (single-threaded). */
export class MockMetrics {
  private readonly series = new Map<string, RequestSeries>();
  /** Events written to watch streams, per resource's label text. */
  private readonly watchEvents = new Map<string, { n: number }>();
  private readonly longRunning = new Map<string, number>();
  /** Answered requests by the full User-Agent header, HTTP method and status code. */
  private readonly clients = new Map<string, Map<string, Map<number, number>>>();
  /** Current non-long-running requests being served, by kind. */
  inflightReadOnly = 0;
  inflightMutating = 0;

  /** seriesFor returns the (cached) series of a label set. */
  seriesFor(l: RequestLabels): RequestSeries {
    const key = `${l.verb}|${l.group}|${l.version}|${l.resource}|${l.subresource}|${l.scope}`;
    let s = this.series.get(key);
    if (!s) {
      s = new RequestSeries(labelText(l));
      this.series.set(key, s);
    }
    return s;
  }

  /** observe counts one finished request with its HTTP code and duration in seconds. */
  observe(l: RequestLabels, code: number, seconds: number): void {
    this.seriesFor(l).observe(code, seconds);
  }

  /** longRunningDelta adds `delta` to the long-running gauge of a request's labels. */
  longRunningDelta(l: RequestLabels, delta: number): void {
    const text = this.seriesFor(l).labels;
    this.longRunning.set(text, (this.longRunning.get(text) ?? 0) + delta);
  }

  /**
   * watchEventCounter returns the function that counts events written to watch streams of one
   * resource; a stream takes it once and calls it per write (no label lookup per write).
   */
  watchEventCounter(group: string, version: string, resource: string): (n: number) => void {
    const labels = `group="${esc(group)}",version="${esc(version)}",resource="${esc(resource)}"`;
    const cell = this.watchEvents.get(labels) ?? { n: 0 };
    this.watchEvents.set(labels, cell);
    return (n) => {
      cell.n += n;
    };
  }

  /** countClient counts one answered request (ordinary, watch, upgrade with 101, error, 401) under its client's User-Agent header (empty when absent), HTTP method and status code. */
  countClient(userAgent: string | undefined, method: string | undefined, code: number): void {
    let ua = userAgent ?? '';
    let byMethod = this.clients.get(ua);
    if (byMethod === undefined) {
      if (this.clients.size >= MAX_CLIENT_USER_AGENTS) ua = OTHER_USER_AGENTS;
      byMethod = this.clients.get(ua) ?? new Map<string, Map<number, number>>();
      this.clients.set(ua, byMethod);
    }
    const verb = method ?? '';
    let byCode = byMethod.get(verb);
    if (byCode === undefined) {
      byCode = new Map<number, number>();
      byMethod.set(verb, byCode);
    }
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }

  /** requestCount returns the total of apiserver_request_total over series whose labels include every given pair. */
  requestCount(filter: Partial<RequestLabels> & { code?: number } = {}): number {
    const want = Object.entries(filter).map(([k, v]) => `${k}="${v}"`);
    let n = 0;
    for (const s of this.series.values()) {
      for (const [code, c] of s.codes) {
        const labels = `${s.labels},code="${code}"`;
        if (want.every((w) => labels.includes(w))) n += c;
      }
    }
    return n;
  }

  /** render returns every metric in Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    out.push('# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, group, version, resource, scope, and HTTP response code.');
    out.push('# TYPE apiserver_request_total counter');
    for (const s of this.series.values()) for (const [code, c] of s.codes) out.push(`apiserver_request_total{${s.labels},code="${code}"} ${c}`);
    out.push('# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, group, version, resource, subresource, and scope.');
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    for (const h of this.series.values()) {
      if (h.count === 0) continue;
      let cum = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cum += h.counts[i]!;
        out.push(`apiserver_request_duration_seconds_bucket{${h.labels},le="${DURATION_BUCKETS[i]}"} ${cum}`);
      }
      out.push(`apiserver_request_duration_seconds_bucket{${h.labels},le="+Inf"} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${h.labels}} ${h.sum}`);
      out.push(`apiserver_request_duration_seconds_count{${h.labels}} ${h.count}`);
    }
    out.push('# HELP apiserver_current_inflight_requests Maximal number of currently used inflight request limit of this apiserver per request kind in last second.');
    out.push('# TYPE apiserver_current_inflight_requests gauge');
    out.push(`apiserver_current_inflight_requests{request_kind="readOnly"} ${this.inflightReadOnly}`);
    out.push(`apiserver_current_inflight_requests{request_kind="mutating"} ${this.inflightMutating}`);
    out.push('# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.');
    out.push('# TYPE apiserver_longrunning_requests gauge');
    for (const [labels, n] of this.longRunning) out.push(`apiserver_longrunning_requests{${labels}} ${n}`);
    out.push('# HELP apiserver_watch_events_total Number of events sent in watch clients');
    out.push('# TYPE apiserver_watch_events_total counter');
    for (const [labels, c] of this.watchEvents) out.push(`apiserver_watch_events_total{${labels}} ${c.n}`);
    out.push('# HELP racerig_mock_client_requests_total Requests the mock answered, by the client\'s full User-Agent header, HTTP method and response code (upgrades count 101).');
    out.push('# TYPE racerig_mock_client_requests_total counter');
    for (const [ua, byMethod] of this.clients) {
      const uaLabel = esc(ua);
      for (const [verb, byCode] of byMethod) {
        for (const [code, n] of byCode) out.push(`racerig_mock_client_requests_total{user_agent="${uaLabel}",verb="${esc(verb)}",code="${code}"} ${n}`);
      }
    }
    return out.join('\n') + '\n';
  }
}

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

interface Histogram {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(l: RequestLabels): string {
  return `verb="${l.verb}",group="${esc(l.group)}",version="${esc(l.version)}",resource="${esc(l.resource)}",subresource="${esc(l.subresource)}",scope="${l.scope}"`;
}

function keyOf(l: RequestLabels): string {
  return `${l.verb}|${l.group}|${l.version}|${l.resource}|${l.subresource}|${l.scope}`;
}

/** MockMetrics accumulates counters in memory and renders them in Prometheus text format (single-threaded). */
export class MockMetrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly labelCache = new Map<string, string>();
  private readonly watchEvents = new Map<string, number>();
  private readonly longRunning = new Map<string, number>();
  /** Current non-long-running requests being served, by kind. */
  inflightReadOnly = 0;
  inflightMutating = 0;

  private labels(l: RequestLabels): [string, string] {
    const key = keyOf(l);
    let text = this.labelCache.get(key);
    if (text === undefined) {
      text = labelText(l);
      this.labelCache.set(key, text);
    }
    return [key, text];
  }

  /** observe counts one finished request with its HTTP code and duration in seconds. */
  observe(l: RequestLabels, code: number, seconds: number): void {
    const [key, text] = this.labels(l);
    const ckey = `${text},code="${code}"`;
    this.requests.set(ckey, (this.requests.get(ckey) ?? 0) + 1);
    let h = this.durations.get(key);
    if (!h) {
      h = { labels: text, counts: new Array<number>(DURATION_BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.durations.set(key, h);
    }
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= DURATION_BUCKETS[i]!) {
        h.counts[i]!++;
        break;
      }
    }
    h.sum += seconds;
    h.count++;
  }

  /** longRunningDelta adds `delta` to the long-running gauge of a request's labels. */
  longRunningDelta(l: RequestLabels, delta: number): void {
    const [, text] = this.labels(l);
    this.longRunning.set(text, (this.longRunning.get(text) ?? 0) + delta);
  }

  /** watchEventsSent counts events written to watch streams of one resource. */
  watchEventsSent(group: string, version: string, resource: string, n: number): void {
    const k = `group="${esc(group)}",version="${esc(version)}",resource="${esc(resource)}"`;
    this.watchEvents.set(k, (this.watchEvents.get(k) ?? 0) + n);
  }

  /** requestCount returns the total of apiserver_request_total over series whose labels include every given pair. */
  requestCount(filter: Partial<RequestLabels> & { code?: number } = {}): number {
    const want = Object.entries(filter).map(([k, v]) => `${k}="${v}"`);
    let n = 0;
    for (const [labels, c] of this.requests) if (want.every((w) => labels.includes(w))) n += c;
    return n;
  }

  /** render returns every metric in Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    out.push('# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, group, version, resource, scope, and HTTP response code.');
    out.push('# TYPE apiserver_request_total counter');
    for (const [labels, c] of this.requests) out.push(`apiserver_request_total{${labels}} ${c}`);
    out.push('# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, group, version, resource, subresource, and scope.');
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    for (const h of this.durations.values()) {
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
    for (const [labels, n] of this.watchEvents) out.push(`apiserver_watch_events_total{${labels}} ${n}`);
    return out.join('\n') + '\n';
  }
}

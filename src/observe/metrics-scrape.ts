/**
 * The metrics observer: scrapes the system under test's Prometheus endpoint at start, at the end of every
 * phase and at stop, and keeps the deltas of the named metrics per window (summed over label sets, and
 * per label set). With a cross-check, it also reads the API server's count of requests by client
 * (`racerig_mock_client_requests_total{user_agent,verb,code}` on the racerig mock) at the same moments and
 * compares, per window, the SUT's own request counter with the server's count for the user agents that
 * start with a prefix: a relative disagreement beyond the tolerance is a `metrics-mismatch` finding.
 * Counter resets (the SUT restarted) count from zero, and so do all counters when the source says another
 * instance answered (a pod read through the API server's proxy was replaced). The endpoint is a URL or a
 * source such as a pod's port (pod-metrics-source.ts). Main thread; one scrape at a time.
 */
import { request } from 'undici';
import type { Observer, ObserverContext, PhaseEvent } from './observer.js';
import { parsePrometheusText, seriesKey } from './prometheus-text.js';
import { ObserveError } from '../errors.js';
import type { MetricsRead } from './pod-metrics-source.js';

/** SERVER_CLIENT_REQUESTS_METRIC is the racerig mock's count of requests per client: labels user_agent (the full User-Agent), verb (HTTP method), code. */
export const SERVER_CLIENT_REQUESTS_METRIC = 'racerig_mock_client_requests_total';

/** DEFAULT_SLACK is the absolute disagreement, in requests, a cross-check window accepts whatever its size. */
export const DEFAULT_SLACK = 5;

/** DEFAULT_TOLERANCE is the relative disagreement (0.01 = 1%) a cross-check accepts. */
export const DEFAULT_TOLERANCE = 0.01;

/** CrossCheck compares the SUT's own count of its API requests with the API server's count of requests from it. */
export interface CrossCheck {
  /** The SUT's request counter (summed over its label sets), e.g. `argo_workflows_k8s_request_total`. */
  sutMetric: string;
  /** User-Agent prefix of the SUT's requests as the server sees them, e.g. `workflow-controller/`. */
  userAgent: string;
  /** Accepted relative disagreement |sut − server| / max(sut, server), default DEFAULT_TOLERANCE. */
  tolerance?: number;
  /** Accepted absolute disagreement in requests (those in flight at a window's edge are counted by one side first), default DEFAULT_SLACK. */
  slack?: number;
  /** The server's per-client request counter (default SERVER_CLIENT_REQUESTS_METRIC). */
  serverMetric?: string;
}

/** MetricsSource is an endpoint other than a URL: e.g. a pod's port through the API server's proxy. */
export interface MetricsSource {
  /** Names it in the observer's name and messages, e.g. `pod argo/app=x:9090/metrics`. */
  describe: string;
  /** Reads the text once; `signal` aborts at the scrape timeout or at stop. */
  read(signal: AbortSignal): Promise<MetricsRead>;
  /** What the result data says about the endpoint (e.g. `{pod: {...}}`). */
  data: Record<string, unknown>;
}

/** MetricsScrapeOptions configure the metrics observer: exactly one of `url` and `source`. */
export interface MetricsScrapeOptions {
  /** The SUT's Prometheus text endpoint. */
  url?: string;
  source?: MetricsSource;
  /** Sample names whose deltas are kept (exact names, e.g. `workqueue_adds_total`, `x_count`). */
  metrics: readonly string[];
  crossCheck?: CrossCheck;
  /** Reads the API server's Prometheus text (needed with `crossCheck`); `signal` aborts at the scrape timeout or at stop. */
  readServerMetrics?: (signal: AbortSignal) => Promise<string>;
  /** Per scrape, ms (default 5000). */
  timeoutMs?: number;
  /** Reads a URL's body as text (default: an undici GET, body capped at 32 MiB). */
  fetchText?: (url: string, timeoutMs: number, signal: AbortSignal) => Promise<string>;
}

/** MetricDelta is one metric's change over a window: the sum over its label sets and each label set's (key: canonical `{a="x"}`). */
export interface MetricDelta {
  total: number;
  series: Record<string, number>;
}

/** CrossCheckResult is one window's comparison. */
export interface CrossCheckResult {
  sut: number;
  server: number;
  /** |sut − server| / max(sut, server) (0 when both are 0). */
  relative: number;
  ok: boolean;
}

/** MetricsWindow is what changed between two successful scrapes. */
export interface MetricsWindow {
  /** The phase that ended at the window's end ("start" → first phase end; at stop the run's phase then, or "stop"). */
  phase: string;
  /** ISO 8601 UTC times of the two scrapes. */
  from: string;
  to: string;
  deltas: Record<string, MetricDelta>;
  crossCheck?: CrossCheckResult;
  /** Who answered the window's last scrape, when the source tells (e.g. `pod <name> <uid>`). */
  instance?: string;
  /** True when another instance answered than at the window's start: its counters counted from zero. */
  replaced?: true;
}

type Values = Map<string, Map<string, number>>;

interface Scrape {
  at: Date;
  sut: Values;
  instance: string | undefined;
  /** The server's per-client request series of matching user agents (key: canonical labels). */
  server: Map<string, number> | undefined;
}

const MAX_BODY = 32 * 1024 * 1024;

/** fetchTextUndici GETs `url` and returns its body as text; throws on a non-2xx answer, a timeout or a body over 32 MiB. */
export async function fetchTextUndici(url: string, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const res = await request(url, { method: 'GET', headers: { accept: 'text/plain;version=0.0.4, */*' }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) {
      res.body.destroy();
      throw new Error(`body larger than ${MAX_BODY} bytes`);
    }
    chunks.push(c);
  }
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
  return Buffer.concat(chunks).toString('utf8');
}

/** deltaOf returns the change of each series from `before` to `after`; a series that went down was reset and counts from 0; non-finite values are left out. */
export function deltaOf(before: Map<string, number> | undefined, after: Map<string, number> | undefined): MetricDelta {
  const series: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of after ?? []) {
    if (!Number.isFinite(v)) continue;
    const b = before?.get(k);
    const d = b === undefined || !Number.isFinite(b) ? v : v < b ? v : v - b;
    series[k] = d;
    total += d;
  }
  return { total, series };
}

/** relativeDifference is |a − b| / max(|a|, |b|), 0 when both are 0. */
export function relativeDifference(a: number, b: number): number {
  const m = Math.max(Math.abs(a), Math.abs(b));
  return m === 0 ? 0 : Math.abs(a - b) / m;
}

/** MetricsScrapeObserver scrapes one endpoint per phase; see the file comment. */
export class MetricsScrapeObserver implements Observer {
  readonly name: string;
  readonly windows: MetricsWindow[] = [];
  /** Scrapes that failed (their window joins the next one). */
  failures = 0;
  private last: Scrape | undefined;
  private readonly keep: Set<string>;
  private readonly fetchText: NonNullable<MetricsScrapeOptions['fetchText']>;
  private readonly abort = new AbortController();
  private chain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly ctx: ObserverContext,
    private readonly o: MetricsScrapeOptions,
  ) {
    if (o.crossCheck && !o.readServerMetrics) throw new ObserveError('RACERIG_OBSERVE_METRICS', 'a metrics cross-check needs a way to read the API server metrics');
    if ((o.url === undefined) === (o.source === undefined)) throw new ObserveError('RACERIG_OBSERVE_METRICS', 'a metrics observer needs exactly one of a URL and a source');
    this.name = `metrics ${o.url ?? o.source!.describe}`;
    this.keep = new Set([...o.metrics, ...(o.crossCheck ? [o.crossCheck.sutMetric] : [])]);
    this.fetchText = o.fetchText ?? fetchTextUndici;
    ctx.signal.addEventListener('abort', () => this.abort.abort(), { once: true });
  }

  /** start takes the first scrape; throws ObserveError (RACERIG_OBSERVE_METRICS) when the endpoint cannot be read. */
  async start(): Promise<void> {
    try {
      this.last = await this.scrape();
    } catch (err) {
      throw new ObserveError('RACERIG_OBSERVE_METRICS', `cannot scrape ${this.o.url ?? this.o.source!.describe}: ${(err as Error).message}`, {
        hint: this.o.source ? 'is the pod Running, its port serving, and the API server able to reach it (pods/proxy)?' : 'is the system under test running and its metrics port reachable?',
        cause: err,
      });
    }
  }

  /** onPhase scrapes at the end of each phase and records the window that ended. */
  onPhase(event: PhaseEvent): Promise<void> {
    if (event.at !== 'end' || this.stopping) return Promise.resolve();
    return this.serial(() => this.window(event.phase));
  }

  /** stop takes the last scrape (the window after the last phase) and ends; idempotent. */
  stop(): Promise<void> {
    return (this.stopping ??= this.serial(() => this.window(this.ctx.findings.phase ?? 'stop')));
  }

  /** resultData gives the windows (deltas and cross-checks), keyed by the observer's name. */
  resultData(): Record<string, unknown> {
    return {
      [this.name]: {
        ...(this.o.url !== undefined ? { url: this.o.url } : this.o.source!.data),
        metrics: [...this.o.metrics],
        ...(this.o.crossCheck ? { crossCheck: { ...this.o.crossCheck, tolerance: this.o.crossCheck.tolerance ?? DEFAULT_TOLERANCE, slack: this.o.crossCheck.slack ?? DEFAULT_SLACK } } : {}),
        windows: this.windows,
        ...(this.failures ? { failedScrapes: this.failures } : {}),
      },
    };
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private async scrape(): Promise<Scrape> {
    const timeout = this.o.timeoutMs ?? 5000;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeout)]);
    const cc = this.o.crossCheck;
    // Both endpoints read at the same moment, so their deltas cover the same window.
    const readSut = (): Promise<MetricsRead> => (this.o.source ? this.o.source.read(signal) : this.fetchText(this.o.url!, timeout, signal).then((text) => ({ text })));
    const [{ text: sutText, instance }, serverText] = await Promise.all([readSut(), cc ? this.o.readServerMetrics!(signal) : Promise.resolve(undefined)]);
    const at = new Date();
    const sut: Values = new Map();
    for (const s of parsePrometheusText(sutText, (n) => this.keep.has(n)).samples) {
      let m = sut.get(s.name);
      if (!m) sut.set(s.name, (m = new Map()));
      const k = seriesKey(s.labels);
      m.set(k, (m.get(k) ?? 0) + s.value);
    }
    let server: Map<string, number> | undefined;
    if (cc && serverText !== undefined) {
      server = new Map();
      const metric = cc.serverMetric ?? SERVER_CLIENT_REQUESTS_METRIC;
      for (const s of parsePrometheusText(serverText, (n) => n === metric).samples) {
        if (!(s.labels.user_agent ?? '').startsWith(cc.userAgent)) continue;
        const k = seriesKey(s.labels);
        server.set(k, (server.get(k) ?? 0) + s.value);
      }
    }
    return { at, sut, instance, server };
  }

  private async window(phase: string): Promise<void> {
    let now: Scrape;
    try {
      now = await this.scrape();
    } catch (err) {
      this.failures++;
      this.ctx.say(`racerig: ${this.name}: scrape at the end of ${phase} failed: ${(err as Error).message}\n`);
      return;
    }
    const before = this.last;
    this.last = now;
    if (!before) return;
    // Another instance (a replaced pod) started its counters from zero: none of the earlier values is a base.
    const replaced = before.instance !== undefined && now.instance !== undefined && before.instance !== now.instance;
    const base = (name: string) => (replaced ? undefined : before.sut.get(name));
    const deltas: Record<string, MetricDelta> = {};
    for (const name of this.o.metrics) deltas[name] = deltaOf(base(name), now.sut.get(name));
    const w: MetricsWindow = { phase, from: before.at.toISOString(), to: now.at.toISOString(), deltas, ...(now.instance !== undefined ? { instance: now.instance } : {}), ...(replaced ? { replaced: true as const } : {}) };
    const cc = this.o.crossCheck;
    if (cc && now.server) {
      const sutDelta = deltaOf(base(cc.sutMetric), now.sut.get(cc.sutMetric));
      const serverDelta = deltaOf(before.server, now.server);
      const relative = relativeDifference(sutDelta.total, serverDelta.total);
      const tolerance = cc.tolerance ?? DEFAULT_TOLERANCE;
      const slack = cc.slack ?? DEFAULT_SLACK;
      const apart = Math.abs(sutDelta.total - serverDelta.total);
      w.crossCheck = { sut: sutDelta.total, server: serverDelta.total, relative, ok: relative <= tolerance || apart <= slack };
      if (!w.crossCheck.ok) {
        const metric = cc.serverMetric ?? SERVER_CLIENT_REQUESTS_METRIC;
        const lines = [
          `window: ${w.from} .. ${w.to} (phase ${phase})`,
          `SUT ${cc.sutMetric}: +${sutDelta.total}`,
          ...Object.entries(sutDelta.series).map(([k, v]) => `  ${cc.sutMetric}${k} +${v}`),
          `API server ${metric}, user_agent starting with ${JSON.stringify(cc.userAgent)}: +${serverDelta.total}`,
          ...Object.entries(serverDelta.series).map(([k, v]) => `  ${metric}${k} +${v}`),
        ];
        this.ctx.findings.add({
          kind: 'metrics-mismatch',
          signature: `metrics-mismatch: ${cc.sutMetric} vs ${cc.userAgent}`,
          message: `${cc.sutMetric} counted ${sutDelta.total} requests, the API server ${serverDelta.total} from ${cc.userAgent}* (${apart} or ${(relative * 100).toFixed(1)}% apart; tolerance ${(tolerance * 100).toFixed(1)}% or ${slack} requests)`,
          source: 'metrics',
          phase,
          at: now.at,
          report: lines.join('\n'),
        });
      }
    }
    this.windows.push(w);
  }
}

/** createMetricsScrapeObserver returns an observer scraping `options.url` or `options.source` per phase; throws ObserveError when a cross-check has no server reader or not exactly one endpoint is given. */
export function createMetricsScrapeObserver(ctx: ObserverContext, options: MetricsScrapeOptions): MetricsScrapeObserver {
  return new MetricsScrapeObserver(ctx, options);
}

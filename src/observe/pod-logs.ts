/**
 * The pod logs observer: follows the log of every container of every pod matching a namespace and label
 * selector (pods that appear during the run included), scans it with the log scanner (source
 * `pod <ns>/<name>/<container>`), and on a container restart reads the previous instance's log
 * (`previous=true`, where a crash's panic is) and scans it too.
 *
 * One followed stream per container at a time: a new one starts when the watch shows an instance newer
 * than the one followed and no stream is open. The previous log of an instance that was also followed
 * repeats what the stream delivered (a kubelet serves both from the same file): when its first bytes hash
 * like the stream's, the stream is dropped and occurrences the stream already reported are not counted
 * again. Runs on the main thread; every stream ends on stop.
 */
import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ObserverContext } from './observer.js';
import type { Occurrence } from './findings.js';
import { createLogScanner, compilePattern, type LogScanner } from './log-scanner.js';
import type { LogStream, LogStreamEnd } from './log-stream.js';
import type { ContainerStatus, PodEvent } from './pod-watch.js';
import { PodObserverBase, restartBaseline, type PodSelection } from './pod-observer.js';

/** PodLogsOptions select the pods whose logs are scanned and the extra patterns. */
export interface PodLogsOptions extends PodSelection {
  /** Extra patterns (kind `pattern`); races, panics and fatal errors are always scanned. */
  patterns?: readonly string[];
  /** A followed stream quiet this long (ms) has its open report flushed (a dump whose process lives on or hangs); default 1000. */
  idleFlushMs?: number;
  /** Retries of a follow that failed before any byte arrived (container still starting), default 5; backoff 200 ms doubling. */
  followRetries?: number;
}

/** PodLogsCounters say what the observer read (for tests and the result). */
export interface PodLogsCounters {
  /** Follow requests started. */
  follows: number;
  /** Previous-instance logs read. */
  previousLogs: number;
  /** Bytes of log text scanned (followed and previous). */
  bytes: number;
  /** Occurrences of a previous log not counted because the followed stream had reported them. */
  deduplicated: number;
}

interface Follow {
  instance: number;
  stream: LogStream | undefined;
  scanner: LogScanner;
  hash: Hash;
  bytes: number;
  open: boolean;
  /** performance.now() of the last chunk. */
  lastDataAt: number;
  /** Occurrences this stream reported, by kind and signature. */
  reported: Map<string, number>;
}

interface Track {
  ns: string;
  pod: string;
  container: string;
  source: string;
  restartCount: number;
  /** Instance (restart count) the latest follow was started for; -1 before the first. */
  followedInstance: number;
  follow: Follow | undefined;
  retries: number;
  retryTimer: NodeJS.Timeout | undefined;
  latest: ContainerStatus;
  gone: boolean;
}

const keyOf = (o: Occurrence): string => `${o.kind}\u0000${o.signature}`;
const MAX_REPORTED_KEYS = 10_000;
const MAX_BUFFERED = 1000;

/** PodLogsObserver follows the logs of the selected pods' containers; see the file comment. */
export class PodLogsObserver extends PodObserverBase {
  readonly counters: PodLogsCounters = { follows: 0, previousLogs: 0, bytes: 0, deduplicated: 0 };
  private readonly tracks = new Map<string, Track>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    ctx: ObserverContext,
    private readonly o: PodLogsOptions,
  ) {
    for (const p of o.patterns ?? []) compilePattern(p); // a bad regex fails here, before anything starts
    super(ctx, o, 'pod logs');
  }

  /** start lists the pods and starts following their containers; resolves once the first list is in. */
  override async start(): Promise<void> {
    await super.start();
    const idleMs = this.o.idleFlushMs ?? 1000;
    this.idleTimer = setInterval(() => {
      const now = performance.now();
      for (const t of this.tracks.values()) if (t.follow?.open && now - t.follow.lastDataAt >= idleMs) t.follow.scanner.flushIdle();
    }, Math.max(50, idleMs / 2));
    this.idleTimer.unref();
  }

  /** Ends every followed stream (what an open report holds is reported) before the other streams are aborted. */
  protected override beforeStreamsEnd(): void {
    clearInterval(this.idleTimer);
    for (const t of this.tracks.values()) this.endTrack(t);
  }

  /** resultData gives what was read, keyed by the observer's name. */
  resultData(): Record<string, unknown> {
    return { [this.name]: { ...this.counters, containers: this.tracks.size } };
  }

  protected onPod(ev: PodEvent): void {
    const ns = ev.pod.metadata.namespace ?? '';
    const pod = ev.pod.metadata.name ?? '';
    const prefix = `${ns}/${pod}/`;
    if (ev.type === 'DELETED') {
      for (const [k, t] of this.tracks) {
        if (!k.startsWith(prefix)) continue;
        t.gone = true;
        this.endTrack(t);
        this.tracks.delete(k);
      }
      return;
    }
    for (const cs of ev.pod.status?.containerStatuses ?? []) {
      const key = prefix + cs.name;
      let t = this.tracks.get(key);
      const count = Number(cs.restartCount ?? 0);
      if (!t) {
        t = {
          ns,
          pod,
          container: cs.name,
          source: `pod ${ns}/${pod}/${cs.name}`,
          restartCount: restartBaseline(ev, count),
          followedInstance: -1,
          follow: undefined,
          retries: 0,
          retryTimer: undefined,
          latest: cs,
          gone: false,
        };
        this.tracks.set(key, t);
      }
      t.latest = cs;
      if (count > t.restartCount) {
        t.restartCount = count;
        this.readPrevious(t, count - 1);
      }
      this.maybeFollow(t);
    }
  }

  private maybeFollow(t: Track): void {
    const cs = t.latest;
    const count = Number(cs.restartCount ?? 0);
    if (this.stopped || t.gone || t.follow?.open || t.retryTimer || count <= t.followedInstance) return;
    if (!cs.state?.running && !cs.state?.terminated) return; // waiting: no log yet
    this.startFollow(t, count);
  }

  private newScanner(source: string, sink: (o: Occurrence) => void): LogScanner {
    return createLogScanner({ source, collector: { add: sink }, ...(this.o.patterns ? { patterns: this.o.patterns } : {}) });
  }

  private startFollow(t: Track, instance: number): void {
    t.followedInstance = instance;
    this.counters.follows++;
    const reported = new Map<string, number>();
    const f: Follow = {
      instance,
      stream: undefined,
      hash: createHash('sha256'),
      bytes: 0,
      open: true,
      lastDataAt: performance.now(),
      reported,
      scanner: this.newScanner(t.source, (o) => {
        const k = keyOf(o);
        if (reported.size < MAX_REPORTED_KEYS || reported.has(k)) reported.set(k, (reported.get(k) ?? 0) + (o.count ?? 1));
        this.ctx.findings.add(o);
      }),
    };
    t.follow = f;
    f.stream = this.openLog(
      t.ns,
      t.pod,
      { container: t.container, follow: true },
      (chunk) => {
        f.lastDataAt = performance.now();
        f.hash.update(chunk);
        f.bytes += chunk.length;
        this.counters.bytes += chunk.length;
        f.scanner.write(chunk);
      },
      (end) => this.followEnded(t, f, end),
    );
  }

  private followEnded(t: Track, f: Follow, end: LogStreamEnd): void {
    if (!f.open) return; // dropped for the previous log, or ended by stop
    f.open = false;
    f.scanner.end();
    if (this.stopped || t.gone) return;
    const failedEarly = (end.kind === 'status' || end.kind === 'error') && f.bytes === 0;
    if (failedEarly) {
      const why = end.kind === 'status' ? end.status.message : end.error.message;
      if (t.retries >= (this.o.followRetries ?? 5)) {
        this.ctx.say(`racerig: ${this.name}: cannot follow ${t.source}: ${why}\n`);
        return;
      }
      // The same instance again after a backoff (the container may still be starting).
      t.followedInstance = f.instance - 1;
      const delay = 200 * 2 ** t.retries++;
      t.retryTimer = setTimeout(() => {
        t.retryTimer = undefined;
        this.maybeFollow(t);
      }, delay);
      return;
    }
    if (end.kind === 'error') this.ctx.say(`racerig: ${this.name}: log of ${t.source} broke off: ${end.error.message}\n`);
    t.retries = 0;
    // A newer instance may already be running (its restart seen while this stream was open).
    this.maybeFollow(t);
  }

  /** readPrevious reads the log of instance `instance` (the one that just ended) and scans it. */
  private readPrevious(t: Track, instance: number): void {
    this.counters.previousLogs++;
    const followed = t.follow && t.follow.instance === instance ? t.follow : undefined;
    const prefixBytes = followed?.bytes ?? 0;
    const prefixDigest = followed ? followed.hash.copy().digest('hex') : '';
    const prefixHash = createHash('sha256');
    let seen = 0;
    /** undefined until decided: whether the previous log starts with what the followed stream delivered. */
    let same: boolean | undefined = followed && prefixBytes > 0 ? undefined : false;
    const buffered: Occurrence[] = [];
    const credits = followed?.reported;
    const deliver = (o: Occurrence): void => {
      if (same && credits) {
        const k = keyOf(o);
        const c = credits.get(k) ?? 0;
        if (c > 0) {
          credits.set(k, c - 1);
          this.counters.deduplicated++;
          return;
        }
      }
      this.ctx.findings.add(o);
    };
    const decide = (value: boolean): void => {
      same = value;
      if (same && followed?.open) {
        // The stream belongs to the instance that ended; the previous log has all of it.
        followed.open = false;
        followed.stream?.abort();
        t.follow = undefined;
      }
      for (const o of buffered.splice(0)) deliver(o);
    };
    const scanner = this.newScanner(t.source, (o) => {
      if (same === undefined && buffered.length < MAX_BUFFERED) buffered.push(o);
      else deliver(o);
    });
    this.openLog(
      t.ns,
      t.pod,
      { container: t.container, previous: true },
      (chunk) => {
        this.counters.bytes += chunk.length;
        if (same === undefined) {
          const take = Math.min(chunk.length, prefixBytes - seen);
          prefixHash.update(chunk.subarray(0, take));
          seen += take;
          if (seen === prefixBytes) decide(prefixHash.digest('hex') === prefixDigest);
        }
        scanner.write(chunk);
      },
      (end) => {
        if (same === undefined) decide(false);
        if (end.kind === 'status' || end.kind === 'error') {
          const why = end.kind === 'status' ? end.status.message : end.error.message;
          this.ctx.say(`racerig: ${this.name}: cannot read the previous log of ${t.source}: ${why}\n`);
        }
        scanner.end();
        // A dropped stream lets the current instance be followed.
        this.maybeFollow(t);
      },
    );
  }

  private endTrack(t: Track): void {
    if (t.retryTimer) clearTimeout(t.retryTimer);
    t.retryTimer = undefined;
    const f = t.follow;
    if (f?.open) {
      f.open = false;
      f.stream?.abort();
      f.scanner.end();
    }
  }
}

/** createPodLogsObserver returns an observer following the selected pods' logs; throws ObserveError for a bad pattern. */
export function createPodLogsObserver(ctx: ObserverContext, options: PodLogsOptions): PodLogsObserver {
  return new PodLogsObserver(ctx, options);
}


/**
 * Lifecycle measurements of a profile (`measure:`): one list+watch per measurement on the run's
 * objects, timing each object from its creation (or from a first condition) until the target
 * condition first holds, into one HdrHistogram (µs) per measurement. Runs on the main thread:
 * per event it does a map lookup and a field read.
 */
import type * as hdr from 'hdr-histogram-js';
import { WatchClient } from '../kube/watch-client.js';
import type { DispatchFn } from '../kube/send.js';
import type { ResourcePaths } from '../kube/resource.js';
import type { Measurement } from '../profile/types.js';
import { RUN_LABEL } from '../profile/types.js';
import { newHistogram, summarize } from '../metrics/histogram.js';
import { clampUs } from '../metrics/hdr-layout.js';
import { wallMs } from '../engine/clock.js';
import { conditionHolds } from './condition-holds.js';
import { readSentAt } from './sent-at.js';
import type { LifecycleResult } from '../results/model.js';

interface Tracked {
  fromMs: number | undefined;
  done: boolean;
}

/** LifecycleWatch measures one `measure:` entry. */
export class LifecycleWatch {
  readonly histogram: hdr.Histogram = newHistogram();
  private readonly objects = new Map<string, Tracked>();
  private readonly client: WatchClient;
  /** Objects whose target condition was not reached within the measurement's timeout. */
  timedOut = 0;
  /** `group/resource` of the watched resource (as the integrity check keys it). */
  readonly resourceKey: string;

  constructor(
    private readonly m: Measurement,
    dispatch: DispatchFn,
    paths: ResourcePaths,
    namespace: string,
    runId: string,
  ) {
    this.resourceKey = `${paths.info.group}/${paths.info.resource}`;
    this.client = new WatchClient({
      dispatch,
      paths,
      namespace: paths.info.namespaced ? namespace : '',
      list: { labelSelector: `${RUN_LABEL}=${runId}` },
      allowWatchBookmarks: true,
      onEvent: (ev) => this.onEvent(ev.type, ev.object as Record<string, unknown> & { metadata?: { uid?: string; annotations?: Record<string, string> } }),
    });
  }

  /** start lists and starts watching; resolves once the first list is in. */
  start(): Promise<void> {
    return this.client.start();
  }

  /** stop ends the watch; objects still pending past their timeout count as timed out. */
  async stop(): Promise<void> {
    await this.client.stop();
    const now = wallMs();
    for (const t of this.objects.values()) if (!t.done && t.fromMs !== undefined && now - t.fromMs > this.m.timeoutMs) this.timedOut++;
  }

  private onEvent(type: string, obj: Record<string, unknown> & { metadata?: { uid?: string; annotations?: Record<string, string> } }): void {
    if (type === 'BOOKMARK') return;
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const now = wallMs();
    let t = this.objects.get(uid);
    if (!t) {
      if (type === 'DELETED') return;
      // From creation: the send time the create step stamped, else when the watch first saw the object.
      t = { fromMs: this.m.from === 'created' ? (readSentAt(obj) ?? now) : undefined, done: false };
      this.objects.set(uid, t);
    }
    if (t.done) return;
    if (t.fromMs === undefined && this.m.from !== 'created' && conditionHolds(obj, this.m.from)) t.fromMs = now;
    if (t.fromMs !== undefined && conditionHolds(obj, this.m.to)) {
      t.done = true;
      this.histogram.recordValue(clampUs((now - t.fromMs) * 1000));
    }
    if (type === 'DELETED') this.objects.delete(uid);
  }

  /** ownRequests counts the completed list and watch requests after the first list (relists, re-watches). */
  ownRequests(): number {
    return this.client.counters.relists + this.client.counters.rewatches;
  }

  /** result summarizes the measurement for the result file. */
  result(): LifecycleResult {
    return { name: this.m.name, latencyUs: summarize(this.histogram) };
  }
}

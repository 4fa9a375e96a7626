/**
 * The watch client: list, then watch from the list's resourceVersion, re-watch from the last seen
 * version when a stream ends, and relist when the version expired (HTTP 410 or an in-stream ERROR
 * Status with code 410), like client-go's reflector. Counts events and measures delivery lag.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RigDispatchOptions } from '../http/request-options.js';
import type { ResourcePaths } from './resource.js';
import type { ListOptions } from './query.js';
import { listRequest, watchRequest } from './requests.js';
import { send, type DispatchFn } from './send.js';
import { KubeApiError, isExpired, parseStatus, type KubeStatus } from './status.js';
import { WatchParser, type WatchEvent } from './watch-parser.js';
import { WATCH_EVENT_TYPES } from '../metrics/layout.js';
import { SentAtTracker } from '../profile-run/sent-at.js';

export { SENT_AT_ANNOTATION } from '../profile-run/sent-at.js';

/** WatchCounters are a watch client's running totals. */
export interface WatchCounters {
  events: number;
  added: number;
  modified: number;
  deleted: number;
  bookmarks: number;
  /** ERROR events (410 Expired included). */
  errors: number;
  /** Lists after the first (after an expired resourceVersion or an error). */
  relists: number;
  /** Watch requests sent after the first (stream ended, or relisted). */
  rewatches: number;
}

/** WatchStats receives a watch client's counts as they happen (e.g. into the shared metrics); called on the client's thread, once per event. */
export interface WatchStats {
  /** One event from a watch stream: `typeIndex` in WATCH_EVENT_TYPES (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). */
  event(typeIndex: number): void;
  /** A list after the first (or any list, when the client started from a resourceVersion). */
  relist(): void;
  /** A 410 Expired/Gone: a watch request answered 410, or an in-stream ERROR event with code 410. */
  expired(): void;
  /** A watch request after the first. */
  rewatch(): void;
}

/** TYPE_INDEX maps an event type to its index in WATCH_EVENT_TYPES (the shared metrics' slot order). */
const TYPE_INDEX: Record<string, number> = Object.fromEntries(WATCH_EVENT_TYPES.map((t, i) => [t, i]));
const ERROR_INDEX = WATCH_EVENT_TYPES.indexOf('ERROR');

/** WatchClientOptions configure one list+watch loop. */
export interface WatchClientOptions {
  dispatch: DispatchFn;
  paths: ResourcePaths;
  /** '' for all namespaces. */
  namespace: string;
  /** Selectors (labelSelector, fieldSelector) and the server-side watch timeout. */
  list?: Pick<ListOptions, 'labelSelector' | 'fieldSelector' | 'timeoutSeconds' | 'limit'>;
  /** Ask for BOOKMARK events (default true). */
  allowWatchBookmarks?: boolean;
  /**
   * false: no initial list; the first watch starts from `resourceVersion` (unset or '': the server first
   * sends every existing object as ADDED). Default true: list, then watch from the list's version.
   */
  initialList?: boolean;
  /** With `initialList: false`: the resourceVersion the first watch starts from (e.g. an earlier list's). */
  resourceVersion?: string;
  /** Metrics operations of the list and watch requests (RigDispatchOptions.operation). */
  listOperation?: number;
  watchOperation?: number;
  /** Operation recording each watch stream's duration (RigDispatchOptions.streamOperation). */
  watchStreamOperation?: number;
  /** Counts as they happen (events by type, relists, 410s, re-watches). */
  stats?: WatchStats;
  /** Called for every ADDED/MODIFIED/DELETED/BOOKMARK event and every list item, with the delivery lag in ms when known (never for list items). */
  onEvent?: (event: WatchEvent, lagMs: number | undefined) => void;
  /** Wall-clock ms at which an event was caused; undefined when unknown. Default: the sent-at stamp rule (`SentAtTracker`). */
  eventTimeMs?: (event: WatchEvent) => number | undefined;
  /** Called for failures the loop recovers from (transport errors, unexpected Status). */
  onError?: (err: Error) => void;
  /** Delay before retrying after a transport error, ms (default 200). */
  retryDelayMs?: number;
}

const wallMs = (): number => performance.timeOrigin + performance.now();

type StreamEnd = { kind: 'ended' } | { kind: 'expired'; status: KubeStatus } | { kind: 'status'; status: KubeStatus } | { kind: 'error'; error: Error };

class WatchHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private readonly body: Buffer[] = [];
  private readonly parser: WatchParser;
  private expired: KubeStatus | undefined;
  controller: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly client: WatchClient,
    private readonly done: (end: StreamEnd) => void,
  ) {
    this.parser = new WatchParser((ev) => {
      if (ev.type === 'ERROR') {
        const s = parseStatus(Number((ev.object as { code?: number }).code) || 500, ev.object);
        this.client.counters.errors++;
        this.client.stats?.event(4);
        if (isExpired(s)) {
          this.client.stats?.expired();
          // The API server ends the stream after this event; do not wait on one that does not.
          this.expired = s;
          this.controller?.abort(new Error('watch expired'));
        } else this.client.reportError(new KubeApiError(s, 'watch ERROR event'));
        return;
      }
      this.client.deliver(ev, false);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.client.stopped) controller.abort(new Error('watch stopped'));
  }
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, _h: IncomingHttpHeaders): void {
    this.status = statusCode;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.expired) return;
    if (this.status === 200) this.parser.push(chunk);
    else this.body.push(chunk);
  }
  onResponseEnd(): void {
    if (this.status !== 200) {
      const s = parseStatus(this.status, Buffer.concat(this.body));
      if (isExpired(s)) this.client.stats?.expired();
      this.done(isExpired(s) ? { kind: 'expired', status: s } : { kind: 'status', status: s });
      return;
    }
    this.parser.end();
    this.done(this.expired ? { kind: 'expired', status: this.expired } : { kind: 'ended' });
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.done(this.expired ? { kind: 'expired', status: this.expired } : { kind: 'error', error: err });
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, _s: number, _h: IncomingHttpHeaders, socket: { destroy(): void }): void {
    socket.destroy();
    this.done({ kind: 'error', error: new Error('unexpected upgrade on a watch') });
  }
}

/** WatchClient runs one list+watch loop until `stop`; single-threaded, counters read from the same thread. */
export class WatchClient {
  readonly counters: WatchCounters = { events: 0, added: 0, modified: 0, deleted: 0, bookmarks: 0, errors: 0, relists: 0, rewatches: 0 };
  /** The last resourceVersion seen (list or event). */
  resourceVersion = '';
  stopped = false;
  /** The options' stats sink (internal; read by the stream handler). */
  readonly stats: WatchStats | undefined;
  private handler: WatchHandler | undefined;
  private lists = 0;
  private watches = 0;
  private readonly eventTime: ((ev: WatchEvent) => number | undefined) | undefined;
  /** Default lag rule (with `onEvent` and no `eventTimeMs`), from the client's start: objects stamped earlier existed before it and have no delivery lag. */
  private stamps: SentAtTracker | undefined;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly o: WatchClientOptions) {
    this.stats = o.stats;
    this.eventTime = o.eventTimeMs;
    if (o.initialList === false) {
      this.lists = 1; // any list is then a relist
      this.resourceVersion = o.resourceVersion ?? '';
    }
  }

  /** start lists (unless `initialList: false`) and resolves once that first list is done (its items are delivered as ADDED), then keeps watching in the background. */
  async start(): Promise<void> {
    if (this.o.onEvent && !this.o.eventTimeMs) this.stamps = new SentAtTracker(wallMs());
    if (this.o.initialList !== false) await this.relist();
    this.loopDone = this.loop();
  }

  /** stop ends the open watch request and the loop; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.handler?.controller?.abort(new Error('watch stopped'));
    this.wake?.();
    await this.loopDone;
  }

  /** deliver counts one event (a stream event, or a list item when `fromList`) and hands it on with its delivery lag (internal; called by the stream handler). */
  deliver(ev: WatchEvent, fromList: boolean): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    const c = this.counters;
    c.events++;
    if (!fromList) this.stats?.event(TYPE_INDEX[ev.type] ?? ERROR_INDEX);
    if (ev.type === 'ADDED') c.added++;
    else if (ev.type === 'MODIFIED') c.modified++;
    else if (ev.type === 'DELETED') c.deleted++;
    else if (ev.type === 'BOOKMARK') {
      c.bookmarks++;
      this.o.onEvent?.(ev, undefined);
      return;
    }
    if (!this.o.onEvent) return;
    const at = this.eventTime ? (fromList ? undefined : this.eventTime(ev)) : this.stamps!.causedAt(ev.type, ev.object, fromList);
    this.o.onEvent(ev, at === undefined ? undefined : wallMs() - at);
  }

  /** reportError passes a recovered failure to `onError` (internal). */
  reportError(err: Error): void {
    this.o.onError?.(err);
  }

  private async relist(): Promise<void> {
    if (this.lists++ > 0) {
      this.counters.relists++;
      this.stats?.relist();
    }
    const req = listRequest(this.o.paths, this.o.namespace, { labelSelector: this.o.list?.labelSelector, fieldSelector: this.o.list?.fieldSelector });
    const opts: RigDispatchOptions = this.o.listOperation === undefined ? req : { ...req, operation: this.o.listOperation };
    const r = await send(this.o.dispatch, opts);
    if (r.status !== 200) throw new KubeApiError(parseStatus(r.status, r.body), `list ${opts.path}`);
    const list = JSON.parse(r.body.toString('utf8')) as { metadata?: { resourceVersion?: string }; items?: WatchEvent['object'][]; kind?: string; apiVersion?: string };
    for (const item of list.items ?? []) this.deliver({ type: 'ADDED', object: item }, true);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private watchOnce(): Promise<StreamEnd> {
    return new Promise((resolve) => {
      if (this.watches++ > 0) {
        this.counters.rewatches++;
        this.stats?.rewatch();
      }
      const req = watchRequest(this.o.paths, this.o.namespace, {
        labelSelector: this.o.list?.labelSelector,
        fieldSelector: this.o.list?.fieldSelector,
        resourceVersion: this.resourceVersion || undefined,
        allowWatchBookmarks: this.o.allowWatchBookmarks ?? true,
        timeoutSeconds: this.o.list?.timeoutSeconds,
      });
      const opts: RigDispatchOptions = this.o.watchOperation === undefined ? { ...req } : { ...req, operation: this.o.watchOperation };
      if (this.o.watchStreamOperation !== undefined) opts.streamOperation = this.o.watchStreamOperation;
      this.handler = new WatchHandler(this, resolve);
      try {
        this.o.dispatch(opts, this.handler);
      } catch (err) {
        resolve({ kind: 'error', error: err as Error });
      }
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const end = await this.watchOnce();
      this.handler = undefined;
      if (this.stopped) break;
      try {
        if (end.kind === 'expired') await this.relist();
        else if (end.kind === 'status') {
          this.reportError(new KubeApiError(end.status, 'watch'));
          await this.pause(this.o.retryDelayMs ?? 200);
          if (!this.stopped) await this.relist();
        } else if (end.kind === 'error') {
          this.reportError(end.error);
          await this.pause(this.o.retryDelayMs ?? 200);
        }
      } catch (err) {
        this.reportError(err as Error);
        await this.pause(this.o.retryDelayMs ?? 200);
      }
    }
  }
}

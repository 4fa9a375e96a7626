/**
 * Watch streams: chunked JSON event lines with resourceVersion semantics (current state as ADDED, or
 * replay from history), selector transitions, bookmarks, timeoutSeconds, slow delivery, and the
 * in-stream 410 Expired when the requested version is older than the retained history.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockApi } from './api.js';
import type { ResourceInfo } from './resources.js';
import type { StoreEvent, StoredObject } from './store.js';
import { fieldMatcher, labelMatcher, type Matcher } from './selectors.js';
import { badRequest, expired } from './status.js';
import { isTrue, type Query } from './request-info.js';

/** WatchOptions are the server-wide settings a watch stream reads. */
export interface WatchOptions {
  /** Interval between BOOKMARK events when the client allows them, in ms. */
  bookmarkIntervalMs: number;
  /** Delivery delay applied to every event, in ms (a fault; read per event so it can change at run time). */
  delayMs: () => number;
  /** Called with the number of events written, for apiserver_watch_events_total. */
  onEvents: (info: ResourceInfo, count: number) => void;
  /** Renders one object in the form the client asked for (a Table for kubectl's `get -w`, PartialObjectMetadata); the full object when unset. */
  represent?: (info: ResourceInfo, s: StoredObject) => string;
}

/** MAX_BUFFERED_BYTES is how much unsent data a slow watcher may accumulate before its stream is ended (like kube-apiserver dropping slow watchers). */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** WatchHub tracks open watch streams so that an admin call can end them all, and batches their writes: at most one flush per `batchMs` (immediately when idle). */
export class WatchHub {
  private readonly open = new Set<() => void>();
  private dirty = new Set<() => void>();
  private scheduled = false;
  private lastFlush = 0;

  /** `batchMs` bounds the added delivery delay under load, in ms; 0 flushes every event-loop turn. */
  constructor(private readonly batchMs = 5) {}

  /** schedule queues a stream's flush; when streams were flushed less than `batchMs` ago, the flush waits for the rest of that window. */
  schedule(flush: () => void): void {
    this.dirty.add(flush);
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastFlush + this.batchMs - performance.now();
    if (wait > 0) setTimeout(this.flushAll, wait);
    else setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    this.lastFlush = performance.now();
    const batch = this.dirty;
    this.dirty = new Set();
    for (const f of batch) f();
  };

  /** size is the number of open watch streams. */
  get size(): number {
    return this.open.size;
  }

  /** add registers a stream's closer and returns its removal function. */
  add(close: () => void): () => void {
    this.open.add(close);
    return () => this.open.delete(close);
  }

  /** closeAll ends every open watch stream cleanly. */
  closeAll(): void {
    for (const c of [...this.open]) c();
  }
}

function eventLine(type: string, json: string): string {
  return `{"type":"${type}","object":${json}}\n`;
}

/** frameOf encodes text as one HTTP/1.1 chunk. */
function frameOf(text: string): Buffer {
  const body = Buffer.from(text);
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]);
}

const CRLF = Buffer.from('\r\n');

/** serveWatch answers a watch request; throws StatusError (before any header is sent) on bad parameters. */
export function serveWatch(
  api: MockApi,
  hub: WatchHub,
  info: ResourceInfo,
  namespace: string,
  query: Query,
  req: IncomingMessage,
  res: ServerResponse,
  options: WatchOptions,
  onEnd: () => void,
): void {
  const lm = labelMatcher(query.get('labelSelector'));
  const fm = fieldMatcher(query.get('fieldSelector'), info.id);
  const hasSelector = !!(query.get('labelSelector') || query.get('fieldSelector'));
  const match: Matcher = hasSelector ? (o) => lm(o) && fm(o) : () => true;
  const ns = info.namespaced ? namespace : '';
  const rvParam = query.get('resourceVersion');
  const sendInitial = isTrue(query.get('sendInitialEvents'));
  const bookmarks = isTrue(query.get('allowWatchBookmarks'));
  const timeoutParam = query.get('timeoutSeconds');
  const timeoutS = timeoutParam === null ? 1800 : Number(timeoutParam);
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw badRequest(`invalid timeoutSeconds: ${timeoutParam}`);
  let fromRv: number | undefined;
  if (rvParam && rvParam !== '0' && !sendInitial) {
    fromRv = Number(rvParam);
    if (!Number.isInteger(fromRv) || fromRv < 0) throw badRequest(`invalid resource version: ${rvParam}`);
  }
  const represent = options.represent;
  const render = (type: string, ev: StoreEvent | undefined, s: StoredObject): Buffer => {
    if (represent) return frameOf(eventLine(type, represent(info, s)));
    if (ev && ev.type === type) return (ev.frame ??= frameOf(eventLine(type, s.json)));
    if (type === 'ADDED') return (s.addedFrame ??= frameOf(eventLine(type, s.json)));
    return frameOf(eventLine(type, s.json));
  };

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  // Frames go straight to the socket (already chunk-encoded; res.end() writes the last chunk), so an
  // event shared by many watchers is encoded once and costs each watcher one socket write.
  let ended = false;
  let pending: Buffer[] = [];
  const flush = () => {
    if (ended || pending.length === 0) return;
    const sock = res.socket;
    if (!sock || sock.destroyed) {
      pending = [];
      end();
      return;
    }
    const frames = pending;
    pending = [];
    if (frames.length === 1) sock.write(frames[0]!);
    else {
      sock.cork();
      for (const f of frames) sock.write(f);
      sock.uncork();
    }
    options.onEvents(info, frames.length);
    if (sock.writableLength > MAX_BUFFERED_BYTES) end();
  };
  const emitNow = (frame: Buffer) => {
    if (ended) return;
    pending.push(frame);
    hub.schedule(flush);
  };
  const emit = (frame: Buffer) => {
    const d = options.delayMs();
    if (d > 0) setTimeout(() => emitNow(frame), d);
    else emitNow(frame);
  };
  const bookmarkLine = (initialEnd: boolean) => {
    const meta = initialEnd
      ? { resourceVersion: String(api.store.rv), annotations: { 'k8s.io/initial-events-end': 'true' } }
      : { resourceVersion: String(api.store.rv) };
    return frameOf(eventLine('BOOKMARK', JSON.stringify({ kind: info.kind, apiVersion: info.apiVersion, metadata: meta })));
  };

  let unsubscribe = () => {};
  let unregister = () => {};
  let timeoutTimer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  const end = () => {
    if (ended) return;
    flush();
    ended = true;
    pending = [];
    unsubscribe();
    unregister();
    clearTimeout(timeoutTimer);
    clearTimeout(bookmarkTimer);
    res.end();
    onEnd();
  };
  req.on('close', end);
  res.on('close', end);
  unregister = hub.add(() => {
    const d = options.delayMs();
    if (d > 0) setTimeout(end, d + 1);
    else end();
  });

  if (fromRv !== undefined) {
    const replay = api.store.eventsSince(info.id, fromRv);
    if (!replay) {
      const err = expired(`too old resource version: ${fromRv} (${api.store.compactedRv})`);
      emit(frameOf(eventLine('ERROR', JSON.stringify(err.toStatus()))));
      const d = options.delayMs();
      if (d > 0) setTimeout(end, d + 1);
      else setImmediate(end);
      return;
    }
    for (const ev of replay) deliver(ev);
  } else {
    const items = api.list(info, ns, { labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector') }).items;
    for (const s of items) emit(render('ADDED', undefined, s));
    if (sendInitial && bookmarks) emit(bookmarkLine(true));
  }
  unsubscribe = api.store.subscribe(info.id, deliver);
  if (timeoutS > 0) {
    timeoutTimer = setTimeout(end, timeoutS * 1000);
    timeoutTimer.unref?.();
  }
  if (bookmarks && options.bookmarkIntervalMs > 0) {
    const tick = () => {
      if (ended) return;
      emit(bookmarkLine(false));
      bookmarkTimer = setTimeout(tick, options.bookmarkIntervalMs);
      bookmarkTimer.unref?.();
    };
    bookmarkTimer = setTimeout(tick, options.bookmarkIntervalMs);
    bookmarkTimer.unref?.();
  }

  function deliver(ev: StoreEvent): void {
    if (ended) return;
    const s = ev.stored;
    if (ns && s.obj.metadata.namespace !== ns) return;
    if (!hasSelector) {
      emit(render(ev.type, ev, s));
      return;
    }
    const now = match(s.obj);
    if (ev.type === 'MODIFIED') {
      const before = ev.prev ? match(ev.prev.obj) : false;
      if (now && before) emit(render('MODIFIED', ev, s));
      else if (now) emit(render('ADDED', undefined, s));
      else if (before) emit(render('DELETED', undefined, s));
      return;
    }
    if (now) emit(render(ev.type, ev, s));
  }
}

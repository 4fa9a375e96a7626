/**
 * Watch streams: chunked JSON event lines with resourceVersion semantics (current state as ADDED, or
 * replay from history), selector transitions, bookmarks, timeoutSeconds, slow delivery, and the
 * in-stream 410 Expired when the requested version is older than the retained history.
 *
 * Fan-out is shared: watch streams that see the same events in the same form (same type, namespace,
 * selectors and representation) form one audience. The audience subscribes to the store once,
 * matches each event once, and queues its frame; once per flush window the audience joins the frames
 * it queued into one buffer (already HTTP-chunk encoded) and writes that same buffer to each member's
 * socket, so a member costs one socket write per window whatever the event rate.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { MockApi } from './api.js';
import type { ResourceInfo } from './resources.js';
import type { Store, StoreEvent, StoredObject } from './store.js';
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
  /** Names the representation (`represent`), so streams asking for the same one share an audience; '' for the full object. */
  representation?: string;
}

/** MAX_BUFFERED_BYTES is how much unsent data a slow watcher may accumulate before its stream is ended (like kube-apiserver dropping slow watchers). */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

const CRLF = Buffer.from('\r\n');

function eventLine(type: string, json: string): Buffer {
  return Buffer.from(`{"type":"${type}","object":${json}}\n`);
}

/** chunkOf encodes event lines as one HTTP/1.1 chunk (one body callback for the client, whatever the number of lines). */
function chunkOf(lines: Buffer[], from = 0): Buffer {
  let size = 0;
  for (let i = from; i < lines.length; i++) size += lines[i]!.length;
  const head = Buffer.from(`${size.toString(16)}\r\n`);
  const out = Buffer.allocUnsafe(head.length + size + 2);
  let at = head.copy(out, 0);
  for (let i = from; i < lines.length; i++) at += lines[i]!.copy(out, at);
  CRLF.copy(out, at);
  return out;
}

/** WatchStream is one open watch response; its frames are written by the hub's flush. */
class WatchStream {
  /** Frames of this stream alone (initial state, ERROR), written before the audience's. */
  own: Buffer[] = [];
  /** A BOOKMARK is due: written after the audience's frames, with the store's resourceVersion at that time. */
  bookmarkDue = false;
  /** The store's resourceVersion when the stream joined its audience: its initial state covers every event up to it, so queued events up to it are skipped. */
  joinRv = 0;
  audience: Audience | undefined;
  ended = false;

  constructor(
    readonly res: ServerResponse,
    readonly info: ResourceInfo,
    readonly store: Store,
    readonly onEvents: (info: ResourceInfo, count: number) => void,
    readonly end: () => void,
  ) {}

  bookmarkLine(): Buffer {
    return eventLine('BOOKMARK', JSON.stringify({ kind: this.info.kind, apiVersion: this.info.apiVersion, metadata: { resourceVersion: String(this.store.rv) } }));
  }

  /** write sends, as one HTTP chunk, this stream's own lines, then the audience's `lines` (resourceVersions `rvs`; `shared`: all of them, already a chunk) newer than it joined, then a due bookmark. */
  write(shared: Buffer | undefined, lines: Buffer[] | undefined, rvs?: number[]): void {
    if (this.ended) return;
    const sock = this.res.socket as Socket | null;
    if (!sock || sock.destroyed) {
      this.own = [];
      this.end();
      return;
    }
    let chunk: Buffer;
    let count: number;
    let from = 0;
    if (rvs && rvs[0]! <= this.joinRv) while (from < rvs.length && rvs[from]! <= this.joinRv) from++;
    if (shared && this.own.length === 0 && !this.bookmarkDue && from === 0) {
      chunk = shared;
      count = lines!.length;
    } else {
      const out = this.own;
      this.own = [];
      if (lines) for (let i = from; i < lines.length; i++) out.push(lines[i]!);
      if (this.bookmarkDue) {
        this.bookmarkDue = false;
        out.push(this.bookmarkLine());
      }
      if (out.length === 0) return;
      chunk = chunkOf(out);
      count = out.length;
    }
    sock.write(chunk);
    this.onEvents(this.info, count);
    if (sock.writableLength > MAX_BUFFERED_BYTES) this.end();
  }
}

/** Audience is the set of watch streams that receive the same frames for the same store events. */
class Audience {
  readonly members = new Set<WatchStream>();
  /** Event lines queued since the last flush, and their resourceVersions. */
  batch: Buffer[] = [];
  batchRv: number[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly hub: WatchHub,
    readonly key: string,
    private readonly info: ResourceInfo,
    private readonly ns: string,
    private readonly match: Matcher | undefined,
    private readonly represent: ((info: ResourceInfo, s: StoredObject) => string) | undefined,
    private readonly delayMs: () => number,
    private readonly store: Store,
    private readonly view: (s: StoredObject) => StoredObject,
  ) {
    this.unsubscribe = this.store.subscribe(info.id, (ev) => this.onEvent(ev));
  }

  /** render returns the frame of `s` as a `type` event in this audience's representation, cached on the event or object when shared. */
  render(type: string, ev: StoreEvent | undefined, s: StoredObject): Buffer {
    if (this.info.view) s = this.view(s);
    if (this.represent) return eventLine(type, this.represent(this.info, s));
    if (this.info.view) return type === 'ADDED' ? (s.addedLine ??= eventLine(type, s.json)) : eventLine(type, s.json);
    if (ev && ev.type === type) return (ev.line ??= eventLine(type, s.json));
    if (type === 'ADDED') return (s.addedLine ??= eventLine(type, s.json));
    return eventLine(type, s.json);
  }

  /** frameFor turns a store event into this audience's frame (selector transitions become ADDED/DELETED), or undefined when it does not see it. */
  frameFor(ev: StoreEvent): Buffer | undefined {
    const s = ev.stored;
    if (this.ns && s.obj.metadata.namespace !== this.ns) return undefined;
    const match = this.match;
    if (!match) return this.render(ev.type, ev, s);
    const now = match(s.obj);
    if (ev.type === 'MODIFIED') {
      const before = ev.prev ? match(ev.prev.obj) : false;
      if (now && before) return this.render('MODIFIED', ev, s);
      if (now) return this.render('ADDED', undefined, s);
      if (before) return this.render('DELETED', undefined, s);
      return undefined;
    }
    return now ? this.render(ev.type, ev, s) : undefined;
  }

  private onEvent(ev: StoreEvent): void {
    if (this.members.size === 0) return;
    const frame = this.frameFor(ev);
    if (!frame) return;
    const d = this.delayMs();
    const rv = ev.stored.rv;
    if (d > 0) setTimeout(() => this.queue(frame, rv), d);
    else this.queue(frame, rv);
  }

  private queue(frame: Buffer, rv: number): void {
    if (this.members.size === 0) return;
    this.batch.push(frame);
    this.batchRv.push(rv);
    this.hub.markAudience(this);
  }

  join(w: WatchStream): void {
    w.audience = this;
    w.joinRv = this.store.rv;
    this.members.add(w);
  }

  leave(w: WatchStream): void {
    this.members.delete(w);
    if (this.members.size === 0) {
      this.unsubscribe();
      this.hub.dropAudience(this);
    }
  }

  /** flush writes the frames queued since the last flush to every member, as one shared buffer. */
  flush(): void {
    const frames = this.batch;
    const rvs = this.batchRv;
    if (frames.length === 0) return;
    this.batch = [];
    this.batchRv = [];
    const shared = chunkOf(frames);
    for (const m of this.members) m.write(shared, frames, rvs);
  }
}

/** WatchHub owns the audiences and open streams: an admin call can end them all, and writes are batched, at most one flush per `batchMs` (immediately when idle). */
export class WatchHub {
  private readonly open = new Set<() => void>();
  private readonly audiences = new Map<string, Audience>();
  private dirtyAudiences = new Set<Audience>();
  private dirtyStreams = new Set<WatchStream>();
  private scheduled = false;
  private lastFlush = -Infinity;
  private lastFlushEnd = -Infinity;
  private lastFlushMs = 0;

  /**
   * `batchMs` is the shortest flush window, in ms (0: flush every event-loop turn when idle). Under
   * load the window also stretches to the duration of the last flush, so that writing to sockets
   * (a fixed cost per socket, whatever the number of events) takes at most about half the thread and
   * requests are served in between.
   */
  constructor(private readonly batchMs = 5) {}

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(this.lastFlush + this.batchMs, this.lastFlushEnd + this.lastFlushMs) - performance.now();
    if (wait > 0) setTimeout(this.flushAll, wait);
    else setImmediate(this.flushAll);
  }

  /** markAudience queues an audience's flush (internal). */
  markAudience(a: Audience): void {
    this.dirtyAudiences.add(a);
    this.schedule();
  }

  /** markStream queues the flush of a stream's own frames or bookmark (internal). */
  markStream(w: WatchStream): void {
    this.dirtyStreams.add(w);
    this.schedule();
  }

  /** audience returns the audience for this key, creating it (and its store subscription) when new (internal). */
  audience(key: string, make: () => Audience): Audience {
    let a = this.audiences.get(key);
    if (!a) this.audiences.set(key, (a = make()));
    return a;
  }

  /** dropAudience forgets an audience that has no member left (internal). */
  dropAudience(a: Audience): void {
    if (this.audiences.get(a.key) === a) this.audiences.delete(a.key);
    this.dirtyAudiences.delete(a);
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    this.lastFlush = performance.now();
    const audiences = this.dirtyAudiences;
    const streams = this.dirtyStreams;
    this.dirtyAudiences = new Set();
    this.dirtyStreams = new Set();
    for (const a of audiences) a.flush();
    for (const w of streams) if (w.own.length || w.bookmarkDue) w.write(undefined, undefined);
    this.lastFlushEnd = performance.now();
    this.lastFlushMs = this.lastFlushEnd - this.lastFlush;
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
  const labelSelector = query.get('labelSelector') ?? '';
  const fieldSelector = query.get('fieldSelector') ?? '';
  const lm = labelMatcher(labelSelector);
  const fm = fieldMatcher(fieldSelector, info.apiId, info.view?.fieldPath);
  const match: Matcher | undefined = labelSelector || fieldSelector ? (o) => lm(o) && fm(o) : undefined;
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

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  let unregister = () => {};
  let timeoutTimer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  const end = (): void => {
    if (stream.ended) return;
    // Whatever is queued for this stream alone still goes out (an ERROR event before the end).
    if (stream.own.length) stream.write(undefined, undefined);
    stream.ended = true;
    stream.own = [];
    stream.audience?.leave(stream);
    unregister();
    clearTimeout(timeoutTimer);
    clearTimeout(bookmarkTimer);
    res.end();
    onEnd();
  };
  const stream = new WatchStream(res, info, api.store, options.onEvents, end);
  const queueOwn = (frame: Buffer): void => {
    const push = () => {
      if (stream.ended) return;
      stream.own.push(frame);
      hub.markStream(stream);
    };
    const d = options.delayMs();
    if (d > 0) setTimeout(push, d);
    else push();
  };

  req.on('close', end);
  res.on('close', end);
  unregister = hub.add(() => {
    const d = options.delayMs();
    if (d > 0) setTimeout(end, d + 1);
    else end();
  });

  const replay = fromRv === undefined ? undefined : api.store.eventsSince(info.id, fromRv);
  if (fromRv !== undefined && !replay) {
    const err = expired(`too old resource version: ${fromRv} (${api.store.compactedRv})`);
    queueOwn(eventLine('ERROR', JSON.stringify(err.toStatus())));
    const d = options.delayMs();
    if (d > 0) setTimeout(end, d + 1);
    else setImmediate(end);
    return;
  }
  const key = `${info.apiVersion}/${info.resource}|${ns}|${labelSelector}|${fieldSelector}|${options.representation ?? ''}`;
  const audience = hub.audience(key, () => new Audience(hub, key, info, ns, match, options.represent, options.delayMs, api.store, (s) => api.view(info, s)));
  if (replay) {
    for (const ev of replay) {
      const f = audience.frameFor(ev);
      if (f) queueOwn(f);
    }
  } else {
    const items = api.list(info, ns, { labelSelector, fieldSelector }).items;
    for (const s of items) queueOwn(audience.render('ADDED', undefined, s));
    if (sendInitial && bookmarks) {
      queueOwn(eventLine('BOOKMARK', JSON.stringify({ kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(api.store.rv), annotations: { 'k8s.io/initial-events-end': 'true' } } })));
    }
  }
  audience.join(stream);
  if (timeoutS > 0) {
    timeoutTimer = setTimeout(end, timeoutS * 1000);
    timeoutTimer.unref?.();
  }
  if (bookmarks && options.bookmarkIntervalMs > 0) {
    const tick = () => {
      if (stream.ended) return;
      const d = options.delayMs();
      const due = () => {
        if (stream.ended) return;
        stream.bookmarkDue = true;
        hub.markStream(stream);
      };
      if (d > 0) setTimeout(due, d);
      else due();
      bookmarkTimer = setTimeout(tick, options.bookmarkIntervalMs);
      bookmarkTimer.unref?.();
    };
    bookmarkTimer = setTimeout(tick, options.bookmarkIntervalMs);
    bookmarkTimer.unref?.();
  }
}

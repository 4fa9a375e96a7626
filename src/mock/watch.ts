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
  /** Returns, once per stream, the function a stream calls with the number of events it wrote (apiserver_watch_events_total). */
  eventCounter: (info: ResourceInfo) => (count: number) => void;
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

/** WatchStream is one open watch response; its frames are written when the hub's sweep reaches it. */
class WatchStream {
  /** Frames of this stream alone (initial state, ERROR), written before the audience's. */
  own: Buffer[] = [];
  /** A BOOKMARK is due: written after the audience's frames, with the store's resourceVersion at that time. */
  bookmarkDue = false;
  /** The store's resourceVersion when the stream joined its audience: its initial state covers every event up to it, so logged events up to it are skipped. */
  joinRv = 0;
  audience: Audience | undefined;
  /** Position in the audience's log (absolute) up to which this stream has been written. */
  cursor = 0;
  ended = false;

  constructor(
    readonly res: ServerResponse,
    readonly info: ResourceInfo,
    readonly store: Store,
    readonly countEvents: (count: number) => void,
    readonly end: () => void,
  ) {}

  /** pending tells whether anything waits to be written to this stream. */
  pending(): boolean {
    return this.own.length > 0 || this.bookmarkDue || (this.audience !== undefined && this.cursor < this.audience.end);
  }

  bookmarkLine(): Buffer {
    return eventLine('BOOKMARK', JSON.stringify({ kind: this.info.kind, apiVersion: this.info.apiVersion, metadata: { resourceVersion: String(this.store.rv) } }));
  }

  /** write sends, as one HTTP chunk, this stream's own lines, then the audience's logged lines newer than it joined and than it was last written, then a due bookmark. */
  write(): void {
    if (this.ended) return;
    const sock = this.res.socket as Socket | null;
    if (!sock || sock.destroyed) {
      this.own = [];
      this.end();
      return;
    }
    // The audience's lines this stream has not had: from its cursor (past those its initial state covers) to the end.
    const a = this.audience;
    const from = a ? a.skipTo(this.cursor, this.joinRv) : 0;
    const to = a ? a.end : 0;
    this.cursor = to;
    let chunk: Buffer | undefined;
    let count = 0;
    if (a && this.own.length === 0 && !this.bookmarkDue) {
      // The common case: only the audience's lines, as a chunk shared with the streams at the same position.
      if (from < to) {
        chunk = a.chunkFrom(from);
        count = to - from;
      }
    } else {
      const out = this.own;
      this.own = [];
      for (let i = from; i < to; i++) out.push(a!.line(i));
      if (this.bookmarkDue) {
        this.bookmarkDue = false;
        out.push(this.bookmarkLine());
      }
      if (out.length) {
        chunk = chunkOf(out);
        count = out.length;
      }
    }
    if (!chunk) return;
    sock.write(chunk);
    this.countEvents(count);
    if (sock.writableLength > MAX_BUFFERED_BYTES) this.end();
  }
}

/**
 * Audience is the set of watch streams that receive the same frames for the same store events. Its
 * frames go into a log (absolute positions from `base`); each member has a cursor into it, and the
 * log is trimmed below the lowest cursor after each sweep.
 */
class Audience {
  readonly members = new Set<WatchStream>();
  private log: Buffer[] = [];
  private logRv: number[] = [];
  /** Absolute position of log[0]. */
  private base = 0;
  /** The last shared chunk built, and the log range it covers. */
  private cachedChunk: Buffer | undefined;
  private cachedFrom = -1;
  private cachedTo = -1;
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

  /** end is the absolute position after the last logged frame. */
  get end(): number {
    return this.base + this.log.length;
  }

  /** line returns the logged frame at absolute position `i`. */
  line(i: number): Buffer {
    return this.log[i - this.base]!;
  }

  /** skipTo returns the first position at or after `cursor` whose event is newer than `joinRv`. */
  skipTo(cursor: number, joinRv: number): number {
    let i = Math.max(cursor, this.base);
    while (i < this.end && this.logRv[i - this.base]! <= joinRv) i++;
    return i;
  }

  /** chunkFrom returns the frames from absolute position `from` to the end as one HTTP chunk, shared by every stream written at the same position. */
  chunkFrom(from: number): Buffer {
    const to = this.end;
    if (this.cachedChunk && this.cachedFrom === from && this.cachedTo === to) return this.cachedChunk;
    this.cachedChunk = chunkOf(this.log, from - this.base);
    this.cachedFrom = from;
    this.cachedTo = to;
    return this.cachedChunk;
  }

  /** trim drops the logged frames every member has been written (after a sweep). */
  trim(): void {
    let low = this.end;
    for (const m of this.members) if (m.cursor < low) low = m.cursor;
    const drop = low - this.base;
    if (drop <= 0) return;
    if (drop === this.log.length) {
      this.log = [];
      this.logRv = [];
    } else {
      this.log = this.log.slice(drop);
      this.logRv = this.logRv.slice(drop);
    }
    this.base = low;
    this.cachedChunk = undefined;
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
    if (d > 0) setTimeout(() => this.append(frame, rv), d);
    else this.append(frame, rv);
  }

  private append(frame: Buffer, rv: number): void {
    if (this.members.size === 0) return;
    this.log.push(frame);
    this.logRv.push(rv);
    this.hub.markDirty();
  }

  join(w: WatchStream): void {
    w.audience = this;
    w.joinRv = this.store.rv;
    w.cursor = this.end;
    this.members.add(w);
  }

  leave(w: WatchStream): void {
    this.members.delete(w);
    if (this.members.size === 0) {
      this.unsubscribe();
      this.hub.dropAudience(this);
    }
  }
}

/** SLICE_MS is the longest the hub writes to sockets before it lets the event loop serve requests. */
const SLICE_MS = 2;

/**
 * WatchHub owns the audiences and open streams, and writes their frames. Writes are done in sweeps:
 * one pass over every open stream, in the order they opened, writing each the frames pending for it
 * as one chunk (a socket write costs about the same whatever it carries, so a stream gets at most one
 * write per sweep). A sweep starts at most once per `batchMs` (at once when the last one is older),
 * and runs in slices of SLICE_MS with a pause as long as each slice, so writing takes at most about
 * half the thread and requests are served in between. With many streams a sweep outlasts `batchMs`;
 * because each stream is written when the sweep reaches it, an event waits at most about one sweep
 * for any stream (writing every stream in one burst, then waiting, made it wait a burst and a gap).
 */
export class WatchHub {
  private readonly open = new Set<() => void>();
  private readonly audiences = new Map<string, Audience>();
  /** Every stream that may get writes, in the order they opened; ended ones are dropped after each sweep. */
  private streams: WatchStream[] = [];
  private scheduled = false;
  private sweeping = false;
  /** Something was queued since the running sweep started (a new sweep is needed when it ends). */
  private dirty = false;
  private ptr = 0;
  private sweepStart = -Infinity;
  /** End and duration of the last slice: the next one starts no sooner than a pause as long. */
  private sliceEnd = -Infinity;
  private sliceMs = 0;

  /** `batchMs` is the shortest interval between two sweeps, in ms (0: one sweep per event-loop turn when idle). */
  constructor(private readonly batchMs = 5) {}

  /** markDirty queues a sweep (internal). */
  markDirty(): void {
    this.dirty = true;
    if (this.scheduled || this.sweeping) return;
    this.scheduled = true;
    const wait = Math.max(this.sweepStart + this.batchMs, this.sliceEnd + this.sliceMs) - performance.now();
    if (wait > 0) setTimeout(this.sweep, wait);
    else setImmediate(this.sweep);
  }

  /** track adds a stream to the sweeps (internal). */
  track(w: WatchStream): void {
    // Ended streams leave the list after a sweep; compact here too, for when no events come.
    if (!this.sweeping && this.streams.length >= 64 && this.streams.length > 2 * this.open.size) this.streams = this.streams.filter((s) => !s.ended);
    this.streams.push(w);
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
  }

  private readonly sweep = (): void => {
    this.scheduled = false;
    const t0 = performance.now();
    if (!this.sweeping) {
      this.sweeping = true;
      this.dirty = false;
      this.sweepStart = t0;
      this.ptr = 0;
    }
    const streams = this.streams;
    let visited = 0;
    while (this.ptr < streams.length) {
      const w = streams[this.ptr++]!;
      if (!w.ended && w.pending()) w.write();
      if (++visited % 32 === 0 && performance.now() - t0 >= SLICE_MS) break;
    }
    this.sliceEnd = performance.now();
    this.sliceMs = this.sliceEnd - t0;
    if (this.ptr < streams.length) {
      // A slice is over: pause as long as it took (timers have a 1 ms resolution).
      this.scheduled = true;
      if (this.sliceMs >= 1) setTimeout(this.sweep, this.sliceMs);
      else setImmediate(this.sweep);
      return;
    }
    this.sweeping = false;
    let live = 0;
    for (const w of streams) if (!w.ended) streams[live++] = w;
    streams.length = live;
    for (const a of this.audiences.values()) a.trim();
    if (this.dirty) this.markDirty();
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
  let ending = false;
  const end = (): void => {
    // Once: the last write below ends the stream again when it finds the socket gone.
    if (ending) return;
    ending = true;
    // Whatever is queued for this stream alone still goes out (an ERROR event before the end).
    if (stream.own.length) stream.write();
    stream.ended = true;
    stream.own = [];
    stream.audience?.leave(stream);
    unregister();
    clearTimeout(timeoutTimer);
    clearTimeout(bookmarkTimer);
    res.end();
    onEnd();
  };
  const stream = new WatchStream(res, info, api.store, options.eventCounter(info), end);
  hub.track(stream);
  const queueOwn = (frame: Buffer): void => {
    const push = () => {
      if (stream.ended) return;
      stream.own.push(frame);
      hub.markDirty();
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
        hub.markDirty();
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

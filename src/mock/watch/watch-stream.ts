/**
 * One open watch response: the frames meant for it alone (initial state, replay, ERROR), its place
 * in its audience's log, BOOKMARK events, timeoutSeconds, and its end.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ResourceInfo } from '../resources.js';
import type { Store } from '../store.js';
import type { Audience, AudienceMember } from './audience.js';
import { bookmarkLine, chunkOf } from './frames.js';
import { afterFaultDelay } from './fault-delay.js';

/** MAX_BUFFERED_BYTES is how much unsent data a slow watcher may accumulate before its stream is ended (like kube-apiserver dropping slow watchers). */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** WatchStreamDeps are a stream's collaborators. */
export interface WatchStreamDeps {
  res: ServerResponse;
  info: ResourceInfo;
  store: Store;
  /** Called with the number of events each write carried (apiserver_watch_events_total). */
  countEvents: (count: number) => void;
  /** The delivery delay fault, in ms. */
  delayMs: () => number;
  /** Called when something was queued for this stream (a write sweep is due). */
  onQueued: () => void;
  /** Called once, when the stream has ended. */
  onEnd: () => void;
}

/** WatchStream is one open watch response; its frames are written when the hub's sweep reaches it (`write`). */
export class WatchStream implements AudienceMember {
  /** Frames of this stream alone (initial state, ERROR), written before the audience's. */
  private own: Buffer[] = [];
  /** A BOOKMARK is due: written after the audience's frames, with the store's resourceVersion at that time. */
  private bookmarkDue = false;
  /** The store's resourceVersion when the stream joined its audience: its initial state covers every event up to it, so logged events up to it are skipped. */
  private joinRv = 0;
  private audience: Audience | undefined;
  /** Position in the audience's log (absolute) up to which this stream has been written. */
  private cursor = 0;
  private ending = false;
  private done = false;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: WatchStreamDeps) {}

  /** ended tells whether the stream has ended (nothing more is written). */
  get ended(): boolean {
    return this.done;
  }

  /** position is how far into its audience's log this stream has been written. */
  get position(): number {
    return this.cursor;
  }

  /** pending tells whether anything waits to be written to this stream. */
  pending(): boolean {
    return this.own.length > 0 || this.bookmarkDue || (this.audience !== undefined && this.cursor < this.audience.end);
  }

  /** queue adds a frame for this stream alone, after the delivery delay. */
  queue(frame: Buffer): void {
    afterFaultDelay(this.deps.delayMs, () => {
      if (this.done) return;
      this.own.push(frame);
      this.deps.onQueued();
    });
  }

  /** join makes the stream a member of `a`: from now on it gets the audience's frames for events newer than the store's current resourceVersion. */
  join(a: Audience): void {
    this.audience = a;
    this.joinRv = this.deps.store.rv;
    this.cursor = a.end;
    a.add(this);
  }

  /** endIn ends the stream after `ms` (timeoutSeconds). */
  endIn(ms: number): void {
    this.timeoutTimer = setTimeout(this.end, ms);
    this.timeoutTimer.unref?.();
  }

  /** bookmarkEvery makes a BOOKMARK due every `intervalMs` (each after the delivery delay) until the stream ends. */
  bookmarkEvery(intervalMs: number): void {
    const due = () => {
      if (this.done) return;
      this.bookmarkDue = true;
      this.deps.onQueued();
    };
    const tick = () => {
      if (this.done) return;
      afterFaultDelay(this.deps.delayMs, due);
      this.bookmarkTimer = setTimeout(tick, intervalMs);
      this.bookmarkTimer.unref?.();
    };
    this.bookmarkTimer = setTimeout(tick, intervalMs);
    this.bookmarkTimer.unref?.();
  }

  /** endAfterDelay ends the stream once the frames queued with the current delivery delay are out (`deferred`: not in this turn even without delay). */
  endAfterDelay(deferred = false): void {
    afterFaultDelay(this.deps.delayMs, this.end, { marginMs: 1, deferred });
  }

  /** end ends the stream now (once): what is queued for it alone still goes out (an ERROR event), then the response ends. */
  readonly end = (): void => {
    // Once: the last write below ends the stream again when it finds the socket gone.
    if (this.ending) return;
    this.ending = true;
    if (this.own.length) this.write();
    this.done = true;
    this.own = [];
    this.audience?.leave(this);
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.bookmarkTimer);
    this.deps.res.end();
    this.deps.onEnd();
  };

  /** write sends, as one HTTP chunk, this stream's own lines, then the audience's logged lines newer than it joined and than it was last written, then a due bookmark. */
  write(): void {
    if (this.done) return;
    const sock = this.deps.res.socket as Socket | null;
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
        out.push(bookmarkLine(this.deps.info, this.deps.store.rv));
      }
      if (out.length) {
        chunk = chunkOf(out);
        count = out.length;
      }
    }
    if (!chunk) return;
    sock.write(chunk);
    this.deps.countEvents(count);
    if (sock.writableLength > MAX_BUFFERED_BYTES) this.end();
  }
}

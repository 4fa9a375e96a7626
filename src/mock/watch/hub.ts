/**
 * The watch hub: every open watch stream of a server, the audiences they share, and the sweeps that
 * write them.
 */
import type { ServerResponse } from 'node:http';
import type { ResourceInfo } from '../resources.js';
import type { Store } from '../store.js';
import { Audience, type AudienceSpec } from './audience.js';
import { WatchStream } from './watch-stream.js';
import { WriteSweeper } from './write-sweeper.js';

/** WatchHub owns a server's watch streams and audiences; single-threaded. */
export class WatchHub {
  /** The closers of the open streams. */
  private readonly open = new Set<() => void>();
  private readonly audiences = new Map<string, Audience>();
  private readonly sweeper: WriteSweeper;

  /** `batchMs` is the shortest interval between two write sweeps, in ms (0: one sweep per event-loop turn when idle). */
  constructor(batchMs = 5) {
    this.sweeper = new WriteSweeper(batchMs, () => this.open.size, () => {
      for (const a of this.audiences.values()) a.trim();
    });
  }

  /** size is the number of open watch streams. */
  get size(): number {
    return this.open.size;
  }

  /** closeAll ends every open watch stream cleanly (each after the frames already queued with the delivery delay). */
  closeAll(): void {
    for (const c of [...this.open]) c();
  }

  /** openStream starts a stream on `res` (whose head is sent): it is written by the sweeps and ended by closeAll; `onEnd` runs once when it ends. */
  openStream(res: ServerResponse, info: ResourceInfo, store: Store, countEvents: (count: number) => void, delayMs: () => number, onEnd: () => void): WatchStream {
    const close = (): void => stream.endAfterDelay();
    const stream = new WatchStream({
      res,
      info,
      store,
      countEvents,
      delayMs,
      onQueued: this.sweeper.schedule,
      onEnd: () => {
        this.open.delete(close);
        onEnd();
      },
    });
    this.sweeper.track(stream);
    this.open.add(close);
    return stream;
  }

  /** audienceFor returns the audience of the streams that see `spec`'s frames, creating it (and its store subscription) when there is none. */
  audienceFor(spec: AudienceSpec, store: Store, delayMs: () => number): Audience {
    let a = this.audiences.get(spec.key);
    if (!a) {
      a = new Audience(spec, store, delayMs, this.sweeper.schedule, (gone) => {
        if (this.audiences.get(gone.spec.key) === gone) this.audiences.delete(gone.spec.key);
      });
      this.audiences.set(spec.key, a);
    }
    return a;
  }
}

/**
 * Writes of watch frames, done in sweeps: one pass over every open stream, in the order they opened,
 * writing each the frames pending for it as one chunk (a socket write costs about the same whatever
 * it carries, so a stream gets at most one write per sweep). A sweep starts at most once per
 * `batchMs` (at once when the last one is older), and runs in slices of SLICE_MS with a pause as long
 * as each slice, so writing takes at most about half the thread and requests are served in between.
 * With many streams a sweep outlasts `batchMs`; because each stream is written when the sweep reaches
 * it, an event waits at most about one sweep for any stream (writing every stream in one burst, then
 * waiting, made it wait a burst and a gap).
 */

/** SLICE_MS is the longest a sweep writes to sockets before it lets the event loop serve requests. */
const SLICE_MS = 2;

/** SweptStream is what a sweep needs of a stream. */
export interface SweptStream {
  readonly ended: boolean;
  pending(): boolean;
  write(): void;
}

/** WriteSweeper schedules and runs the sweeps over the streams it tracks; single-threaded. */
export class WriteSweeper {
  /** Every stream that may get writes, in the order they opened; ended ones are dropped after each sweep. */
  private streams: SweptStream[] = [];
  private scheduled = false;
  private sweeping = false;
  /** Something was queued since the running sweep started (a new sweep is needed when it ends). */
  private dirty = false;
  private ptr = 0;
  private sweepStart = -Infinity;
  /** End and duration of the last slice: the next one starts no sooner than a pause as long. */
  private sliceEnd = -Infinity;
  private sliceMs = 0;

  /**
   * `batchMs` is the shortest interval between two sweeps, in ms (0: one sweep per event-loop turn
   * when idle); `openCount` tells how many streams are still open (to compact the list when no sweep
   * runs); `afterSweep` runs after each complete sweep.
   */
  constructor(
    private readonly batchMs: number,
    private readonly openCount: () => number,
    private readonly afterSweep: () => void,
  ) {}

  /** schedule asks for a sweep: something was queued for some stream. */
  readonly schedule = (): void => {
    this.dirty = true;
    if (this.scheduled || this.sweeping) return;
    this.scheduled = true;
    const wait = Math.max(this.sweepStart + this.batchMs, this.sliceEnd + this.sliceMs) - performance.now();
    if (wait > 0) setTimeout(this.sweep, wait);
    else setImmediate(this.sweep);
  };

  /** track adds a newly opened stream to the sweeps. */
  track(w: SweptStream): void {
    // Ended streams leave the list after a sweep; compact here too, for when no events come.
    if (!this.sweeping && this.streams.length >= 64 && this.streams.length > 2 * this.openCount()) this.streams = this.streams.filter((s) => !s.ended);
    this.streams.push(w);
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
    this.afterSweep();
    if (this.dirty) this.schedule();
  };
}

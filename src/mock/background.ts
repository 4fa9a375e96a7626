/**
 * The mock's background work: timers for the simulated kubelet, the controllers and graceful
 * deletion, all on the API's thread, all cleared at once when the mock closes.
 */

/** BackgroundTasks runs callbacks after a delay on this thread; a failing task is reported as a warning and never takes the server down. */
export class BackgroundTasks {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  /** later runs `fn` after `ms` (ms) unless `close` was called first; the timer does not hold the process open. */
  later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.closed) return;
      try {
        fn();
      } catch (err) {
        // Background work (lifecycle, graceful deletion, garbage collection) must never take the server down.
        process.emitWarning(`racerig mock: background task failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  /** close clears every pending timer; later calls do nothing. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

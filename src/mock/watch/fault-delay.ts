/**
 * The watch delivery delay fault: every frame, bookmark and end of a watch stream goes out this much
 * later, read when it is queued so the fault can change at run time.
 */

/** DelayedOptions says how a callback without delay runs (`deferred`: on the next event-loop turn instead of at once), and what a positive delay gets added (`marginMs`, so an end follows the frames queued before it). */
export interface DelayedOptions {
  marginMs?: number;
  deferred?: boolean;
}

/** afterFaultDelay runs `fn` once the delay `delayMs()` (ms, read now) has passed, or without delay when it is 0. */
export function afterFaultDelay(delayMs: () => number, fn: () => void, opts?: DelayedOptions): void {
  const d = delayMs();
  if (d > 0) setTimeout(fn, d + (opts?.marginMs ?? 0));
  else if (opts?.deferred) setImmediate(fn);
  else fn();
}

/**
 * The run clock: milliseconds (fractional, microsecond resolution) since the run's epoch, comparable
 * across worker threads because each thread corrects by its own `performance.timeOrigin`.
 */
import { performance } from 'node:perf_hooks';

/** wallMs returns this thread's high-resolution wall-clock time, ms (timeOrigin + now). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** RunClock returns the run's elapsed time in milliseconds. */
export type RunClock = () => number;

/** createRunClock returns a clock reading milliseconds since `epochWallMs` (a `wallMs()` value). */
export function createRunClock(epochWallMs: number): RunClock {
  const offset = performance.timeOrigin - epochWallMs;
  return () => offset + performance.now();
}

/** StartableClock is a run clock that reads 0 until `start` gives it the run's epoch. */
export interface StartableClock {
  readonly clock: RunClock;
  start(epochWallMs: number): void;
}

/**
 * startableClock returns a clock that reads 0 until `start(epochWallMs)` and then milliseconds since
 * that epoch (as createRunClock). Warm-up and run share this one closure, so the code compiled during
 * the warm-up stays valid for the run (docs/performance.md).
 */
export function startableClock(): StartableClock {
  let started = false;
  let offset = 0;
  return {
    clock: () => (started ? offset + performance.now() : 0),
    start(epochWallMs: number): void {
      offset = performance.timeOrigin - epochWallMs;
      started = true;
    },
  };
}

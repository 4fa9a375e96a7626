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

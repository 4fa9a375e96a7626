/**
 * A Pacer is a load model: a pure function from an arrival's index to the time it is meant to
 * start. Open models (constant, linear ramp) have fixed arrival times whatever the server does;
 * the closed model starts the next request as soon as a connection is free.
 */

/** Pacer describes when the i-th request of a run is meant to start. */
export interface Pacer {
  /** Whether arrival times are fixed in advance (open model); false for the closed model. */
  readonly open: boolean;
  /**
   * arrivalMs returns the intended start of arrival `i` (0-based), in ms since the run's start, or
   * Infinity when the model plans no such arrival. Non-decreasing in `i`; 0 for every `i` in the closed model.
   */
  arrivalMs(i: number): number;
  /** plannedBy returns how many arrivals the model plans before `elapsedMs` (used to count dropped work). */
  plannedBy(elapsedMs: number): number;
  /** Target rate at `elapsedMs`, requests per second (NaN for the closed model). */
  rateAt(elapsedMs: number): number;
}

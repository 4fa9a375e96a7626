/**
 * The operations of a profile run's metrics layout: the profile's own, then one per watch step for
 * its events' delivery lag, one per stream step for its streams' durations, and one per rate-limited
 * component for its limiter waits. The added ones are measurement operations (samples, not requests).
 */
import type { Profile, Step } from '../profile/types.js';
import { addLimiterOperations } from './client-buckets.js';

/** LAG_SUFFIX names the operation that records a watch step's event delivery lag (events with a known send time). */
export const LAG_SUFFIX = ' · delivery lag';
/** DURATION_SUFFIX names the operation that records the durations of a stream step's streams (watch, wait, followed log, exec session). */
export const DURATION_SUFFIX = ' · duration';

/** RunOperations are the layout's operations and what the added ones record. */
export interface RunOperations {
  operations: string[];
  /** Watch step operation → its delivery-lag operation. */
  lagOperations: Record<number, number>;
  /** Stream operation → its duration operation. */
  streamOperations: Record<number, number>;
  /** Limiter key (a named client, or a component with its own qps) → its limiter-wait operation. */
  waitOperations: Map<string, number>;
  /** Every added operation (they record samples, not requests). */
  measurementOperations: number[];
}

/** isStreamStep tells whether a step holds long-lived requests: watches, waits (they watch their object), followed logs, exec sessions. */
export function isStreamStep(s: Step): boolean {
  return s.kind === 'watch' || s.kind === 'wait' || s.kind === 'exec' || (s.kind === 'logs' && s.followMs !== undefined);
}

/** runOperations lists a profile run's operations. */
export function runOperations(profile: Profile): RunOperations {
  const operations = [...profile.operations];
  const lagOperations: Record<number, number> = {};
  const streamOperations: Record<number, number> = {};
  const steps = profile.phases.flatMap((ph) => ph.components.flatMap((c) => c.steps));
  for (const s of steps) {
    if (s.kind === 'watch' && lagOperations[s.operationIndex] === undefined) {
      lagOperations[s.operationIndex] = operations.length;
      operations.push(`${s.operation}${LAG_SUFFIX}`);
    }
  }
  for (const s of steps) {
    if (isStreamStep(s) && s.operationIndex >= 0 && streamOperations[s.operationIndex] === undefined) {
      streamOperations[s.operationIndex] = operations.length;
      operations.push(`${s.operation}${DURATION_SUFFIX}`);
    }
  }
  // One limiter-wait operation per bucket: a named client's (shared by the components naming it) or a component's own.
  const waitOperations = addLimiterOperations(profile, operations);
  return {
    operations,
    lagOperations,
    streamOperations,
    waitOperations,
    measurementOperations: [...Object.values(lagOperations), ...Object.values(streamOperations), ...waitOperations.values()],
  };
}

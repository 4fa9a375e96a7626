/** The phase boundaries every shard of a distributed profile run keeps, for the coordinator's observers. */
import type { Profile } from '../profile/types.js';
import { SHARD_PHASE_GAP_MS } from '../profile-run/profile-run.js';

/** PhaseEvent is a phase boundary of the shards' common schedule; `at` undefined: not known ahead (after a phase bounded by iterations only). */
export interface PhaseEvent {
  phase: string;
  edge: 'start' | 'end';
  at?: number;
}

/**
 * phaseSchedule returns the phase boundaries the shards keep (profile-run.ts): the first phase starts at
 * `startAtMs`, a later one SHARD_PHASE_GAP_MS after the previous one's planned end, while every phase so far
 * has a duration. The coordinator's observers hear of them at those times (a phase that ends early by its
 * iterations still ends for them at its planned end).
 */
export function phaseSchedule(profile: Pick<Profile, 'phases'>, startAtMs: number): PhaseEvent[] {
  const events: PhaseEvent[] = [];
  let at: number | undefined = startAtMs;
  for (const ph of profile.phases) {
    events.push({ phase: ph.name, edge: 'start', ...(at !== undefined ? { at } : {}) });
    const end: number | undefined = at !== undefined && ph.durationMs !== undefined ? at + ph.durationMs : undefined;
    events.push({ phase: ph.name, edge: 'end', ...(end !== undefined ? { at: end } : {}) });
    at = end !== undefined ? end + SHARD_PHASE_GAP_MS : undefined;
  }
  return events;
}

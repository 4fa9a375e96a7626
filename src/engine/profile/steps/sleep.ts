/** The `sleep` step: pauses the iteration, sends nothing. */
import { sleep } from './request.js';
import type { StepKind } from './step-kind.js';

/** sleepStep waits `durationMs` (not cut short by the phase end: the iteration it belongs to finishes). */
export const sleepStep: StepKind<'sleep'> = {
  kind: 'sleep',
  run: (_ctx, step) => sleep(step.durationMs),
};

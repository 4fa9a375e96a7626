/** The `sleep` step: pauses the iteration, sends nothing. */
import { sleep } from './request.js';
import type { StepModule } from './step-module.js';

/** sleepStep waits `durationMs` (not cut short by the phase end: the iteration it belongs to finishes). */
export const sleepStep: StepModule<'sleep'> = {
  kind: 'sleep',
  run: (_ctx, step) => sleep(step.durationMs),
};

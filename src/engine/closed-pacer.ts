import type { Pacer } from './pacer.js';

/** closedPacer is the closed model: every arrival is due at once, bounded only by free connections. */
export function closedPacer(): Pacer {
  return { open: false, arrivalMs: () => 0, plannedBy: () => 0, rateAt: () => NaN };
}

import type { Pacer } from './pacer.js';

/** constantPacer plans `rate` arrivals per second, evenly spaced, for `durationMs` (Infinity: unbounded). */
export function constantPacer(rate: number, durationMs: number): Pacer {
  const gapMs = 1000 / rate;
  return {
    open: true,
    arrivalMs(i) {
      const at = i * gapMs;
      return at < durationMs ? at : Infinity;
    },
    plannedBy(elapsedMs) {
      const t = Math.min(elapsedMs, durationMs);
      return t <= 0 ? 0 : Math.ceil(t / gapMs - 1e-9);
    },
    rateAt: () => rate,
  };
}

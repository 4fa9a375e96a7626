import type { Pacer } from './pacer.js';

/**
 * linearPacer ramps the arrival rate linearly from `fromRate` to `toRate` (per second) over
 * `durationMs`: arrival i starts at the time t where the planned count r0·t + (r1−r0)·t²/(2D) reaches i.
 */
export function linearPacer(fromRate: number, toRate: number, durationMs: number): Pacer {
  const D = durationMs / 1000;
  const r0 = fromRate;
  const a = (toRate - fromRate) / D; // rate change per second
  const countAt = (tSec: number) => r0 * tSec + (a * tSec * tSec) / 2;
  const total = countAt(D);
  return {
    open: true,
    arrivalMs(i) {
      if (i >= total - 1e-9) return Infinity;
      // Solve r0·t + a·t²/2 = i in the numerically stable form t = 2i / (r0 + sqrt(r0² + 2ai)).
      const disc = r0 * r0 + 2 * a * i;
      const denom = r0 + Math.sqrt(Math.max(0, disc));
      const t = denom === 0 ? Math.sqrt((2 * i) / a) : (2 * i) / denom;
      const ms = t * 1000;
      return ms < durationMs ? ms : Infinity;
    },
    plannedBy(elapsedMs) {
      const t = Math.min(Math.max(elapsedMs, 0), durationMs) / 1000;
      return t <= 0 ? 0 : Math.ceil(countAt(t) - 1e-9);
    },
    rateAt(elapsedMs) {
      const t = Math.min(Math.max(elapsedMs, 0), durationMs) / 1000;
      return r0 + a * t;
    },
  };
}

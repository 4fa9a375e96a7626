/** Threshold outcomes as people read them: the actual value in the threshold's own unit. */
import { parseThreshold, type ThresholdUnit } from '../profile/threshold.js';
import { fmtInt, fmtRate, fmtUs } from './format.js';

/** ThresholdLike is a threshold outcome as stored in a result file (`unit` is absent in files written before it was recorded). */
export interface ThresholdLike {
  expression: string;
  actual?: number;
  unit?: ThresholdUnit;
}

/** thresholdUnit is an outcome's unit: the stored one, else the unit its expression parses to (older result files); undefined when it does not parse. */
export function thresholdUnit(th: ThresholdLike): ThresholdUnit | undefined {
  if (th.unit) return th.unit;
  const parsed = parseThreshold(th.expression);
  return typeof parsed === 'string' ? undefined : parsed.unit;
}

/** formatThresholdActual renders an outcome's actual value in its unit: `64.9ms` (latency, stored in ms), `0.25%` (ratio), `1,204` (count), `52.3/s` (rate); '' when there is none. */
export function formatThresholdActual(th: ThresholdLike): string {
  if (th.actual === undefined) return '';
  const a = th.actual;
  switch (thresholdUnit(th)) {
    case 'ms':
      return fmtUs(a * 1000);
    case 'ratio':
      return `${Number((a * 100).toPrecision(3))}%`;
    case 'count':
      return fmtInt(a);
    case 'per-second':
      return fmtRate(a);
    default:
      return String(a);
  }
}

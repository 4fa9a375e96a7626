/** The zod type of a duration field: `30s`, `2m`, `500ms`, `1h30m`, or a bare number of seconds; parsed to ms. */
import { z } from 'zod';
import { parseDurationMs } from '../engine/duration.js';

/** durationMs is a zod schema that accepts a duration and outputs milliseconds (rejecting negative or invalid ones). */
export const durationMs = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = parseDurationMs(String(value));
    if (!Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)}`, params: { hint: 'use a number and a unit: 500ms, 30s, 2m, 1h30m' } });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'A duration: a number and a unit (us, ms, s, m, h), e.g. 500ms, 30s, 2m, 1h30m; a bare number means seconds.' });

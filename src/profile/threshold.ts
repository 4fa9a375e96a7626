/**
 * Thresholds: `p99(create pods) < 1s`, `max(get pods) <= 250ms`, `errors < 1%`, `errors(exec pods) == 0`,
 * `dropped == 0`, `count(create workflows) >= 100`, `rate(list pods) > 50/s`, `findings == 0`,
 * `findings(race) == 0`. Parsed at load time.
 */
import { parseDurationMs } from '../engine/duration.js';

/** Comparator is a threshold's comparison. */
export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** ThresholdStat is what a threshold measures: a latency statistic, or a count, ratio or rate. */
export type ThresholdStat = 'percentile' | 'min' | 'max' | 'mean' | 'errors' | 'dropped' | 'count' | 'rate' | 'findings';

/** ThresholdUnit says what `value` is: ms (latency), ratio 0..1 (a percentage), count, or per-second. */
export type ThresholdUnit = 'ms' | 'ratio' | 'count' | 'per-second';

/** Threshold is one parsed threshold; `operation` undefined means all operations together. */
export interface Threshold {
  /** The text as written. */
  source: string;
  stat: ThresholdStat;
  /** For `percentile`: 0..100, e.g. 99.9. */
  percentile?: number;
  /** An operation name (or a `measure` name for latency statistics; a finding kind for `findings`). */
  operation?: string;
  comparator: Comparator;
  value: number;
  unit: ThresholdUnit;
}

/** FINDING_KINDS are the kinds `findings(KIND)` accepts. */
export const FINDING_KINDS = ['race', 'panic', 'fatal', 'pattern', 'exit', 'restart', 'metrics-mismatch'];

const LATENCY = new Set(['min', 'max', 'mean']);
const RE = /^\s*([a-z]+|p\d+(?:\.\d+)?)\s*(?:\(\s*([^()]*?)\s*\))?\s*(<=|>=|==|!=|<|>)\s*(\S+?)\s*$/;

/** THRESHOLD_GRAMMAR is the one-line grammar shown in hints. */
export const THRESHOLD_GRAMMAR = 'STAT[(OPERATION)] OP VALUE, STAT one of pNN, min, max, mean, errors, dropped, count, rate, findings (OPERATION: a finding kind); OP one of < <= > >= == !=';

/** parseThreshold parses one threshold, or returns an error message. */
export function parseThreshold(source: string): Threshold | string {
  const m = RE.exec(source);
  if (!m) return `invalid threshold ${JSON.stringify(source)}`;
  const [, statText, op, comparator, valueText] = m as unknown as [string, string, string | undefined, Comparator, string];
  const operation = op === undefined || op === '' ? undefined : op;
  const base = { source, comparator, ...(operation !== undefined ? { operation } : {}) };
  if (/^p\d/.test(statText)) {
    const percentile = Number(statText.slice(1));
    if (!(percentile > 0 && percentile <= 100)) return `invalid percentile ${statText} in ${JSON.stringify(source)}: use p50, p99, p99.9 …`;
    const ms = parseDurationMs(valueText);
    if (!Number.isFinite(ms)) return `invalid latency ${JSON.stringify(valueText)} in ${JSON.stringify(source)}: use a duration such as 250ms or 1s`;
    return { ...base, stat: 'percentile', percentile, value: ms, unit: 'ms' };
  }
  if (LATENCY.has(statText)) {
    const ms = parseDurationMs(valueText);
    if (!Number.isFinite(ms)) return `invalid latency ${JSON.stringify(valueText)} in ${JSON.stringify(source)}: use a duration such as 250ms or 1s`;
    return { ...base, stat: statText as ThresholdStat, value: ms, unit: 'ms' };
  }
  if (statText === 'errors' || statText === 'dropped') {
    if (valueText.endsWith('%')) {
      const pct = Number(valueText.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100) return `invalid percentage ${JSON.stringify(valueText)} in ${JSON.stringify(source)}`;
      return { ...base, stat: statText, value: pct / 100, unit: 'ratio' };
    }
    const n = Number(valueText);
    if (!Number.isFinite(n) || n < 0) return `invalid value ${JSON.stringify(valueText)} in ${JSON.stringify(source)}: use a count (0) or a percentage (1%)`;
    return { ...base, stat: statText, value: n, unit: 'count' };
  }
  if (statText === 'count') {
    const n = Number(valueText);
    if (!Number.isFinite(n) || n < 0) return `invalid count ${JSON.stringify(valueText)} in ${JSON.stringify(source)}`;
    return { ...base, stat: 'count', value: n, unit: 'count' };
  }
  if (statText === 'findings') {
    if (operation !== undefined && !FINDING_KINDS.includes(operation)) return `unknown finding kind ${JSON.stringify(operation)} in ${JSON.stringify(source)}: use one of ${FINDING_KINDS.join(', ')}`;
    const n = Number(valueText);
    if (!Number.isInteger(n) || n < 0) return `invalid count ${JSON.stringify(valueText)} in ${JSON.stringify(source)}: findings are counted, e.g. findings(race) == 0`;
    return { ...base, stat: 'findings', value: n, unit: 'count' };
  }
  if (statText === 'rate') {
    const n = Number(valueText.replace(/\/s$/, ''));
    if (!Number.isFinite(n) || n < 0) return `invalid rate ${JSON.stringify(valueText)} in ${JSON.stringify(source)}: use requests per second, e.g. 50/s`;
    return { ...base, stat: 'rate', value: n, unit: 'per-second' };
  }
  return `unknown statistic ${JSON.stringify(statText)} in ${JSON.stringify(source)}`;
}

/** compare applies a comparator: `compare('<', actual, limit)` is true when the threshold passes. */
export function compare(comparator: Comparator, actual: number, limit: number): boolean {
  switch (comparator) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

/** Number formatting for reports: durations from microseconds, rates, percentages, with about three significant digits. */

/** sig3 prints a number with three significant digits (no exponent below 1e21). */
export function sig3(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(digits, 6));
}

/** formatMicros prints a duration given in microseconds as µs, ms or s. */
export function formatMicros(us: number): string {
  if (Math.abs(us) < 1000) return `${sig3(us)}µs`;
  if (Math.abs(us) < 1_000_000) return `${sig3(us / 1000)}ms`;
  return `${sig3(us / 1_000_000)}s`;
}

/** formatRate prints a per-second rate (e.g. requests per second). */
export function formatRate(perSecond: number): string {
  if (Math.abs(perSecond) >= 1e6) return `${sig3(perSecond / 1e6)}M/s`;
  if (Math.abs(perSecond) >= 1e4) return `${sig3(perSecond / 1e3)}k/s`;
  return `${sig3(perSecond)}/s`;
}

/** formatPercent prints a share already in percent, with two decimals. */
export function formatPercent(percent: number): string {
  return `${percent.toFixed(2)}%`;
}

/** formatValue prints a value in the unit a metric is measured in ("us", "req/s" or "%"). */
export function formatValue(value: number, unit: 'us' | 'req/s' | '%'): string {
  return unit === 'us' ? formatMicros(value) : unit === 'req/s' ? formatRate(value) : formatPercent(value);
}

/** formatCount prints an integer count with thousands separators. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

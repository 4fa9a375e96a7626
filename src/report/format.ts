/** Small number and latency formatters for terminal output. */

/** fmtInt renders an integer with thousands separators: 412,345. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** fmtRate renders a per-second rate with one decimal: 41,234.5/s. */
export function fmtRate(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return `${n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}/s`;
}

/** fmtUs renders a latency given in microseconds: 850µs, 1.23ms, 45.6ms, 1.25s. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}µs`;
  const ms = us / 1000;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${ms.toFixed(1)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

/** fmtPct renders a fraction (0..1) as a percentage with two decimals. */
export function fmtPct(f: number): string {
  return `${(Number.isFinite(f) ? f * 100 : 0).toFixed(2)}%`;
}

/** table renders rows as left-aligned columns separated by two spaces (first row is the header). */
export function table(rows: string[][], rightAlignFrom = 1): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i >= rightAlignFrom ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

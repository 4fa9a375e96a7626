/** Markdown rendering helpers for bench/results.md. */

/** table renders a Markdown table; cells are already formatted strings. */
export function table(header: string[], rows: string[][]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

/** num formats a number with thousands separators and `digits` decimals; "–" for missing values. */
export function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** ms formats a latency in milliseconds with a precision that suits its size. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return num(value, value < 10 ? 2 : value < 100 ? 1 : 0);
}

/** ratio formats a ratio like "1.12×". */
export function ratio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`;
}

/** codeBlock wraps lines in a fenced block. */
export function codeBlock(lines: string[], lang = 'sh'): string {
  return ['```' + lang, ...lines, '```'].join('\n');
}

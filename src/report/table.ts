/** Tables for machines and documents: GitHub markdown and CSV (RFC 4180); aligned text tables are `table` in format.ts. */

/** renderMarkdownTable renders a GitHub markdown table; the first row is the header; pipes in cells are escaped. */
export function renderMarkdownTable(rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const [head, ...body] = rows;
  if (!head) return '';
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** renderCsv renders rows as CSV, quoting cells that hold commas, quotes or line breaks. */
export function renderCsv(rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  const cell = (v: string | number | boolean | null | undefined) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** Horizontal stacked bar charts as inline SVG markup (e.g. responses by status code per operation). */
import { escapeHtml } from './html-escape.js';

/** BarSegment is one part of a bar: a count and the color of its key. */
export interface BarSegment {
  key: string;
  value: number;
  color: string;
}

/** BarRow is one bar: its label, the result it belongs to, and its segments. */
export interface BarRow {
  label: string;
  result: number;
  segments: BarSegment[];
}

/** renderStackedBars returns a figure with one 100%-wide stacked bar per row (shares of the row's total) and a legend of keys. */
export function renderStackedBars(id: string, title: string, rows: readonly BarRow[], width = 760): string {
  const labelWidth = 360;
  const barHeight = 18;
  const gap = 8;
  const top = 30;
  const height = top + rows.length * (barHeight + gap) + 10;
  const barWidth = width - labelWidth - 70;
  const parts = [`<text class="title" x="8" y="18">${escapeHtml(title)}</text>`];
  rows.forEach((row, i) => {
    const y = top + i * (barHeight + gap);
    const total = row.segments.reduce((s, g) => s + g.value, 0);
    const shown = [...row.label].length > 56 ? `…${[...row.label].slice(-55).join('')}` : row.label;
    parts.push(`<text class="tick" x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeHtml(shown)}<title>${escapeHtml(row.label)}</title></text>`);
    let x = labelWidth;
    const rects = row.segments
      .filter((g) => g.value > 0)
      .map((g) => {
        const w = total > 0 ? (g.value / total) * barWidth : 0;
        const r = `<rect data-series="${escapeHtml(g.key)}" x="${x.toFixed(2)}" y="${y}" width="${Math.max(w, 0.5).toFixed(2)}" height="${barHeight}" fill="${g.color}">` +
          `<title>${escapeHtml(`${row.label}: ${g.key} ${g.value.toLocaleString('en-US')} (${((100 * g.value) / total).toFixed(2)}%)`)}</title></rect>`;
        x += w;
        return r;
      })
      .join('');
    parts.push(`<g class="series" data-result="${row.result}">${rects}</g>`);
    parts.push(`<text class="tick" x="${labelWidth + barWidth + 6}" y="${y + 13}">${total.toLocaleString('en-US')}</text>`);
  });
  const keys = new Map<string, string>();
  for (const r of rows) for (const g of r.segments) if (g.value > 0) keys.set(g.key, g.color);
  const legend = [...keys].map(([k, c]) => `<span class="key"><svg width="12" height="12"><rect width="12" height="12" fill="${c}"/></svg>${escapeHtml(k)}</span>`).join(' ');
  return `<figure class="chart-box"><svg class="chart" id="${id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="${escapeHtml(title)}">${parts.join('')}</svg><figcaption class="legend">${legend}</figcaption></figure>`;
}

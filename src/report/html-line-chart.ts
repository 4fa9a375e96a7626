/**
 * Line charts as inline SVG markup, drawn when the report is written (no chart library, no
 * network): axes with nice ticks, one path per series, and hover titles on every point.
 */
import { escapeHtml } from './html-escape.js';

/** LineSeries is one curve: points as [x, y] in data units. */
export interface LineSeries {
  name: string;
  color: string;
  /** Dashed stroke (e.g. uncorrected latency, p99 beside p50). */
  dashed?: boolean;
  /** Index of the result the series belongs to (for toggling by legend). */
  result: number;
  points: [number, number][];
}

/** Tick is an axis tick at a data value with its label. */
export interface Tick {
  value: number;
  label: string;
}

/** LineChartSpec describes a chart; formatters turn data values into labels. */
export interface LineChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Fixed x ticks (e.g. the percentile axis); nice linear ticks when absent. */
  xTicks?: Tick[];
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  width?: number;
  height?: number;
}

/** niceTicks returns about `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

/** MAX_DOTS is the most hover points (with a value title) drawn per series. */
export const MAX_DOTS = 300;

const num = (v: number) => (Math.round(v * 100) / 100).toString();

/** renderLineChart returns a figure: an `<svg class="chart">` with axes, grid, one `path[data-series]` per series and point titles, and its legend. */
export function renderLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 300;
  const m = { left: 70, right: 34, top: 30, bottom: 46 };
  const fx = spec.formatX ?? ((x: number) => num(x));
  const fy = spec.formatY ?? ((y: number) => num(y));
  const all = spec.series.flatMap((s) => s.points);
  const title = `<text class="title" x="${m.left}" y="18">${escapeHtml(spec.title)}</text>`;
  if (all.length === 0) {
    return `<figure class="chart-box"><svg class="chart empty" id="${spec.id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">` +
      `${title}<text class="empty" x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text></svg></figure>`;
  }
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xMin = spec.xTicks ? Math.min(...spec.xTicks.map((t) => t.value), ...xs) : Math.min(...xs);
  const xMax = spec.xTicks ? Math.max(...spec.xTicks.map((t) => t.value), ...xs) : Math.max(...xs);
  const yTicks = niceTicks(0, Math.max(...ys) > 0 ? Math.max(...ys) : 1);
  const yMax = Math.max(yTicks[yTicks.length - 1]!, ...ys);
  const sx = (x: number) => m.left + (xMax > xMin ? ((x - xMin) / (xMax - xMin)) * (width - m.left - m.right) : (width - m.left - m.right) / 2);
  const sy = (y: number) => height - m.bottom - (yMax > 0 ? (y / yMax) * (height - m.top - m.bottom) : 0);
  const xTicks = spec.xTicks ?? niceTicks(xMin, xMax, 8).map((v) => ({ value: v, label: fx(v) }));
  const parts: string[] = [title];
  for (const t of yTicks) {
    parts.push(`<line class="grid" x1="${m.left}" x2="${width - m.right}" y1="${num(sy(t))}" y2="${num(sy(t))}"/>`);
    parts.push(`<text class="tick" x="${m.left - 6}" y="${num(sy(t) + 4)}" text-anchor="end">${escapeHtml(fy(t))}</text>`);
  }
  for (const t of xTicks) {
    if (t.value < xMin || t.value > xMax) continue;
    parts.push(`<line class="grid" x1="${num(sx(t.value))}" x2="${num(sx(t.value))}" y1="${m.top}" y2="${height - m.bottom}"/>`);
    parts.push(`<text class="tick" x="${num(sx(t.value))}" y="${height - m.bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`);
  }
  parts.push(`<line class="axis" x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}"/>`);
  parts.push(`<line class="axis" x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}"/>`);
  parts.push(`<text class="label" x="${(m.left + width - m.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`);
  parts.push(`<text class="label" transform="translate(14 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`);
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    if (s.points.length === 1) {
      // A single point has no line to draw: show it as a dot.
      const [x, y] = s.points[0]!;
      parts.push(
        `<g class="series" data-result="${s.result}"><circle class="single" data-series="${escapeHtml(s.name)}" cx="${num(sx(x))}" cy="${num(sy(y))}" r="4" ` +
          `fill="${s.color}"><title>${escapeHtml(`${s.name}: ${fx(x)} → ${fy(y)}`)}</title></circle></g>`,
      );
      continue;
    }
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(sx(p[0]))} ${num(sy(p[1]))}`).join('');
    // Hover targets: at most about MAX_DOTS per series, so long runs keep the file small.
    const every = Math.max(1, Math.ceil(s.points.length / MAX_DOTS));
    const dots = s.points
      .filter((_, i) => i % every === 0 || i === s.points.length - 1)
      .map((p) => `<circle cx="${num(sx(p[0]))}" cy="${num(sy(p[1]))}" r="3"><title>${escapeHtml(`${s.name}: ${fx(p[0])} → ${fy(p[1])}`)}</title></circle>`)
      .join('');
    parts.push(
      `<g class="series" data-result="${s.result}"><path data-series="${escapeHtml(s.name)}" d="${d}" stroke="${s.color}"` +
        `${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><g class="dots" fill="${s.color}">${dots}</g></g>`,
    );
  }
  const legend = spec.series
    .map((s) => `<span class="key" data-result="${s.result}"><svg width="26" height="10"><line x1="0" x2="26" y1="5" y2="5" stroke="${s.color}"` +
      `${s.dashed ? ' stroke-dasharray="6 4"' : ''}/></svg>${escapeHtml(s.name)}</span>`)
    .join(' ');
  return `<figure class="chart-box"><svg class="chart" id="${spec.id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="${escapeHtml(spec.title)}">${parts.join('')}</svg><figcaption class="legend">${legend}</figcaption></figure>`;
}

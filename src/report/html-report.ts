/**
 * The HTML report (`racerig report --html`): one self-contained file that opens offline. Charts are
 * inline SVG drawn here; the page loads nothing (its Content-Security-Policy forbids any fetch).
 * Several results overlay their curves, one color per result.
 */
import { basename } from 'node:path';
import type { LoadedResult } from '../results/read-result.js';
import type { OperationResult, RunResult, TimeSeriesPoint } from '../results/model.js';
import { decodeHistogram } from '../metrics/histogram.js';
import { percentileSpectrum } from '../results/percentile-spectrum.js';
import { VERSION } from '../version.js';
import { escapeHtml } from './html-escape.js';
import { renderLineChart, type LineSeries, type Tick } from './html-line-chart.js';
import { renderStackedBars, type BarRow } from './html-bar-chart.js';
import { PAGE_SCRIPT } from './html-script.js';
import { fmtInt, fmtPct, fmtRate, fmtUs } from './format.js';
import { formatThresholdActual } from './threshold-actual.js';

/** PALETTE holds one color per result (repeats after eight results). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

/** HtmlReportOptions adjust the page. */
export interface HtmlReportOptions {
  /** When the report was generated (default now). */
  generatedAt?: Date;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1600px;padding:16px 24px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.meta{color:#57606a;margin:0}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right;vertical-align:top}th{background:#f6f8fa}
td.l,th.l{text-align:left}
.grid-charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart-box{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:6px;background:#fff;flex:1 1 600px;max-width:800px;box-sizing:border-box}
svg.chart{width:100%;height:auto;display:block}
svg.chart .title{font-weight:600;font-size:13px}
svg.chart .tick{font-size:11px;fill:#57606a}
svg.chart .label{font-size:12px;fill:#24292f}
svg.chart .grid{stroke:#eaeef2;stroke-width:1}
svg.chart .axis{stroke:#8c959f;stroke-width:1}
svg.chart path{fill:none;stroke-width:1.8}
svg.chart circle{opacity:0}svg.chart circle:hover,svg.chart circle.single{opacity:1}
.legend{font-size:12px;color:#24292f;padding:2px 6px}.legend .key{margin-right:14px;white-space:nowrap}.legend svg{vertical-align:middle;margin-right:4px}
.hidden{display:none}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:middle;margin-right:4px}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px;margin:4px 0}
.wide{overflow-x:auto}.wide td{word-break:break-all;min-width:140px}
`;

const STATUS_COLORS: Record<string, string[]> = {
  '1': ['#54aeff', '#218bff'],
  '2': ['#2da44e', '#4ac26b', '#116329'],
  '3': ['#bf8700', '#d4a72c'],
  '4': ['#fb8f44', '#e16f24', '#bc4c00'],
  '5': ['#fa4549', '#cf222e', '#a40e26'],
};
const ERROR_KIND_COLOR = ['#8250df', '#a475f9', '#6639ba', '#57606a', '#424a53', '#c297ff', '#8c959f'];
/** One color per common status code, so the same code has the same color in every row and no two common codes share one. */
const CODE_COLORS: Record<string, string> = {
  '101': '#218bff', '200': '#2da44e', '201': '#1b7c83', '202': '#7d8c1f', '204': '#116329',
  '400': '#fb8f44', '401': '#d18616', '403': '#bc4c00', '404': '#e16f24', '409': '#9a6700', '410': '#c4432b', '422': '#f0883e', '429': '#953800',
  '500': '#fa4549', '502': '#cf222e', '503': '#a40e26', '504': '#ff8182',
};

/**
 * resultName is how the report names a result in legends and tables: `#n` and the labels that tell the
 * results apart (all labels of a lone result), else its run name; the file name is in the Runs and
 * configuration tables only.
 */
export function resultName(r: LoadedResult, index: number, all: readonly LoadedResult[] = [r]): string {
  const shared = (k: string, v: string) => all.length > 1 && all.every((x) => x.result.labels[k] === v);
  const labels = Object.entries(r.result.labels).filter(([k, v]) => !shared(k, v)).map(([k, v]) => `${k}=${v}`).join(',');
  return `#${index + 1} ${labels || r.result.name || basename(r.file)}`;
}

/** names returns every result's name (see resultName). */
function names(results: readonly LoadedResult[]): string[] {
  return results.map((r, i) => resultName(r, i, results));
}

/** perSecond turns each interval's count into a rate over the interval's own length, so a short last interval is not drawn as a drop. */
function perSecond(points: readonly TimeSeriesPoint[], pick: (p: TimeSeriesPoint) => number): [number, number][] {
  return points.map((p, i) => {
    const len = p.t - (i > 0 ? points[i - 1]!.t : 0);
    return [p.t, len > 0 ? pick(p) / len : pick(p)];
  });
}

function percentileTicks(maxX: number): Tick[] {
  const ticks: Tick[] = [{ value: 0, label: '0%' }];
  const labels = ['90%', '99%', '99.9%', '99.99%', '99.999%', '99.9999%'];
  for (let i = 1; i <= Math.ceil(maxX) && i <= 6; i++) ticks.push({ value: i, label: labels[i - 1]! });
  return ticks;
}

function table(head: string[], rows: string[][], leftColumns = 1): string {
  const cell = (tag: string, c: string, i: number) => `<${tag}${i < leftColumns ? ' class="l"' : ''}>${c}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('') + '</tbody></table>';
}

function overTime(results: readonly LoadedResult[]): string {
  const name = names(results);
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const rate: LineSeries[] = results.map((r, i) => ({
    name: `${name[i]} requests/s`, color: color(i), result: i, points: perSecond(r.result.timeSeries, (p) => p.requests),
  }));
  const errors: LineSeries[] = results.flatMap((r, i) => [
    { name: `${name[i]} errors/s`, color: color(i), result: i, points: perSecond(r.result.timeSeries, (p) => p.errors) },
    { name: `${name[i]} dropped/s`, color: color(i), dashed: true, result: i, points: perSecond(r.result.timeSeries, (p) => p.dropped) },
  ]);
  const latency: LineSeries[] = results.flatMap((r, i) => [
    { name: `${name[i]} p50`, color: color(i), result: i, points: r.result.timeSeries.filter((p) => p.requests > 0).map((p): [number, number] => [p.t, p.p50]) },
    { name: `${name[i]} p99`, color: color(i), dashed: true, result: i, points: r.result.timeSeries.filter((p) => p.requests > 0).map((p): [number, number] => [p.t, p.p99]) },
  ]);
  // Requests in flight (solid) and, where the run had streams, the streams open (dashed).
  const inFlight: LineSeries[] = results.flatMap((r, i) => {
    const ts = r.result.timeSeries;
    const s: LineSeries[] = [{ name: `${name[i]} requests in flight`, color: color(i), result: i, points: ts.map((p) => [p.t, p.inFlight]) }];
    if (ts.some((p) => p.openStreams !== undefined)) s.push({ name: `${name[i]} streams open`, color: color(i), dashed: true, result: i, points: ts.map((p) => [p.t, p.openStreams ?? 0]) });
    return s;
  });
  const sec = (x: number) => `${Math.round(x * 100) / 100}s`;
  const values = new Set(inFlight.flatMap((s) => s.points.map((p) => p[1])));
  const rateNote = 'each point is one interval of the run (the last is usually shorter than a second), as a rate over its own length';
  return `<p class="meta">${rateNote}</p><div class="grid-charts">` + [
    renderLineChart({ id: 'chart-throughput', title: 'Throughput (completed requests per second)', xLabel: 'time since start (s)', yLabel: 'requests/s', series: rate, formatX: sec }),
    renderLineChart({ id: 'chart-errors', title: 'Errors and dropped requests per second', xLabel: 'time since start (s)', yLabel: 'per second', series: errors, formatX: sec }),
    renderLineChart({ id: 'chart-latency-time', title: 'Latency over time (p50 solid, p99 dashed; corrected)', xLabel: 'time since start (s)', yLabel: 'latency', series: latency, formatX: sec, formatY: fmtUs }),
    // A line that never moves says nothing a sentence does not (a closed-model run keeps every connection busy).
    values.size <= 1
      ? `<p class="meta" id="inflight-constant">Requests in flight: ${fmtInt([...values][0] ?? 0)} at every second of ${results.length > 1 ? 'every run' : 'the run'}${results.some((r) => r.result.timeSeries.some((p) => p.openStreams !== undefined)) ? ', and as many streams open' : ''} (no chart).</p>`
      : renderLineChart({ id: 'chart-inflight', title: 'Requests in flight (solid) and streams open (dashed)', xLabel: 'time since start (s)', yLabel: 'count', series: inFlight, formatX: sec }),
  ].join('') + '</div>';
}

function spectra(results: readonly LoadedResult[]): string {
  const names = results.map((r, i) => resultName(r, i, results));
  const ops: string[] = [];
  for (const r of results) for (const op of r.result.operations) if (!ops.includes(op.name)) ops.push(op.name);
  const charts = ops.map((opName, k) => {
    const series: LineSeries[] = [];
    results.forEach((r, i) => {
      const op = r.result.operations.find((o) => o.name === opName);
      if (!op) return;
      const color = PALETTE[i % PALETTE.length]!;
      const corrected = percentileSpectrum(decodeHistogram(op.latencyUs.hdr));
      series.push({ name: `${names[i]} corrected`, color, result: i, points: corrected.map((p) => [p.x, p.valueUs]) });
      // An uncorrected curve that equals the corrected one (closed model, measurements) is not drawn twice.
      if (op.uncorrectedLatencyUs.hdr !== op.latencyUs.hdr) {
        const uncorrected = percentileSpectrum(decodeHistogram(op.uncorrectedLatencyUs.hdr));
        series.push({ name: `${names[i]} uncorrected`, color, dashed: true, result: i, points: uncorrected.map((p) => [p.x, p.valueUs]) });
      }
    });
    const maxX = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
    return renderLineChart({
      id: `chart-spectrum-${k}`,
      title: `${opName}: latency by percentile`,
      xLabel: 'percentile (log scale of 1/(1-p))',
      yLabel: 'latency',
      series,
      xTicks: percentileTicks(maxX),
      formatX: toPercent,
      formatY: fmtUs,
    });
  });
  const lifecycles: string[] = [];
  for (const r of results) for (const lc of r.result.lifecycles ?? []) if (!lifecycles.includes(lc.name)) lifecycles.push(lc.name);
  lifecycles.forEach((name, k) => {
    const series: LineSeries[] = [];
    results.forEach((r, i) => {
      const lc = r.result.lifecycles?.find((l) => l.name === name);
      if (!lc) return;
      const points = percentileSpectrum(decodeHistogram(lc.latencyUs.hdr)).map((p): [number, number] => [p.x, p.valueUs]);
      series.push({ name: names[i]!, color: PALETTE[i % PALETTE.length]!, result: i, points });
    });
    const maxX = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
    charts.push(renderLineChart({
      id: `chart-lifecycle-${k}`, title: `lifecycle ${name}: latency by percentile`, xLabel: 'percentile (log scale of 1/(1-p))',
      yLabel: 'latency', series, xTicks: percentileTicks(maxX), formatX: toPercent, formatY: fmtUs,
    }));
  });
  return `<div class="grid-charts">${charts.join('')}</div>`;
}

function toPercent(x: number): string {
  return `${(100 * (1 - Math.pow(10, -x))).toFixed(x < 2 ? 1 : Math.ceil(x))}%`;
}

function latencyTable(results: readonly LoadedResult[]): string {
  const names = results.map((r, i) => resultName(r, i, results));
  const rows: string[][] = [];
  results.forEach((r, i) => {
    for (const op of r.result.operations) {
      const c = op.latencyUs;
      const u = op.uncorrectedLatencyUs;
      const same = c.hdr === u.hdr || (c.count === u.count && c.p50 === u.p50 && c.p90 === u.p90 && c.p99 === u.p99 && c.p999 === u.p999 && c.max === u.max);
      const kinds = op.measurement ? ([['samples', c]] as const) : same ? ([['corrected = uncorrected', c]] as const) : ([['corrected', c], ['uncorrected', u]] as const);
      for (const [kind, l] of kinds) {
        // A measurement's samples are not requests: no rate, errors or dropped.
        const counts = op.measurement ? ['–', '–', '–', '–', '–'] : [fmtInt(op.requests), fmtRate(op.achievedRate), fmtInt(op.errors), fmtPct(op.requests > 0 ? op.errors / op.requests : 0), fmtInt(op.dropped)];
        rows.push([escapeHtml(names[i]!), escapeHtml(op.name) + (op.streamDuration ? ' (time to establish)' : ''), kind, fmtInt(l.count), ...[l.p50, l.p90, l.p99, l.p999, l.max, l.mean].map(fmtUs), ...counts]);
      }
    }
  });
  return table(['result', 'operation', 'latency', 'samples', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'requests', 'rate', 'errors', 'error rate', 'dropped'], rows, 3);
}

function statusSegments(op: OperationResult) {
  const seg = Object.entries(op.status).sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => {
    const shades = STATUS_COLORS[code[0]!] ?? ['#6e7781'];
    return { key: `HTTP ${code}`, value: n, color: CODE_COLORS[code] ?? shades[Number(code) % shades.length]! };
  });
  const kinds = Object.entries(op.errorKinds).sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n], k) => ({ key: `transport ${kind}`, value: n, color: ERROR_KIND_COLOR[k % ERROR_KIND_COLOR.length]! }));
  return [...seg, ...kinds];
}

function statusBreakdown(results: readonly LoadedResult[]): string {
  const names = results.map((r, i) => resultName(r, i, results));
  // Measurements (delivery lag, stream durations, limiter waits) are samples, not responses: older files stored them as HTTP 200 or 0.
  const rows: BarRow[] = results.flatMap((r, i) => r.result.operations.filter((op) => !op.measurement).map((op) => ({ label: `${names[i]} ${op.name}`, result: i, segments: statusSegments(op) })));
  const tableRows = rows.map((row) => [escapeHtml(row.label), row.segments.map((s) => `${escapeHtml(s.key)}: ${fmtInt(s.value)}`).join(', ') || '–']);
  return renderStackedBars('chart-status', 'Responses by HTTP status and transport errors by kind', rows) +
    table(['result and operation', 'breakdown'], tableRows, 2);
}

function thresholds(results: readonly LoadedResult[]): string {
  const rows = results.flatMap((r, i) => (r.result.thresholds ?? []).map((t) => [
    escapeHtml(resultName(r, i, results)), `<code>${escapeHtml(t.expression)}</code>`, t.passed ? '<span class="pass">passed</span>' : '<span class="fail">failed</span>',
    escapeHtml(formatThresholdActual(t)),
  ]));
  return rows.length === 0 ? '<p>No thresholds were set.</p>' : table(['result', 'threshold', 'outcome', 'actual'], rows, 3);
}

function findings(results: readonly LoadedResult[]): string {
  const rows = results.flatMap((r, i) => (r.result.findings ?? []).map((f) => [
    escapeHtml(resultName(r, i, results)),
    escapeHtml(f.kind),
    fmtInt(f.count),
    escapeHtml(f.phase ?? '–'),
    `<code>${escapeHtml(f.signature)}</code>`,
    `${escapeHtml(f.message)}${f.report ? `<details><summary>first report${f.firstAt ? ` (${escapeHtml(f.firstAt)}${f.source ? `, ${escapeHtml(f.source)}` : ''})` : ''}</summary><pre>${escapeHtml(f.report)}</pre></details>` : ''}`,
  ]));
  const observed = results.some((r) => Array.isArray(r.result.findings));
  if (rows.length === 0) return `<p>${observed ? 'No race reports, panics or restarts were found.' : 'No observers ran: the results carry no findings.'}</p>`;
  return table(['result', 'kind', 'count', 'phase', 'signature', 'message'], rows, 6);
}

function configuration(results: readonly LoadedResult[]): string {
  const field = (name: string, pick: (x: RunResult, file: string) => string): string[] => [
    escapeHtml(name), ...results.map((r) => escapeHtml(pick(r.result, r.file))),
  ];
  const rows = [
    field('file', (_, file) => file),
    field('name', (x) => x.name),
    field('labels', (x) => Object.entries(x.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '–'),
    field('started', (x) => x.startedAt),
    field('ended', (x) => x.endedAt),
    field('duration', (x) => `${x.durationSeconds}s${x.partial ? ` (partial${x.stoppedBy ? `: ${x.stoppedBy}` : ''})` : ''}`),
    field('target', (x) => `${x.target?.url ?? ''} (${x.target?.kind ?? ''})${x.target?.serverVersion ? `, server ${x.target.serverVersion}` : ''}`),
    field('profile', (x) => (x.profile ? `${x.profile.name} (sha256 ${x.profile.sha256})` : '–')),
    field('environment', (x) => (x.environment ? `racerig ${x.environment.racerigVersion}, Node.js ${x.environment.node}, ${x.environment.platform}, ${x.environment.cpus} CPUs` : '–')),
  ];
  const keys: string[] = [];
  for (const r of results) for (const k of Object.keys(r.result.config ?? {})) if (!keys.includes(k)) keys.push(k);
  for (const k of keys) {
    rows.push(field(`config ${k}`, (x) => {
      const v = x.config?.[k];
      return v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
    }));
  }
  const head = ['field', ...results.map((r, i) => `<span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>${escapeHtml(resultName(r, i, results))}`)];
  return `<div class="wide">${table(head, rows, head.length)}</div>`;
}

function runsTable(results: readonly LoadedResult[]): string {
  const rows = results.map((r, i) => {
    const t = r.result.totals;
    return [
      `<label><input type="checkbox" checked data-toggle="${i}"> <span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>${escapeHtml(resultName(r, i, results))}</label>`,
      escapeHtml(r.result.name), `<code>${escapeHtml(basename(r.file))}</code>`, escapeHtml(r.result.startedAt), `${r.result.durationSeconds}s`, fmtInt(t.requests), fmtRate(t.achievedRate),
      `${fmtInt(t.errors)} (${fmtPct(t.requests > 0 ? t.errors / t.requests : 0)})`, fmtInt(t.dropped), r.result.partial ? 'yes' : 'no',
    ];
  });
  return table(['result (show/hide)', 'run', 'file', 'started', 'duration', 'requests', 'rate', 'errors', 'dropped', 'partial'], rows, 4);
}

/** renderHtmlReport returns the whole self-contained HTML page for one or more results. */
export function renderHtmlReport(results: readonly LoadedResult[], options: HtmlReportOptions = {}): string {
  const title = results.length === 1 ? `racerig report: ${results[0]!.result.name}` : `racerig report: ${results.length} results`;
  const generated = (options.generatedAt ?? new Date()).toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p class="meta">generated ${escapeHtml(generated)} by racerig ${escapeHtml(VERSION)}; latencies are measured from the intended start (corrected) unless marked uncorrected</p></header>
<section id="runs"><h2>Runs</h2>${runsTable(results)}</section>
<section id="over-time"><h2>Over time</h2>${overTime(results)}</section>
<section id="spectrum"><h2>Latency by percentile</h2><p class="meta">HdrHistogram percentile spectrum of each operation: solid lines are corrected latency (from the intended start), dashed lines uncorrected (from the actual send).</p>${spectra(results)}</section>
<section id="latency"><h2>Latency and errors by operation</h2>${latencyTable(results)}</section>
<section id="status"><h2>Status and error breakdown</h2>${statusBreakdown(results)}</section>
<section id="thresholds"><h2>Thresholds</h2>${thresholds(results)}</section>
<section id="findings"><h2>Findings about the system under test</h2>${findings(results)}</section>
<section id="config"><h2>Labels and configuration</h2>${configuration(results)}</section>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

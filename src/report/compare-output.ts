/**
 * Rendering a comparison (`racerig compare`) as text, markdown, CSV or JSON. Text and markdown read
 * like benchstat: median ± half-width of its confidence interval, the change, `~` when not significant.
 */
import type { Comparison, ComparisonRow, SideStats, SideSummary } from '../results/compare.js';
import { formatP, type GateFailure } from '../results/fail-on.js';
import { fmtPct, fmtRate, fmtUs, table } from './format.js';
import { renderCsv, renderMarkdownTable } from './table.js';

/** CompareFormat is an output notation of `racerig compare`. */
export type CompareFormat = 'text' | 'markdown' | 'json' | 'csv';

/** COMPARE_FORMATS lists the accepted `--format` values. */
export const COMPARE_FORMATS: readonly CompareFormat[] = ['text', 'markdown', 'json', 'csv'];

/** Gate is the outcome of the `--fail-on` rules, rendered with the comparison. */
export interface Gate {
  rules: string[];
  failures: GateFailure[];
}

/** formatValue prints a value in its metric's unit: µs as a duration, req/s as a rate, % as a percentage. */
export function formatValue(value: number, unit: ComparisonRow['unit']): string {
  return unit === 'us' ? fmtUs(value) : unit === 'req/s' ? fmtRate(value) : fmtPct(value / 100);
}

function spread(s: SideStats, unit: ComparisonRow['unit']): string {
  if (s.lo === undefined || s.hi === undefined) return '';
  const half = Math.max(s.median - s.lo, s.hi - s.median);
  if (unit === '%') return ` ±${half.toFixed(2)}pp`;
  if (s.median === 0) return half === 0 ? ' ±0%' : ' ±∞';
  return ` ±${Math.round((100 * half) / Math.abs(s.median))}%`;
}

/** UNTESTABLE marks a change that these runs cannot show to be significant (too few runs per side). */
export const UNTESTABLE = '?';

/** formatDelta prints a row's change: signed with its unit, `~` when tested and not significant, followed by `?` when too few runs could not test it. */
export function formatDelta(row: ComparisonRow, mode: Comparison['mode'] = 'runs'): string {
  if (row.significant === false) return '~';
  const untestable = mode === 'runs' && row.significant === null && row.delta !== 0 ? ` ${UNTESTABLE}` : '';
  if (row.delta === null) return (row.candidate.median === 0 ? '0%' : 'new') + untestable;
  const sign = row.delta > 0 ? '+' : '';
  return `${sign}${row.delta.toFixed(2)}${row.deltaUnit}${untestable}`;
}

function pColumn(cmp: Comparison, row: ComparisonRow): string {
  const n = `n=${row.baseline.values.length}+${row.candidate.values.length}`;
  if (cmp.mode === 'runs' && row.significant === null) return `${n}: too few runs to test`;
  return cmp.mode === 'histograms' || row.p === undefined ? n : `p=${formatP(row.p)} ${n}`;
}

/** legend explains the marks the rows use (only those that appear). */
function legend(cmp: Comparison): string[] {
  if (cmp.mode !== 'runs') return [];
  const lines: string[] = [];
  const ci = cmp.rows.some((r) => r.baseline.lo !== undefined) ? `; ±: ${cmp.confidence * 100}% confidence interval of the median` : '';
  if (cmp.rows.some((r) => r.significant === false)) lines.push(`~: no significant difference at alpha ${cmp.alpha} (Mann-Whitney U)${ci}`);
  else if (ci) lines.push(ci.slice(2));
  if (cmp.rows.some((r) => r.significant === null)) {
    lines.push(
      `${UNTESTABLE}: cannot be significant with this many runs, whatever the data: the change is not evidence of a difference ` +
        `(take at least ${cmp.runsNeeded.significance} runs per side: racerig run --repeat ${cmp.runsNeeded.significance})`,
    );
  }
  return lines;
}

function tableRows(cmp: Comparison): string[][] {
  const rows: string[][] = [['subject', 'metric', 'baseline', 'candidate', 'delta', 'p-value']];
  let last = '';
  for (const r of cmp.rows) {
    rows.push([
      r.subject === last ? '' : r.subject,
      r.metric,
      formatValue(r.baseline.median, r.unit) + spread(r.baseline, r.unit),
      formatValue(r.candidate.median, r.unit) + spread(r.candidate, r.unit),
      formatDelta(r, cmp.mode),
      pColumn(cmp, r),
    ]);
    last = r.subject;
  }
  return rows;
}

function describeSide(s: SideSummary): string {
  const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const from = s.kind === 'selector' ? `selector ${s.spec}` : `${s.kind} ${s.spec}`;
  return `${labels || '(no shared labels)'}: ${s.runs} run${s.runs === 1 ? '' : 's'} from ${from}; ${s.profile}`;
}

function findingsLines(cmp: Comparison): string[] {
  const f = cmp.findings;
  if (!f.observed) return [];
  const kinds = [...new Set([...Object.keys(f.baseline), ...Object.keys(f.candidate)])].sort();
  const lines: string[] = [];
  if (kinds.length === 0) lines.push('no findings on either side');
  else {
    lines.push(
      table([
        ['kind', 'baseline', 'candidate'],
        ...kinds.map((k) => [k, String(f.baseline[k] ?? 0), String(f.candidate[k] ?? 0)]),
      ]),
    );
  }
  for (const n of f.newInCandidate) lines.push(`new in candidate: ${n.kind} ${n.count}× in ${n.runs} run(s): ${n.signature}`);
  for (const g of f.goneInCandidate) lines.push(`gone in candidate: ${g}`);
  return lines;
}

function gateLines(gate: Gate | undefined): string[] {
  if (!gate || gate.rules.length === 0) return [];
  if (gate.failures.length === 0) return [`gate passed: ${gate.rules.join('; ')}`];
  return [`gate FAILED (${gate.failures.length}):`, ...gate.failures.map((f) => `  ${f.rule}: ${f.message}`)];
}

/** renderComparison renders a comparison and its gate in the given notation; every notation ends with a newline. */
export function renderComparison(cmp: Comparison, format: CompareFormat, gate?: Gate): string {
  switch (format) {
    case 'json':
      return JSON.stringify({ ...cmp, gate: gate ? { ...gate, passed: gate.failures.length === 0 } : undefined }, null, 2) + '\n';
    case 'csv':
      return renderCsv([
        ['subject', 'metric', 'unit', 'baseline_median', 'baseline_lo', 'baseline_hi', 'baseline_n', 'baseline_merged',
          'candidate_median', 'candidate_lo', 'candidate_hi', 'candidate_n', 'candidate_merged', 'delta', 'delta_unit', 'p', 'significant'],
        ...cmp.rows.map((r) => [
          r.subject, r.metric, r.unit,
          r.baseline.median, r.baseline.lo, r.baseline.hi, r.baseline.values.length, r.baseline.merged,
          r.candidate.median, r.candidate.lo, r.candidate.hi, r.candidate.values.length, r.candidate.merged,
          r.delta, r.deltaUnit, r.p, r.significant,
        ]),
      ]);
    case 'markdown': {
      const out = [
        '## racerig compare',
        '',
        `- **baseline**: ${describeSide(cmp.baseline)}`,
        `- **candidate**: ${describeSide(cmp.candidate)}`,
        `- alpha ${cmp.alpha}, ${cmp.confidence * 100}% confidence intervals of the median; \`~\`: no significant difference` +
          (cmp.rows.some((r) => r.significant === null) && cmp.mode === 'runs' ? `; \`${UNTESTABLE}\`: too few runs to be significant` : ''),
      ];
      // What limits the comparison comes before the numbers it limits.
      if (cmp.warnings.length > 0) out.push('', '### Warnings', '', ...cmp.warnings.map((w) => `- ${w}`));
      out.push('', renderMarkdownTable(tableRows(cmp)));
      const findings = findingsLines(cmp);
      if (findings.length > 0) out.push('', '### Findings', '', '```', ...findings, '```');
      const g = gateLines(gate);
      if (g.length > 0) out.push('', '### Gate', '', '```', ...g, '```');
      return out.join('\n') + '\n';
    }
    case 'text': {
      const out = [`baseline:  ${describeSide(cmp.baseline)}`, `candidate: ${describeSide(cmp.candidate)}`];
      // What limits the comparison (too few runs first) comes before the numbers it limits.
      if (cmp.warnings.length > 0) out.push('', ...cmp.warnings.map((w) => `warning: ${w}`));
      out.push('', table(tableRows(cmp), 2));
      const marks = legend(cmp);
      if (marks.length > 0) out.push('', ...marks);
      const findings = findingsLines(cmp);
      if (findings.length > 0) out.push('', 'findings (race reports, panics, restarts):', ...findings.map((l) => l.replace(/^/gm, '  ')));
      const g = gateLines(gate);
      if (g.length > 0) out.push('', ...g);
      return out.join('\n') + '\n';
    }
  }
}

/** A run's result as GitHub markdown (`racerig report --format markdown`), for pull requests and issues. */
import type { LoadedResult } from '../results/read-result.js';
import { renderMarkdownTable } from './table.js';
import { formatCount, formatMicros, formatPercent, formatRate } from './units.js';

/** renderResultMarkdown renders one result: facts, a latency table per operation (corrected and uncorrected), statuses, thresholds, findings. */
export function renderResultMarkdown(loaded: LoadedResult): string {
  const r = loaded.result;
  const t = r.totals;
  const labels = Object.entries(r.labels).map(([k, v]) => `\`${k}=${v}\``).join(' ');
  const out = [
    `## racerig: ${r.name}${r.partial ? ' (partial)' : ''}`,
    '',
    `- **target**: ${r.target.url} (${r.target.kind}${r.target.serverVersion ? `, ${r.target.serverVersion}` : ''})`,
    `- **started**: ${r.startedAt}, **duration**: ${r.durationSeconds}s`,
    `- **requests**: ${formatCount(t.requests)} at ${formatRate(t.achievedRate)}, **errors**: ${formatCount(t.errors)} (${formatPercent(t.requests ? (100 * t.errors) / t.requests : 0)}), **dropped**: ${formatCount(t.dropped)}`,
  ];
  if (labels) out.push(`- **labels**: ${labels}`);
  if (r.profile) out.push(`- **profile**: ${r.profile.name} (sha256 \`${r.profile.sha256.slice(0, 12)}\`)`);
  out.push(`- **file**: \`${loaded.file}\``, '');
  const rows = [['operation', 'requests', 'rate', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors', 'dropped']];
  for (const op of r.operations) {
    const l = op.latencyUs;
    const u = op.uncorrectedLatencyUs;
    rows.push([op.name, formatCount(op.requests), formatRate(op.achievedRate), ...[l.p50, l.p90, l.p99, l.p999, l.max].map(formatMicros), formatCount(op.errors), formatCount(op.dropped)]);
    if (u.p50 !== l.p50 || u.p99 !== l.p99 || u.max !== l.max) {
      rows.push(['↳ uncorrected', '', '', ...[u.p50, u.p90, u.p99, u.p999, u.max].map(formatMicros), '', '']);
    }
  }
  out.push(renderMarkdownTable(rows));
  const statuses = r.operations
    .map((op) => {
      const parts = [...Object.entries(op.status).map(([c, n]) => `${c}×${formatCount(n)}`), ...Object.entries(op.errorKinds).map(([k, n]) => `${k}×${formatCount(n)}`)];
      return parts.length ? `- ${op.name}: ${parts.join(', ')}` : '';
    })
    .filter(Boolean);
  if (statuses.length) out.push('', '**Status codes and transport errors**', '', ...statuses);
  if (r.thresholds?.length) {
    out.push('', '**Thresholds**', '', ...r.thresholds.map((th) => `- ${th.passed ? '✅' : '❌'} \`${th.expression}\`${th.actual !== undefined ? ` (actual ${th.actual})` : ''}`));
  }
  if (r.findings?.length) out.push('', '**Findings**', '', ...r.findings.map((f) => `- ${f.kind} ×${f.count}: \`${f.signature}\``));
  return out.join('\n') + '\n';
}

/** A run's result as GitHub markdown (`racerig report --format markdown`), for pull requests and issues. */
import type { LoadedResult } from '../results/read-result.js';
import { renderMarkdownTable } from './table.js';
import { fmtInt, fmtPct, fmtRate, fmtUs } from './format.js';
import { formatThresholdActual } from './threshold-actual.js';

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
    `- **requests**: ${fmtInt(t.requests)} at ${fmtRate(t.achievedRate)}, **errors**: ${fmtInt(t.errors)} (${fmtPct(t.requests ? t.errors / t.requests : 0)}), **dropped**: ${fmtInt(t.dropped)}`,
  ];
  if (labels) out.push(`- **labels**: ${labels}`);
  if (r.profile) out.push(`- **profile**: ${r.profile.name} (sha256 \`${r.profile.sha256.slice(0, 12)}\`)`);
  out.push(`- **file**: \`${loaded.file}\``, '');
  const rows = [['operation', 'requests', 'rate', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors', 'dropped']];
  for (const op of r.operations) {
    const l = op.latencyUs;
    const u = op.uncorrectedLatencyUs;
    rows.push([op.name, fmtInt(op.requests), fmtRate(op.achievedRate), ...[l.p50, l.p90, l.p99, l.p999, l.max].map(fmtUs), fmtInt(op.errors), fmtInt(op.dropped)]);
    if (u.p50 !== l.p50 || u.p99 !== l.p99 || u.max !== l.max) {
      rows.push(['↳ uncorrected', '', '', ...[u.p50, u.p90, u.p99, u.p999, u.max].map(fmtUs), '', '']);
    }
  }
  out.push(renderMarkdownTable(rows));
  const statuses = r.operations
    .map((op) => {
      const parts = [...Object.entries(op.status).map(([c, n]) => `${c}×${fmtInt(n)}`), ...Object.entries(op.errorKinds).map(([k, n]) => `${k}×${fmtInt(n)}`)];
      return parts.length ? `- ${op.name}: ${parts.join(', ')}` : '';
    })
    .filter(Boolean);
  if (statuses.length) out.push('', '**Status codes and transport errors**', '', ...statuses);
  if (r.thresholds?.length) {
    out.push('', '**Thresholds**', '', ...r.thresholds.map((th) => `- ${th.passed ? '✅' : '❌'} \`${th.expression}\`${th.actual !== undefined ? ` (actual ${formatThresholdActual(th)})` : ''}`));
  }
  if (r.findings?.length) out.push('', '**Findings**', '', ...r.findings.map((f) => `- ${f.kind} ×${f.count}: \`${f.signature}\``));
  return out.join('\n') + '\n';
}

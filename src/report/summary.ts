/** The terminal summary of a run, rendered from its result file (so `report` shows the same). */
import type { RunResult, OperationResult } from '../results/model.js';
import { fmtInt, fmtPct, fmtRate, fmtUs, table } from './format.js';
import { formatThresholdActual } from './threshold-actual.js';

/** SummaryOptions adjust the summary. */
export interface SummaryOptions {
  /** Omit the header line (when the caller prints its own). */
  noHeader?: boolean;
}

/** renderSummary renders a run's result as plain text: totals, then one table row per operation. */
export function renderSummary(result: RunResult, options: SummaryOptions = {}): string {
  const out: string[] = [];
  const t = result.totals;
  const cfg = result.config as Record<string, unknown>;
  if (!options.noHeader) {
    const model = typeof cfg.model === 'string' ? cfg.model : '';
    const labels = Object.entries(result.labels).map(([k, v]) => `${k}=${v}`).join(' ');
    out.push(
      `racerig ${result.name} → ${result.target.url}${model ? `  (${model})` : ''}${labels ? `  [${labels}]` : ''}` +
        (result.partial ? `  PARTIAL: ${result.stoppedBy ?? 'stopped early'}` : ''),
      ...(result.warnings ?? []).map((w) => `  WARNING: ${w}`),
    );
  }
  out.push(
    `duration ${result.durationSeconds.toFixed(2)}s  requests ${fmtInt(t.requests)}  rate ${fmtRate(t.achievedRate)}  ` +
      `errors ${fmtInt(t.errors)} (${fmtPct(t.requests ? t.errors / t.requests : 0)})  dropped ${fmtInt(t.dropped)}`,
  );
  if (result.schedule) {
    const s = result.schedule;
    out.push(`schedule: start lateness p50 ${fmtUs(s.lateUs.p50)}  p99 ${fmtUs(s.lateUs.p99)}  max ${fmtUs(s.lateUs.max)}  (${fmtInt(s.startedLate)} started ≥1ms late)`);
  }
  out.push('');
  const rows: string[][] = [['operation', 'requests', 'rate', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors', 'dropped']];
  const requestOps = result.operations.filter((op) => !op.measurement);
  for (const op of requestOps) {
    rows.push(latencyRow(op.name, op, op.latencyUs));
    if (differs(op)) rows.push(latencyRow('  (uncorrected)', null, op.uncorrectedLatencyUs));
  }
  out.push(table(rows));
  const measured = result.operations.filter((op) => op.measurement);
  if (measured.length) {
    // Samples of something other than a request (watch delivery lag, client-side limiter waits): not in the totals.
    const mrows: string[][] = [['measurement', 'samples', 'p50', 'p90', 'p99', 'p99.9', 'max']];
    for (const op of measured) {
      const l = op.latencyUs;
      mrows.push([op.name, fmtInt(op.requests), fmtUs(l.p50), fmtUs(l.p90), fmtUs(l.p99), fmtUs(l.p999), fmtUs(l.max)]);
    }
    out.push('');
    out.push(table(mrows));
  }
  for (const op of requestOps) {
    const status = Object.entries(op.status).map(([code, n]) => `${code}×${fmtInt(n)}`).join('  ') +
      (op.reasons && Object.keys(op.reasons).length ? `  (${Object.entries(op.reasons).map(([r, n]) => `${r}×${fmtInt(n)}`).join('  ')})` : '');
    const kinds = Object.entries(op.errorKinds).map(([k, n]) => `${k}×${fmtInt(n)}`).join('  ');
    if (status || kinds) {
      out.push(`${op.name}: ${status ? `status ${status}` : ''}${status && kinds ? '  ' : ''}${kinds ? `transport errors ${kinds}` : ''}`);
    }
  }
  const watched = result.operations.filter((op) => op.watch);
  if (watched.length) {
    out.push('');
    const wrows: string[][] = [['watch events', 'total', 'rate', 'ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR', 'relists', '410s', 'rewatches']];
    for (const op of watched) {
      const w = op.watch!;
      const total = Object.values(w.events).reduce((a, n) => a + n, 0);
      const e = (t: string) => fmtInt(w.events[t] ?? 0);
      wrows.push([op.name, fmtInt(total), fmtRate(total / Math.max(result.durationSeconds, 1e-9)), e('ADDED'), e('MODIFIED'), e('DELETED'), e('BOOKMARK'), e('ERROR'), fmtInt(w.relists), fmtInt(w.expired), fmtInt(w.rewatches)]);
    }
    out.push(table(wrows));
  }
  if (result.shard) {
    const sh = result.shard;
    out.push(`shard ${sh.index} of ${sh.count}${sh.startAt ? `, start at ${sh.startAt}` : ''}${sh.startLatenessMs !== undefined ? ` (ready ${sh.startLatenessMs.toFixed(1)} ms late)` : ''}`);
  }
  if (result.shards?.length) {
    out.push('');
    const clock = result.shards.some((sh) => sh.clockOffsetMs !== undefined);
    const srows: string[][] = [['shard', 'requests', 'errors', 'dropped', 'late', ...(clock ? ['clock'] : []), 'started', 'host', '']];
    for (const sh of result.shards) {
      const offset = clock ? [sh.clockOffsetMs !== undefined ? `${sh.clockOffsetMs > 0 ? '+' : ''}${sh.clockOffsetMs.toFixed(1)}ms` : ''] : [];
      srows.push([String(sh.index), fmtInt(sh.requests), fmtInt(sh.errors), fmtInt(sh.dropped), sh.startLatenessMs !== undefined ? `${sh.startLatenessMs.toFixed(1)}ms` : '', ...offset, sh.startedAt, sh.host ?? '', sh.partial ? `partial: ${sh.stoppedBy ?? ''}` : '']);
    }
    out.push(table(srows));
  }
  if (result.lifecycles?.length) {
    out.push('');
    const lrows: string[][] = [['lifecycle', 'objects', 'p50', 'p90', 'p99', 'max']];
    for (const l of result.lifecycles) {
      const x = l.latencyUs;
      lrows.push([l.name, fmtInt(x.count), fmtUs(x.p50), fmtUs(x.p90), fmtUs(x.p99), fmtUs(x.max)]);
    }
    out.push(table(lrows));
  }
  if (result.iterations) {
    const it = result.iterations;
    const reasons = Object.entries(it.failures).map(([k, n]) => `${k} ×${fmtInt(n)}`).join('; ');
    const by = Object.entries(it.byComponent ?? {});
    const perComponent = by.length > 1 ? `  — ${by.map(([c, n]) => `${c} ${fmtInt(n.completed)}${n.failed ? ` (+${fmtInt(n.failed)} failed)` : ''}`).join(', ')}` : '';
    out.push(`iterations: ${fmtInt(it.completed)} completed, ${fmtInt(it.failed)} failed${reasons ? ` (${reasons})` : ''}${perComponent}`);
  }
  if (result.retries && (result.retries.retries > 0 || result.retries.exhausted > 0)) {
    out.push(`429 Too Many Requests: ${fmtInt(result.retries.retries)} retried after Retry-After, ${fmtInt(result.retries.exhausted)} still 429 after 3 retries`);
  }
  if (result.integrity) {
    const ig = result.integrity;
    out.push(
      ig.ok
        ? `integrity: OK — ${fmtInt(ig.compared)} responses match the mock's /metrics per resource and status code`
        : `integrity: MISMATCH against the mock's /metrics: ${ig.mismatches.join('; ')}`,
    );
  }
  if (result.sut) {
    const s = result.sut;
    const unexpected = s.exits.filter((e) => !e.requested);
    out.push(
      `system under test: ${s.command.join(' ')}` +
        `\n  ${fmtInt(s.starts)} start${s.starts === 1 ? '' : 's'}, ${fmtInt(s.restarts)} restart${s.restarts === 1 ? '' : 's'}, ${fmtInt(unexpected.length)} exit${unexpected.length === 1 ? '' : 's'} during the run` +
        (s.readyMs !== undefined ? `, ready after ${fmtInt(s.readyMs)} ms` : '') +
        `; output: ${s.logFile}`,
    );
  }
  if (result.findings) {
    if (result.findings.length === 0) out.push('findings: none (no race report, panic, fatal error, exit or restart seen)');
    else {
      const byKind = new Map<string, number>();
      for (const f of result.findings) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + f.count);
      out.push(`findings: ${[...byKind].map(([k, n]) => `${k} ×${fmtInt(n)}`).join(', ')} (${result.findings.length} signature${result.findings.length === 1 ? '' : 's'})`);
      for (const f of result.findings) out.push(`  ${f.kind.padEnd(7)} ×${String(f.count).padEnd(4)} ${f.message}${f.phase ? `  [${f.phase}]` : ''}`);
    }
  }
  if (result.thresholds?.length) {
    out.push('');
    for (const th of result.thresholds) out.push(`${th.passed ? '✓' : '✗'} ${th.expression}${th.actual !== undefined ? `  (actual ${formatThresholdActual(th)})` : ''}`);
  }
  return out.join('\n') + '\n';
}

function differs(op: OperationResult): boolean {
  const a = op.latencyUs;
  const b = op.uncorrectedLatencyUs;
  return a.p50 !== b.p50 || a.p90 !== b.p90 || a.p99 !== b.p99 || a.p999 !== b.p999 || a.max !== b.max;
}

function latencyRow(name: string, op: OperationResult | null, l: OperationResult['latencyUs']): string[] {
  return [
    name,
    op ? fmtInt(op.requests) : '',
    op ? fmtRate(op.achievedRate) : '',
    fmtUs(l.p50),
    fmtUs(l.p90),
    fmtUs(l.p99),
    fmtUs(l.p999),
    fmtUs(l.max),
    op ? `${fmtInt(op.errors)}` : '',
    op ? fmtInt(op.dropped) : '',
  ];
}

/**
 * `--fail-on` rules: a comparison gate. Grammar (documented in docs/results.md):
 *
 *   rule       = "new-findings" | metric [ "[" subject "]" ] comparator change
 *   metric     = "throughput" | "p50" | "p90" | "p99" | "p99.9" | "p999" | "errors" | "dropped"
 *   comparator = ">" | ">=" | "<" | "<="
 *   change     = [ "+" | "-" ] number ( "%" | "pp" )
 *
 * e.g. `p99 > +10%`, `throughput < -5%`, `errors > +0.5pp`, `p99[GET /api/v1/pods] >= 20%`.
 */
import { UsageError } from '../errors.js';
import { METRICS, type MetricId } from './run-metrics.js';
import type { Comparison, ComparisonRow } from './compare.js';

/** FailRule is one parsed `--fail-on` rule. */
export type FailRule =
  | { kind: 'new-findings'; text: string }
  | {
      kind: 'metric';
      text: string;
      metric: MetricId;
      /** Only this subject (operation, `lifecycle: <name>`, `all`); every subject when absent. */
      subject?: string;
      comparator: '>' | '>=' | '<' | '<=';
      /** Threshold of the change, in `unit`. */
      threshold: number;
      /** "%" (relative to the baseline) or "pp" (percentage points, for errors and dropped). */
      unit: '%' | 'pp';
    };

/** GateFailure is one rule a comparison broke, with the row (or findings) that broke it. */
export interface GateFailure {
  rule: string;
  /** A sentence for a person: what changed, by how much, and how sure. */
  message: string;
  subject?: string;
  metric?: MetricId;
}

const RULE = /^\s*([a-z0-9.]+)\s*(?:\[\s*(.+?)\s*\])?\s*(>=|<=|>|<)\s*([+-]?\d+(?:\.\d+)?)\s*(%|pp)\s*$/i;
const GRAMMAR_HINT = 'rules look like `p99 > +10%`, `throughput < -5%`, `errors > +0.5pp`, `p99[GET /api/v1/pods] > 20%` or `new-findings`';

/** parseFailRule parses one `--fail-on` rule; throws UsageError naming what is wrong. */
export function parseFailRule(text: string): FailRule {
  if (/^\s*new-findings\s*$/i.test(text)) return { kind: 'new-findings', text: text.trim() };
  const m = RULE.exec(text);
  if (!m) throw new UsageError(`invalid --fail-on rule "${text}"`, GRAMMAR_HINT);
  const name = m[1]!.toLowerCase() === 'p999' ? 'p99.9' : m[1]!.toLowerCase();
  const def = METRICS.find((d) => d.id === name);
  if (!def) {
    throw new UsageError(`invalid --fail-on rule "${text}": unknown metric "${m[1]}"`, `metrics: ${METRICS.map((d) => d.id).join(', ')}`);
  }
  const unit = m[5]!.toLowerCase() as '%' | 'pp';
  if (unit !== def.deltaUnit) {
    throw new UsageError(
      `invalid --fail-on rule "${text}": ${def.id} changes are measured in ${def.deltaUnit === 'pp' ? 'percentage points (pp)' : 'percent (%)'}`,
      `write e.g. \`${def.id} > +${def.deltaUnit === 'pp' ? '0.5pp' : '10%'}\``,
    );
  }
  return {
    kind: 'metric',
    text: text.trim(),
    metric: def.id,
    subject: m[2],
    comparator: m[3] as '>' | '>=' | '<' | '<=',
    threshold: Number(m[4]),
    unit,
  };
}

function crosses(value: number, comparator: '>' | '>=' | '<' | '<=', threshold: number): boolean {
  switch (comparator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/** rowChange returns a row's change for rule checks: its delta, or ±Infinity when the baseline was 0 and the candidate is not. */
export function rowChange(row: ComparisonRow): number {
  if (row.delta !== null) return row.delta;
  return row.candidate.median > row.baseline.median ? Infinity : row.candidate.median < row.baseline.median ? -Infinity : 0;
}

/**
 * evaluateRules returns every rule the comparison breaks. A metric rule breaks on a row whose change
 * crosses the threshold and that is significant at alpha; when the runs are too few to test
 * significance (including one run per side), the change alone decides.
 */
export function evaluateRules(cmp: Comparison, rules: readonly FailRule[]): GateFailure[] {
  const failures: GateFailure[] = [];
  for (const rule of rules) {
    if (rule.kind === 'new-findings') {
      for (const f of cmp.findings.newInCandidate) {
        failures.push({ rule: rule.text, message: `new ${f.kind} in the candidate (${f.count}× in ${f.runs} run(s)): ${f.signature}` });
      }
      continue;
    }
    let matched = false;
    for (const row of cmp.rows) {
      if (row.metric !== rule.metric) continue;
      if (rule.subject !== undefined && row.subject !== rule.subject) continue;
      matched = true;
      const change = rowChange(row);
      if (!crosses(change, rule.comparator, rule.threshold) || row.significant === false) continue;
      const how =
        row.significant === true ? `p=${formatP(row.p!)} < alpha ${cmp.alpha}` : 'not tested for significance: too few runs';
      const amount = Number.isFinite(change) ? `${change > 0 ? '+' : ''}${change.toFixed(2)}${rule.unit}` : 'from 0';
      failures.push({
        rule: rule.text,
        subject: row.subject,
        metric: row.metric,
        message: `${row.subject} ${row.metric} changed ${amount} (${how})`,
      });
    }
    if (!matched && rule.subject !== undefined) {
      const subjects = [...new Set(cmp.rows.map((r) => r.subject))];
      throw new UsageError(`--fail-on rule "${rule.text}": no compared ${rule.metric} for "${rule.subject}"`, `subjects: ${subjects.join(', ')}`);
    }
  }
  return failures;
}

/** formatP prints a p-value with three decimals, or in scientific notation below 0.001. */
export function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}

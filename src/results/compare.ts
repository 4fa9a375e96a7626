/**
 * Comparing two sets of runs like benchstat: for each subject (operation, lifecycle, `all`) and
 * metric, each side's median with its confidence interval, the change, and a Mann–Whitney U
 * p-value; with one run per side, the runs' HdrHistograms are compared directly.
 */
import { mannWhitneyU, minimumTwoSidedP, runsNeededForSignificance } from './mann-whitney.js';
import { medianConfidenceInterval, samplesNeededForInterval } from './median-ci.js';
import { mergeHistograms } from './merge-histograms.js';
import type * as hdr from 'hdr-histogram-js';
import { ALL_OPERATIONS, METRICS, runHistograms, runMetrics, type MetricDef, type MetricId, type SubjectMetrics } from './run-metrics.js';
import { checkComparable, profileKey } from './comparable.js';
import { compareFindings, type FindingsComparison } from './findings-diff.js';
import type { LoadedResult } from './read-result.js';
import type { ResultSet } from './select-results.js';

/** COMPARISON_SCHEMA identifies the JSON form of a comparison (`racerig compare --format json`). */
export const COMPARISON_SCHEMA = 'racerig/compare@1';

/** SideStats summarizes one side of one metric; values are in the metric's unit. */
export interface SideStats {
  /** One value per run that measured the subject, in run order. */
  values: number[];
  median: number;
  /** Confidence interval of the median (order statistics); absent when there are too few runs. */
  lo?: number;
  hi?: number;
  /** For latency metrics: the percentile of the side's merged HdrHistogram (all runs' samples together), µs. */
  merged?: number;
}

/** ComparisonRow is one subject and metric compared. */
export interface ComparisonRow {
  /** Operation name, `lifecycle: <name>`, or `all` for every operation together. */
  subject: string;
  metric: MetricId;
  unit: MetricDef['unit'];
  baseline: SideStats;
  candidate: SideStats;
  /** Candidate minus baseline: in percent of the baseline ("%") or in percentage points ("pp"); null when the baseline is 0. */
  delta: number | null;
  deltaUnit: MetricDef['deltaUnit'];
  /** Two-sided Mann–Whitney U p-value; absent with one run per side. */
  p?: number;
  /** true/false when the runs suffice to test at alpha; null when they cannot reach significance. */
  significant: boolean | null;
  /** Whether the change is for the worse (slower, fewer req/s, more errors), regardless of significance. */
  worse: boolean;
}

/** SideSummary describes the runs of one side. */
export interface SideSummary {
  spec: string;
  kind: ResultSet['kind'];
  files: string[];
  runs: number;
  /** Labels every run of the side shares. */
  labels: Record<string, string>;
  /** Runs that were stopped early. */
  partialRuns: number;
  profile: string;
}

/** Comparison is the whole outcome of `racerig compare`, also its JSON output. */
export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  /** "runs" (median of repeated runs, Mann–Whitney U) or "histograms" (one run per side, HdrHistograms compared directly). */
  mode: 'runs' | 'histograms';
  alpha: number;
  /** Confidence level of the intervals (0.95). */
  confidence: number;
  baseline: SideSummary;
  candidate: SideSummary;
  rows: ComparisonRow[];
  findings: FindingsComparison;
  /** Things that limit what the comparison can say (too few runs, partial runs, different machines). */
  warnings: string[];
  /** Runs each side needs for significance at alpha (equal sizes), and for confidence intervals. */
  runsNeeded: { significance: number; interval: number };
}

/** CompareOptions are the knobs of a comparison. */
export interface CompareOptions {
  /** Significance level (default 0.05). */
  alpha?: number;
  /** Confidence level of the median intervals (default 0.95). */
  confidence?: number;
  /** Compare even when the runs come from different profiles (adds a warning instead of failing). */
  ignoreProfile?: boolean;
}

function commonLabels(runs: readonly LoadedResult[]): Record<string, string> {
  const first = runs[0]?.result.labels ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) if (runs.every((r) => r.result.labels[k] === v)) out[k] = v;
  return out;
}

function summarizeSide(set: ResultSet): SideSummary {
  return {
    spec: set.spec,
    kind: set.kind,
    files: set.runs.map((r) => r.file),
    runs: set.runs.length,
    labels: commonLabels(set.runs),
    partialRuns: set.runs.filter((r) => r.result.partial).length,
    profile: [...new Set(set.runs.map(profileKey))].join(', '),
  };
}

function delta(def: MetricDef, base: number, cand: number): number | null {
  if (def.deltaUnit === 'pp') return cand - base;
  if (base === 0) return cand === 0 ? 0 : null;
  return ((cand - base) / base) * 100;
}

const PERCENTILE_OF: Partial<Record<MetricId, number>> = { p50: 50, p90: 90, p99: 99, 'p99.9': 99.9 };

/** Config keys that may differ between runs of one workload: where it was sent and written, and `runId`, which differs in every profile run. */
const CONFIG_IGNORED = new Set(['url', 'headers', 'out', 'output', 'label', 'labels', 'hgrm', 'quiet', 'runId']);

function environmentWarnings(base: readonly LoadedResult[], cand: readonly LoadedResult[]): string[] {
  const out: string[] = [];
  const describe = (runs: readonly LoadedResult[], pick: (r: LoadedResult) => string | number | undefined) =>
    [...new Set(runs.map(pick))].join('/');
  const checks: [string, (r: LoadedResult) => string | number | undefined][] = [
    ['CPUs', (r) => r.result.environment?.cpus],
    ['Node.js', (r) => r.result.environment?.node],
    ['racerig', (r) => r.result.environment?.racerigVersion],
    ['target kind', (r) => r.result.target?.kind],
  ];
  // Options that change the load (rate, connections, duration ...); the URL and headers may differ between runs of one workload.
  const keys = new Set([...base, ...cand].flatMap((r) => Object.keys(r.result.config ?? {})));
  for (const key of [...keys].filter((k) => !CONFIG_IGNORED.has(k)).sort()) {
    checks.push([`config ${key}`, (r) => JSON.stringify(r.result.config?.[key] ?? null)]);
  }
  for (const [what, pick] of checks) {
    const b = describe(base, pick);
    const c = describe(cand, pick);
    if (b !== c) out.push(`the sides ran with different ${what}: baseline ${b}, candidate ${c}`);
  }
  return out;
}

/**
 * streamWarnings names stream operations (watches, followed logs, exec sessions) whose latency means
 * different things on the two sides: time to establish in files that record streams apart
 * (`streamDuration`), the whole stream in older files.
 */
function streamWarnings(base: readonly LoadedResult[], cand: readonly LoadedResult[]): string[] {
  const kind = (runs: readonly LoadedResult[], name: string) => {
    const ops = runs.flatMap((r) => r.result.operations.filter((o) => o.name === name));
    return new Set(ops.map((o) => (o.streamDuration ? 'establish' : 'whole')));
  };
  const names = new Set([...base, ...cand].flatMap((r) => r.result.operations.filter((o) => o.streamDuration).map((o) => o.name)));
  const out: string[] = [];
  for (const name of names) {
    const b = kind(base, name);
    const c = kind(cand, name);
    if (b.size + c.size > 0 && (b.size > 1 || c.size > 1 || [...b][0] !== [...c][0])) {
      out.push(
        `${name}: its latency is the time to establish each stream in results that record streams apart, but the whole stream in older ones, ` +
          `and both are compared here (baseline: ${[...b].join('/') || 'none'}, candidate: ${[...c].join('/') || 'none'}); its latency rows do not compare`,
      );
    }
  }
  return out;
}

function sampleWarnings(base: readonly LoadedResult[], cand: readonly LoadedResult[], alpha: number, confidence: number, needed: Comparison['runsNeeded']): string[] {
  const warnings: string[] = [];
  if (base.length === 1 && cand.length === 1) {
    warnings.push(
      `one run per side: the runs' HdrHistograms are compared directly; significance needs repeated runs ` +
        `(at least ${needed.significance} per side at alpha ${alpha}: racerig run --repeat ${needed.significance})`,
    );
  } else {
    if (minimumTwoSidedP(base.length, cand.length) >= alpha) {
      warnings.push(
        `too few runs for significance at alpha ${alpha}: baseline has ${base.length}, candidate has ${cand.length}; ` +
          `need at least ${needed.significance} per side (racerig run --repeat ${needed.significance})`,
      );
    }
    if (Math.min(base.length, cand.length) < needed.interval) {
      warnings.push(`confidence intervals (${confidence * 100}%) need at least ${needed.interval} runs per side (baseline has ${base.length}, candidate has ${cand.length})`);
    }
  }
  for (const [side, runs] of [['baseline', base], ['candidate', cand]] as const) {
    const partial = runs.filter((r) => r.result.partial);
    if (partial.length > 0) {
      warnings.push(`${side} includes ${partial.length} partial run(s) that stopped early: ${partial.map((r) => r.file).join(', ')}`);
    }
  }
  const shared = base.filter((b) => cand.some((c) => c.file === b.file));
  if (shared.length > 0) warnings.push(`${shared.length} run(s) are on both sides: ${shared.map((r) => r.file).join(', ')}`);
  return warnings;
}

function sideStats(def: MetricDef, values: number[], merged: hdr.Histogram, confidence: number): SideStats {
  const ci = medianConfidenceInterval(values, confidence);
  const s: SideStats = { values, median: ci.median };
  if (ci.lo !== undefined && ci.hi !== undefined) {
    s.lo = ci.lo;
    s.hi = ci.hi;
  }
  const pct = PERCENTILE_OF[def.id];
  if (pct !== undefined && merged.totalCount > 0) s.merged = merged.getValueAtPercentile(pct);
  return s;
}

/** compareSets compares two sets of runs; throws NotComparableError when they ran different profiles (unless ignoreProfile). */
export function compareSets(baselineSet: ResultSet, candidateSet: ResultSet, options: CompareOptions = {}): Comparison {
  const alpha = options.alpha ?? 0.05;
  const confidence = options.confidence ?? 0.95;
  const base = baselineSet.runs;
  const cand = candidateSet.runs;
  const warnings: string[] = [];
  if (options.ignoreProfile) {
    try {
      checkComparable(base, cand);
    } catch (err) {
      warnings.push(`${(err as Error).message.split('\n')[0]} (compared anyway: --ignore-profile)`);
    }
  } else checkComparable(base, cand);

  const mode = base.length === 1 && cand.length === 1 ? 'histograms' : 'runs';
  const runsNeeded = { significance: runsNeededForSignificance(alpha), interval: samplesNeededForInterval(confidence) };
  // Too few runs limits every row: that warning goes first.
  warnings.unshift(...sampleWarnings(base, cand, alpha, confidence, runsNeeded));
  warnings.push(...environmentWarnings(base, cand), ...streamWarnings(base, cand));

  const baseMetrics = base.map((r) => runMetrics(r.result));
  const candMetrics = cand.map((r) => runMetrics(r.result));
  const baseHist = base.map((r) => runHistograms(r.result));
  const candHist = cand.map((r) => runHistograms(r.result));
  const subjects: string[] = [];
  for (const m of [...baseMetrics, ...candMetrics]) for (const s of m.keys()) if (!subjects.includes(s)) subjects.push(s);
  // With a single operation (and no lifecycles), `all` would repeat it row for row.
  if (subjects.length === 2 && subjects[0] === ALL_OPERATIONS) subjects.shift();
  const valuesOf = (metrics: SubjectMetrics[], subject: string, id: MetricId) =>
    metrics.flatMap((m) => (m.get(subject)?.has(id) ? [m.get(subject)!.get(id)!] : []));

  const rows: ComparisonRow[] = [];
  for (const subject of subjects) {
    const inBase = baseMetrics.some((m) => m.has(subject));
    const inCand = candMetrics.some((m) => m.has(subject));
    if (!inBase || !inCand) {
      warnings.push(`${subject} ran only in the ${inBase ? 'baseline' : 'candidate'}`);
      continue;
    }
    const mergedBase = mergeHistograms(baseHist.flatMap((h) => h.get(subject) ?? []));
    const mergedCand = mergeHistograms(candHist.flatMap((h) => h.get(subject) ?? []));
    for (const def of METRICS) {
      const bv = valuesOf(baseMetrics, subject, def.id);
      const cv = valuesOf(candMetrics, subject, def.id);
      if (bv.length === 0 || cv.length === 0) continue;
      // With one run a side the medians are the runs' own values: the percentiles of their histograms.
      const b = sideStats(def, bv, mergedBase, confidence);
      const c = sideStats(def, cv, mergedCand, confidence);
      const d = delta(def, b.median, c.median);
      const row: ComparisonRow = {
        subject,
        metric: def.id,
        unit: def.unit,
        baseline: b,
        candidate: c,
        delta: d === null ? null : round(d, 6),
        deltaUnit: def.deltaUnit,
        significant: null,
        worse: def.higherIsBetter ? c.median < b.median : c.median > b.median,
      };
      if (mode === 'runs') {
        const test = mannWhitneyU(bv, cv);
        row.p = test.p;
        if (minimumTwoSidedP(bv.length, cv.length) < alpha) row.significant = test.p < alpha;
      }
      rows.push(row);
    }
  }
  return {
    schema: COMPARISON_SCHEMA,
    mode,
    alpha,
    confidence,
    baseline: summarizeSide(baselineSet),
    candidate: summarizeSide(candidateSet),
    rows,
    findings: compareFindings(base, cand),
    warnings,
    runsNeeded,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * What every scenario shares: the context it runs in, the report it returns, and the A B A B
 * alternation of tool runs with per-pair racerig/peer ratios.
 */
import type { Target } from '../targets/target.js';
import type { LoadSpec, Tool, ToolResult } from '../tools/tool.js';
import { median, pairRatios } from '../report/stats.js';
import { ms, num, ratio, table } from '../report/markdown.js';

/** BenchContext is what a scenario may use; runs are sequential, never concurrent. */
export interface BenchContext {
  quick: boolean;
  /** Arrival rate of the coordinated-omission scenario, requests/s (connections follow from it). */
  coRate: number;
  /** The throughput target (nginx, else the Node server), shared by the scenarios that need one. */
  target: Target;
  /** Tools that are installed, racerig first. */
  tools: Tool[];
  log(line: string): void;
  /** Runs that failed, with their error, for the report (a failed run never becomes a number). */
  failures: string[];
}

/** Check is one of issue 5's targets, evaluated on this run's numbers. */
export interface Check {
  target: string;
  measured: string;
  /** null when it could not be evaluated (a tool missing, a run failed). */
  met: boolean | null;
}

/** ScenarioReport is one section of bench/results.md. */
export interface ScenarioReport {
  id: string;
  title: string;
  /** Markdown blocks: what was run, tables, notes. */
  body: string[];
  /** One exact command per tool variant, as run. */
  commands: string[];
  checks: Check[];
  /** Every run's parsed result, for `--json` (memory samples left out). */
  raw?: unknown;
}

/** Scenario runs one benchmark scenario. */
export type Scenario = (ctx: BenchContext) => Promise<ScenarioReport>;

/** Variant is one tool with the spec it is given. */
export interface Variant {
  tool: Tool;
  spec: LoadSpec;
}

/** Rounds maps a variant label to its results, index = round (null where the run failed). */
export type Rounds = Map<string, (ToolResult | null)[]>;

/** runOnce runs one variant, logging it; a failure is recorded in ctx.failures and returns null. */
export async function runOnce(ctx: BenchContext, v: Variant, note = ''): Promise<ToolResult | null> {
  const label = v.tool.label(v.spec);
  const started = Date.now();
  try {
    const r = await v.tool.run(v.spec);
    ctx.log(`  ${label}${note}: ${num(r.requestsPerSec)} req/s, p99 ${ms(r.p99Ms)} ms, cpu ${num(r.cpuSeconds, 2)} s (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return r;
  } catch (err) {
    const message = (err as Error).message.split('\n').slice(0, 6).join(' / ');
    ctx.log(`  ${label}${note}: FAILED: ${message}`);
    ctx.failures.push(`${label}${note}: ${message}`);
    return null;
  }
}

/** alternate runs the variants in order, round after round (racerig, peer, racerig, peer, …). */
export async function alternate(ctx: BenchContext, variants: Variant[], rounds: number, note = ''): Promise<Rounds> {
  const out: Rounds = new Map(variants.map((v) => [v.tool.label(v.spec), []]));
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      out.get(v.tool.label(v.spec))?.push(await runOnce(ctx, v, `${note} [round ${round + 1}/${rounds}]`));
    }
  }
  return out;
}

/** variantsFor pairs every available tool that supports `spec` with it (specOf may adjust it per tool). */
export function variantsFor(ctx: BenchContext, specOf: (tool: Tool) => LoadSpec | undefined): Variant[] {
  const out: Variant[] = [];
  for (const tool of ctx.tools) {
    const spec = specOf(tool);
    if (spec && tool.supports(spec)) out.push({ tool, spec });
  }
  return out;
}

/** commandsOf returns the command of the first successful run of each variant. */
export function commandsOf(rounds: Rounds): string[] {
  const out: string[] = [];
  for (const results of rounds.values()) {
    const r = results.find((x) => x !== null);
    if (r) out.push(r.command);
  }
  return out;
}

/** rawOf lists every run of every variant for `--json`, without the memory samples. */
export function rawOf(rounds: Rounds): Record<string, (ToolResult | null)[]> {
  const out: Record<string, (ToolResult | null)[]> = {};
  for (const [label, results] of rounds) out[label] = results.map((r) => (r ? { ...r, rssSamples: undefined } : null));
  return out;
}

type Metric = (r: ToolResult) => number | null;

/** pick extracts one metric of every round (null where the run failed). */
export function pick(results: (ToolResult | null)[], metric: Metric): (number | null)[] {
  return results.map((r) => (r === null ? null : metric(r)));
}

/** comparisonTable renders medians per variant and, for peers, racerig/peer ratios of `metric` per pair. */
export function comparisonTable(rounds: Rounds, baseline: string, metric: Metric, metricName: string): string {
  const base = rounds.get(baseline) ?? [];
  const rows: string[][] = [];
  for (const [label, results] of rounds) {
    const ok = results.filter((r): r is ToolResult => r !== null);
    const ratios = label === baseline ? [] : pairRatios(pick(base, metric), pick(results, metric));
    rows.push([
      label,
      `${ok.length}/${results.length}`,
      num(median(ok.map((r) => r.requestsPerSec))),
      ms(median(ok.map((r) => r.p50Ms))),
      ms(median(ok.map((r) => r.p90Ms))),
      ms(median(ok.map((r) => r.p99Ms))),
      ms(median(ok.map((r) => r.p999Ms))),
      ms(median(ok.map((r) => r.maxMs))),
      num(median(ok.map((r) => r.cpuSeconds)), 2),
      num(median(ok.map((r) => (r.requests > 0 ? (r.cpuSeconds * 1e6) / r.requests : NaN))), 0),
      num(median(ok.map((r) => r.rssMb)), 0),
      label === baseline ? '(baseline)' : ratios.map((x) => x.toFixed(2)).join(', ') || '–',
      label === baseline ? '' : ratio(median(ratios)),
    ]);
  }
  return table(
    ['tool', 'runs ok', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'CPU s', 'CPU µs/req', 'peak RSS MiB', `racerig/peer ${metricName} per pair`, 'median ratio'],
    rows,
  );
}

/** medianRatio is the median over pairs of baseline/peer for `metric` (NaN when either is missing). */
export function medianRatio(rounds: Rounds, baseline: string, peer: string, metric: Metric): number {
  return median(pairRatios(pick(rounds.get(baseline) ?? [], metric), pick(rounds.get(peer) ?? [], metric)));
}

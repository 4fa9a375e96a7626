/**
 * CPU cost: CPU seconds (user + system, whole process, start-up included) per 100,000 requests at a
 * fixed 10,000 requests/s, alternated A B A B, for racerig with one worker and the pacing peers.
 */
import { alternate, commandsOf, rawOf, medianRatio, pick, type Rounds, type Scenario, type Variant } from './scenario.js';
import { median, pairRatios } from '../report/stats.js';
import { num, ratio, table } from '../report/markdown.js';
import type { ToolResult } from '../tools/tool.js';

const cpuPer100k = (r: ToolResult): number | null => (r.requests > 0 ? (r.cpuSeconds / r.requests) * 100_000 : null);

function cpuTable(rounds: Rounds, baseline: string): string {
  const rows: string[][] = [];
  for (const [label, results] of rounds) {
    const ok = results.filter((r): r is ToolResult => r !== null);
    const ratios = label === baseline ? [] : pairRatios(pick(rounds.get(baseline) ?? [], cpuPer100k), pick(results, cpuPer100k));
    rows.push([
      label,
      `${ok.length}/${results.length}`,
      num(median(ok.map((r) => r.requestsPerSec))),
      num(median(ok.map((r) => r.cpuSeconds)), 2),
      num(median(ok.map(cpuPer100k)), 2),
      num(median(ok.map((r) => r.rssMb))),
      label === baseline ? '(baseline)' : ratios.map((x) => x.toFixed(2)).join(', ') || '–',
      label === baseline ? '' : ratio(median(ratios)),
    ]);
  }
  return table(['tool', 'runs ok', 'achieved req/s', 'CPU s', 'CPU s per 100k req', 'peak RSS MiB', 'racerig/peer CPU per pair', 'median ratio'], rows);
}

/** cpuCost measures CPU per 100,000 requests at 10,000/s. */
export const cpuCost: Scenario = async (ctx) => {
  const rate = 10_000;
  const rounds = ctx.quick ? 2 : 5;
  const durationSec = ctx.quick ? 2 : 4;
  const connections = 50;
  const variants: Variant[] = [];
  for (const tool of ctx.tools) {
    const spec = { url: ctx.target.url, connections, durationSec, rate };
    if (tool.name === 'racerig') {
      // One worker, like single-threaded autocannon (whose -R is then the total rate); `--only cpu` runs are cheap to extend.
      variants.push({ tool, spec: { ...spec, workers: 1 } });
    } else if (tool.supports(spec)) {
      variants.push({ tool, spec });
    }
  }
  ctx.log(`cpu cost: ${variants.length} variants × ${rounds} rounds × ${durationSec} s at ${rate}/s`);
  const results = await alternate(ctx, variants, rounds, ` @ ${rate}/s`);
  const base = 'racerig -w 1';
  const acRatio = medianRatio(results, base, 'autocannon', cpuPer100k);
  return {
    id: 'cpu',
    title: 'CPU seconds per 100,000 requests at 10,000/s',
    body: [
      `${connections} connections, ${durationSec} s per run, ${rounds} rounds alternated in the order listed. CPU is user + system seconds of the whole process from start to exit (start-up included, which favours longer runs equally for every tool), measured by GNU time when installed. autocannon runs single-threaded so that \`-R\` is the total rate. Ratio below 1 means racerig uses less CPU. Target: ${ctx.target.name}.`,
      cpuTable(results, base),
    ],
    commands: commandsOf(results),
    raw: rawOf(results),
    checks: [
      {
        target: 'CPU per 100k requests at 10,000/s ≤ autocannon (racerig -w 1)',
        measured: ratio(acRatio),
        met: Number.isFinite(acRatio) ? acRatio <= 1 : null,
      },
    ],
  };
};

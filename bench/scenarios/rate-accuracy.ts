/**
 * Rate accuracy: achieved versus target rate from 100 to 20,000 requests/s (open model), for
 * racerig and every peer that can pace requests, and racerig's start lateness where the result file has it.
 */
import { runOnce, type Check, type Scenario } from './scenario.js';
import { ms, num, table } from '../report/markdown.js';
import type { ToolResult } from '../tools/tool.js';

/** RateCase is one row group: a constant rate, or a linear ramp whose mean is the expected rate. */
interface RateCase {
  label: string;
  /** Expected achieved rate (the ramp's mean). */
  expected: number;
  load: { rate: number } | { ramp: [number, number] };
}

/** rateAccuracy runs each rate once per tool, racerig first, then a ramp (racerig only). */
export const rateAccuracy: Scenario = async (ctx) => {
  const rates = ctx.quick ? [100, 20000] : [100, 1000, 5000, 10000, 20000];
  const durationSec = ctx.quick ? 2 : 3;
  const connections = 50;
  const rows: string[][] = [];
  const commands = new Map<string, string>();
  const checks: Check[] = [];
  const raw: { rate: number; result: ToolResult }[] = [];
  let worstError = 0;
  let racerigRuns = 0;
  let lateness10k: number | undefined;
  const ramp: [number, number] = [1000, 20000];
  const cases: RateCase[] = [
    ...rates.map((rate) => ({ label: num(rate), expected: rate, load: { rate } })),
    { label: `ramp ${num(ramp[0])}→${num(ramp[1])}`, expected: (ramp[0] + ramp[1]) / 2, load: { ramp } },
  ];
  ctx.log(`rate accuracy: ${rates.join(', ')} requests/s and a ${ramp.join('→')} ramp, ${durationSec} s each, against ${ctx.target.name}`);
  for (const c of cases) {
    const rate = c.expected;
    for (const tool of ctx.tools) {
      const spec = { url: ctx.target.url, connections, durationSec, ...c.load, workers: tool.name === 'racerig' ? 2 : undefined };
      if (!tool.supports(spec)) continue;
      const r: ToolResult | null = await runOnce(ctx, { tool, spec }, ` @ ${c.label}/s`);
      if (!r) continue;
      raw.push({ rate: c.expected, result: r });
      if (!commands.has(r.tool)) commands.set(r.tool, r.command);
      const error = (r.requestsPerSec - rate) / rate;
      if (tool.name === 'racerig' && 'rate' in c.load) {
        racerigRuns++;
        worstError = Math.max(worstError, Math.abs(error));
        if (rate === 10000) lateness10k = r.extra?.startLatenessP99Ms;
      }
      rows.push([
        c.label,
        r.tool,
        num(r.requestsPerSec, 1),
        `${error >= 0 ? '+' : ''}${(error * 100).toFixed(2)}%`,
        num(r.requests),
        r.extra?.dropped !== undefined ? num(r.extra.dropped) : '–',
        ms(r.extra?.startLatenessP99Ms),
        ms(r.p99Ms),
      ]);
    }
  }
  checks.push({
    target: 'achieved rate within 0.5% of target, 100–20,000/s',
    measured: racerigRuns ? `worst ${(worstError * 100).toFixed(2)}% over ${racerigRuns} rates` : '–',
    met: racerigRuns === rates.length ? worstError <= 0.005 : null,
  });
  checks.push({
    target: 'p99 start lateness ≤ 1 ms at 10,000/s (racerig -w 2, one 3 s run)',
    measured: lateness10k !== undefined ? `${ms(lateness10k)} ms` : 'not in the result file yet',
    met: lateness10k !== undefined ? lateness10k <= 1 : null,
  });
  return {
    id: 'rate',
    title: 'Rate accuracy (open model)',
    body: [
      `${connections} connections, ${durationSec} s per run, one run per tool and rate. racerig \`-w 2 -r <rate>\` (the rate is global across workers); autocannon single-threaded \`-R <rate>\` (its rate applies per worker); hey \`-q <rate/connections>\` per worker. Achieved = requests / the tool's measured duration. Target: ${ctx.target.name}.`,
      `The ramp row expects the ramp's mean rate (${num((ramp[0] + ramp[1]) / 2)}/s); only racerig has a ramp.`,
      table(['target/s', 'tool', 'achieved/s', 'error', 'requests', 'dropped', 'p99 start lateness ms', 'p99 latency ms'], rows),
    ],
    commands: [...commands.values()],
    checks,
    raw,
  };
};

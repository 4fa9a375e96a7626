/**
 * Peak throughput: every tool against the same target with the same connections (50) and two
 * threads where the tool has them, closed model, alternated A B A B; ratio racerig/peer per pair.
 */
import { alternate, commandsOf, rawOf, comparisonTable, medianRatio, variantsFor, type Scenario } from './scenario.js';
import { ratio } from '../report/markdown.js';

/** CONNECTIONS is the connection count every tool gets in the throughput comparison. */
export const CONNECTIONS = 50;

/** peakThroughput is the closed-model, same-connections throughput comparison. */
export const peakThroughput: Scenario = async (ctx) => {
  const rounds = ctx.quick ? 2 : 5;
  const durationSec = ctx.quick ? 2 : 4;
  const variants = variantsFor(ctx, () => ({ url: ctx.target.url, connections: CONNECTIONS, durationSec, workers: 2 }));
  ctx.log(`peak throughput: ${variants.length} tools × ${rounds} rounds × ${durationSec} s against ${ctx.target.name}`);
  const results = await alternate(ctx, variants, rounds);
  const baseline = variants.find((v) => v.tool.name === 'racerig');
  const base = baseline ? baseline.tool.label(baseline.spec) : 'racerig -w 2';
  const rps = (label: string): number => medianRatio(results, base, label, (r) => r.requestsPerSec);
  const ac = variants.find((v) => v.tool.name === 'autocannon');
  const wrk = variants.find((v) => v.tool.name === 'wrk');
  const acRatio = ac ? rps(ac.tool.label(ac.spec)) : Number.NaN;
  const wrkRatio = wrk ? rps(wrk.tool.label(wrk.spec)) : Number.NaN;
  return {
    id: 'peak',
    title: 'Peak throughput (closed model, same connections)',
    body: [
      `${CONNECTIONS} connections for every tool, 2 threads where the tool has them (racerig and autocannon \`-w 2\`, wrk \`-t 2\`; hey uses one goroutine per connection on all cores), ${durationSec} s per run, ${rounds} rounds in the order listed (racerig, peer, peer, …, racerig, …). Target: ${ctx.target.name}. Latencies are each tool's own (closed model: they include coordinated omission by design).`,
      comparisonTable(results, base, (r) => r.requestsPerSec, 'req/s'),
    ],
    commands: commandsOf(results),
    raw: rawOf(results),
    checks: [
      { target: 'peak throughput ≥ 1.1× autocannon -w 2', measured: ratio(acRatio), met: Number.isFinite(acRatio) ? acRatio >= 1.1 : null },
      { target: 'peak throughput ≥ 0.8× wrk (aim)', measured: ratio(wrkRatio), met: Number.isFinite(wrkRatio) ? wrkRatio >= 0.8 : null },
    ],
  };
};

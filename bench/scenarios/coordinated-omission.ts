/**
 * Coordinated-omission ground truth: a constant arrival rate offered to a server that stalls every
 * response for 1 s every 5 s. For requests sent at their intended time the latency distribution is
 * known exactly: P(latency > x) = (stall − x) / period. Each tool's percentiles sit next to it.
 */
import { startStallServer, stallTruthMs } from '../targets/stall-server.js';
import type { LoadSpec, ToolResult } from '../tools/tool.js';
import { runOnce, type Check, type Scenario } from './scenario.js';
import { ms, num, table } from '../report/markdown.js';

const STALL_MS = 1000;
const PERIOD_MS = 5000;
/**
 * The first stall starts 2.5 s after the first request: tools get time to warm up before it, and a run of
 * whole periods ends 1.5 s after its last stall, with nothing held.
 */
const OFFSET_MS = 2500;
const QUANTILES: [string, number][] = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
  ['p99.9', 0.999],
];

/** withinTruth applies issue 5's tolerance: ±2% of the truth or ±5 ms, whichever is wider. */
export function withinTruth(measuredMs: number, truthMs: number): boolean {
  return Math.abs(measuredMs - truthMs) <= Math.max(0.02 * truthMs, 5);
}

/** CoCase is one connection regime of the scenario. */
interface CoCase {
  name: string;
  rate: number;
  connections: number;
  /** Whether wrk's closed-model contrast row is run in this case (once is enough). */
  withWrk: boolean;
  explain: string;
}

type Percentiles = Pick<ToolResult, 'p50Ms' | 'p90Ms' | 'p99Ms' | 'p999Ms' | 'maxMs'>;

/** coordinatedOmission compares every tool's percentiles with the analytic truth of the stall duty cycle. */
export const coordinatedOmission: Scenario = async (ctx) => {
  const durationSec = ctx.quick ? 5 : 10;
  const cases: CoCase[] = [
    {
      name: 'ample connections',
      rate: ctx.coRate,
      // Enough connections to keep every request of a whole stall in flight, so a generator can send each one on time.
      connections: Math.ceil(((ctx.coRate * STALL_MS) / 1000) * 1.1),
      withWrk: true,
      explain:
        'enough that every request of a stall can be in flight: a generator that sends on time sees exactly the truth, and corrected ≈ uncorrected (there is nothing to correct). This tests sending on time and timing honestly when a whole stall\'s responses arrive at once.',
    },
    {
      name: 'scarce connections',
      rate: 300,
      connections: 10,
      withWrk: false,
      explain:
        'so during a stall every connection is stuck and arrivals queue in the generator: only latency measured from the intended start time sees the stall. After each stall the generator drains up to 300 queued requests through 10 connections, so a request queued behind n others really waits n/10 round trips longer than the truth assumes (which has every request sent on time): the p90 request is behind ~150, so this case also measures how fast the generator drains (at 0.3 ms per round trip, +5 ms at p90 and +0.5 ms at p99).',
    },
  ];
  const truth = (q: number): number => stallTruthMs(q, STALL_MS, PERIOD_MS);
  const body: string[] = [
    `A stall server (\`bench/targets/stall-server.ts\`) holds every response for ${STALL_MS} ms out of every ${PERIOD_MS} ms; its schedule starts at the first request and the first stall comes ${OFFSET_MS} ms after it, so each ${durationSec} s run covers whole periods and ends with nothing held. For arrivals at a constant rate the truth is P(latency > x) = (${STALL_MS} − x) / ${PERIOD_MS} ms. autocannon gets \`-R <rate>\`, hey \`-q\` = rate / connections per worker; wrk 4 has no rate limit and runs closed-model for contrast. A fresh stall server per run; "server saw" is the number of requests it received and "server late" how long after a window's end its held responses were all written at worst (timer lateness plus write time: the server's own deviation from the truth, large when the machine is busy). The truth ignores the service time outside stalls (about 0.1–1 ms on loopback).`,
  ];
  const commands: string[] = [];
  const checks: Check[] = [];
  const raw: { case: string; result: ToolResult; serverSaw: number; serverReleaseLateMs: number }[] = [];

  for (const c of cases) {
    ctx.log(`coordinated omission, ${c.name}: ${c.rate}/s with ${c.connections} connections for ${durationSec} s`);
    const rows: string[][] = [['ground truth', ...QUANTILES.map(([, q]) => ms(truth(q))), ms(STALL_MS), '–', '–', '0', '–']];
    // The quick suite keeps the two tools with a coordinated-omission correction to compare.
    const tools = ctx.quick ? ctx.tools.filter((t) => t.name === 'racerig' || t.name === 'autocannon') : ctx.tools;
    for (const tool of tools) {
      if (tool.name === 'wrk' && !c.withWrk) continue;
      const spec: LoadSpec =
        tool.name === 'wrk'
          ? { url: '', connections: 50, durationSec, workers: 2 }
          : { url: '', connections: c.connections, durationSec, rate: c.rate, workers: tool.name === 'racerig' ? 2 : undefined };
      const server = await startStallServer({ stallMs: STALL_MS, periodMs: PERIOD_MS, offsetMs: OFFSET_MS });
      let result: ToolResult | null;
      try {
        result = await runOnce(ctx, { tool, spec: { ...spec, url: server.url } }, ` (${c.name})`);
      } finally {
        await server.close();
      }
      if (!result) continue;
      const serverSaw = server.requests();
      const serverLate = server.maxReleaseLateMs();
      raw.push({ case: c.name, result, serverSaw, serverReleaseLateMs: serverLate });
      commands.push(result.command.replace(server.url, 'http://127.0.0.1:<stall-port>/'));
      const row = (label: string, l: Percentiles): string[] => [
        label,
        ms(l.p50Ms),
        ms(l.p90Ms),
        ms(l.p99Ms),
        ms(l.p999Ms),
        ms(l.maxMs),
        num(result.requests),
        num(serverSaw),
        ms(serverLate),
        num(result.requestsPerSec),
      ];
      if (tool.name !== 'racerig') {
        rows.push(row(`${result.tool}${tool.name === 'wrk' ? ' (closed model, 50 conns)' : ''}`, result));
        continue;
      }
      rows.push(row(`${result.tool} (corrected)`, result));
      if (result.extra?.uncorrected) rows.push(row(`${result.tool} (uncorrected)`, result.extra.uncorrected));
      const measured = [result.p50Ms, result.p90Ms, result.p99Ms, result.p999Ms];
      const missing = measured.some((m) => m === null);
      checks.push({
        target: `corrected p50/p90/p99/p99.9 within ±2% or ±5 ms of truth ${QUANTILES.map(([, q]) => ms(truth(q))).join(' / ')} ms (${c.name})`,
        measured: `${measured.map(ms).join(' / ')} ms`,
        met: missing ? null : QUANTILES.every(([, q], i) => withinTruth(measured[i] as number, truth(q))),
      });
    }
    body.push(
      `**${c.name[0]?.toUpperCase()}${c.name.slice(1)}**: ${num(c.rate)} requests/s with ${num(c.connections)} connections, ${c.explain}`,
      table(['tool', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'requests (tool)', 'server saw', 'server late ms', 'req/s'], rows),
    );
  }

  return { id: 'co', title: 'Coordinated omission against ground truth', body, commands, checks, raw };
};

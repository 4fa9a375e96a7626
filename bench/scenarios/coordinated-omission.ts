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

/** coordinatedOmission compares every tool's percentiles with the analytic truth of the stall duty cycle. */
export const coordinatedOmission: Scenario = async (ctx) => {
  const rate = ctx.coRate;
  // Enough connections to keep every request of a whole stall in flight, so a generator can send each one on time.
  const connections = Math.ceil((rate * STALL_MS) / 1000 * 1.1);
  const durationSec = ctx.quick ? 5 : 10;
  const rows: string[][] = [];
  const commands: string[] = [];
  const checks: Check[] = [];
  const raw: { result: ToolResult; serverSaw: number }[] = [];
  const truth = (q: number): number => stallTruthMs(q, STALL_MS, PERIOD_MS);
  rows.push(['ground truth', ...QUANTILES.map(([, q]) => ms(truth(q))), ms(STALL_MS), '–', '–', '–']);
  ctx.log(`coordinated omission: ${rate}/s for ${durationSec} s against a server stalling ${STALL_MS} ms every ${PERIOD_MS} ms`);

  for (const tool of ctx.tools) {
    // wrk 4 cannot pace requests: it runs closed-model with 50 connections, shown for contrast.
    const spec: LoadSpec =
      tool.name === 'wrk'
        ? { url: '', connections: 50, durationSec, workers: 2 }
        : { url: '', connections, durationSec, rate, workers: tool.name === 'racerig' ? 2 : undefined };
    const server = await startStallServer({ stallMs: STALL_MS, periodMs: PERIOD_MS, offsetMs: OFFSET_MS });
    let result: ToolResult | null;
    try {
      result = await runOnce(ctx, { tool, spec: { ...spec, url: server.url } });
    } finally {
      await server.close();
    }
    if (!result) continue;
    raw.push({ result, serverSaw: server.requests() });
    commands.push(result.command.replace(server.url, 'http://127.0.0.1:<stall-port>/'));
    const model = tool.name === 'wrk' ? ' (closed model, 50 conns)' : '';
    const row = (label: string, l: { p50Ms: number | null; p90Ms: number | null; p99Ms: number | null; p999Ms: number | null; maxMs: number | null }) => [
      label,
      ms(l.p50Ms),
      ms(l.p90Ms),
      ms(l.p99Ms),
      ms(l.p999Ms),
      ms(l.maxMs),
      num(result.requests),
      num(server.requests()),
      num(result.requestsPerSec),
    ];
    if (tool.name === 'racerig') {
      rows.push(row(`${result.tool} (corrected)`, result));
      if (result.extra?.uncorrected) rows.push(row(`${result.tool} (uncorrected)`, result.extra.uncorrected));
      const measured = [result.p50Ms, result.p90Ms, result.p99Ms, result.p999Ms];
      QUANTILES.forEach(([name, q], i) => {
        const m = measured[i];
        checks.push({
          target: `corrected ${name} within ±2% or ±5 ms of truth (${ms(truth(q))} ms)`,
          measured: `${ms(m)} ms`,
          met: m === null || m === undefined ? null : withinTruth(m, truth(q)),
        });
      });
    } else {
      rows.push(row(`${result.tool}${model}`, result));
    }
  }

  return {
    id: 'co',
    title: 'Coordinated omission against ground truth',
    body: [
      `A stall server (\`bench/targets/stall-server.ts\`) holds every response for ${STALL_MS} ms out of every ${PERIOD_MS} ms (first stall ${OFFSET_MS} ms after the first request, so each ${durationSec} s run covers whole periods). Offered ${num(rate)} requests/s with ${num(connections)} connections, enough that every request of a stall can be in flight, so a generator that sends on time sees exactly P(latency > x) = (${STALL_MS} − x) / ${PERIOD_MS} ms. autocannon gets \`-R ${rate}\`, hey \`-q\` = rate / connections per worker; wrk 4 has no rate limit and runs closed-model for contrast. A fresh stall server per run; "server saw" is the request count it received.`,
      table(['tool', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'requests (tool)', 'server saw', 'req/s'], rows),
      'The truth ignores the service time outside stalls (about 0.1–1 ms on loopback).',
    ],
    commands,
    checks,
    raw,
  };
};

/**
 * Memory over a long run: racerig at 5,000 requests/s with its resident memory sampled from /proc;
 * RSS after 1 minute against RSS at the end. RSS swings by tens of MiB from second to second (V8
 * grows and shrinks each thread's young generation, malloc arenas come and go), so each point is the
 * median of the samples in a window around it, and a least-squares slope over everything after the
 * first minute shows any steady growth. Full suite only; issue 5's target is a 10-minute run.
 */
import type { Scenario } from './scenario.js';
import { runOnce } from './scenario.js';
import { num, table } from '../report/markdown.js';
import type { RssSample } from '../measure/run-measured.js';

/** rssMedian returns the median RSS of the samples in [from, to] seconds (undefined if none). */
export function rssMedian(samples: RssSample[], from: number, to: number): RssSample | undefined {
  const inside = samples.filter((s) => s.seconds >= from && s.seconds <= to).map((s) => s.rssMb).sort((a, b) => a - b);
  if (inside.length === 0) return undefined;
  const mid = inside.length >> 1;
  return { seconds: (from + to) / 2, rssMb: inside.length % 2 ? inside[mid]! : (inside[mid - 1]! + inside[mid]!) / 2 };
}

/** slopeMbPerMinute is the least-squares slope of RSS over the samples from `from` seconds on, MiB per minute. */
export function slopeMbPerMinute(samples: RssSample[], from: number): number {
  const xs = samples.filter((s) => s.seconds >= from);
  if (xs.length < 2) return NaN;
  const mx = xs.reduce((a, s) => a + s.seconds, 0) / xs.length;
  const my = xs.reduce((a, s) => a + s.rssMb, 0) / xs.length;
  let num = 0;
  let den = 0;
  for (const s of xs) {
    num += (s.seconds - mx) * (s.rssMb - my);
    den += (s.seconds - mx) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 60;
}

/** memoryOverTime returns the scenario for a run of `minutes` (at least 1.5 so that the 1-minute mark is inside it). */
export function memoryOverTime(minutes: number): Scenario {
  return async (ctx) => {
    const rate = 5000;
    const durationSec = Math.max(90, Math.round(minutes * 60));
    const racerig = ctx.tools.find((t) => t.name === 'racerig');
    const body: string[] = [];
    const checks = [];
    const commands: string[] = [];
    ctx.log(`memory: racerig at ${rate}/s for ${durationSec} s`);
    const r = racerig
      ? await runOnce(ctx, { tool: racerig, spec: { url: ctx.target.url, connections: 50, durationSec, rate, workers: 2, keepRssSamples: true } })
      : null;
    if (r?.rssSamples?.length) {
      commands.push(r.command);
      const samples = r.rssSamples;
      // Medians of the samples in a window: 45–75 s for the first minute, the last 30 s before the planned end.
      const atMinute = rssMedian(samples, 45, 75);
      const atEnd = rssMedian(samples, durationSec - 31, durationSec - 1);
      const marks = [10, 30, 60, 120, 180, 300, 420, 600].filter((s) => s < durationSec - 1);
      const rows = marks
        .map((m) => [m, rssMedian(samples, Math.max(0, m - 5), m + 5)] as const)
        .filter((x): x is readonly [number, RssSample] => x[1] !== undefined)
        .map(([m, s]) => [num(m, 0), num(s.rssMb, 1)]);
      body.push(table(['seconds', 'RSS MiB (median of ±5 s)'], rows));
      if (atMinute && atEnd) {
        const growth = (atEnd.rssMb - atMinute.rssMb) / atMinute.rssMb;
        const slope = slopeMbPerMinute(samples, 60);
        body.push(
          `Median RSS over 45–75 s: ${num(atMinute.rssMb, 1)} MiB; over the last 30 s (${num(durationSec - 31)}–${num(durationSec - 1)} s): ${num(atEnd.rssMb, 1)} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%). Least-squares trend after the first minute: ${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB/min. ${num(r.requests)} requests; peak ${num(r.rssMb, 1)} MiB.`,
        );
        checks.push({
          // The issue's point is that memory does not grow with run length: a run whose RSS ends lower (V8 giving memory back) meets it.
          target: `RSS at the end at most 10% above RSS after 1 min (window medians): memory does not grow with run length (issue: 10-min run; this run: ${num(durationSec / 60, 1)} min)`,
          measured: `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%`,
          met: durationSec >= 600 ? growth <= 0.1 : null,
        });
      }
    }
    return {
      id: 'memory',
      title: `Memory over a ${num(durationSec / 60, 1)}-minute run at ${num(rate)}/s`,
      body: [
        `racerig \`-w 2 -c 50 -r ${rate}\` against ${ctx.target.name}; resident memory of the process (main thread and workers) sampled from /proc every 250 ms.${durationSec < 600 ? ' The issue asks for 10 minutes, which alone would fill the full suite\'s 10-minute budget; run `npm run bench -- --only memory --memory-minutes 10` for it.' : ''}`,
        ...body,
      ],
      commands,
      checks,
      raw: r,
    };
  };
}

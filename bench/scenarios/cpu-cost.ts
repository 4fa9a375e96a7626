/**
 * CPU cost at a fixed 10,000 requests/s, alternated A B A B, for racerig with one worker and the pacing
 * peers. Each run is measured two ways: over a steady-state window in its middle (the process's CPU
 * from /proc over the requests the target itself counted meanwhile: what requests cost once the tool
 * is running, start-up and exit excluded) and over the whole process (start-up included).
 */
import { alternate, commandsOf, rawOf, pick, variantsFor, type Rounds, type Scenario } from './scenario.js';
import { median, pairRatios } from '../report/stats.js';
import { ms, num, ratio, table } from '../report/markdown.js';
import type { ToolResult } from '../tools/tool.js';

const cpuPer100k = (r: ToolResult): number | null => (r.requests > 0 ? (r.cpuSeconds / r.requests) * 100_000 : null);

/** steadyPer100k is a run's CPU seconds per 100,000 requests over its window (null without a usable window). */
export function steadyPer100k(r: ToolResult): number | null {
  const w = r.window;
  return w && w.served > 0 && w.cpuSeconds > 0 ? (w.cpuSeconds / w.served) * 100_000 : null;
}

/** startupSeconds is the CPU a run spent beyond its requests at the steady cost: start-up, warm-up and exit. */
export function startupSeconds(r: ToolResult): number | null {
  const per = steadyPer100k(r);
  return per === null ? null : r.cpuSeconds - (r.requests * per) / 100_000;
}

function cpuTable(rounds: Rounds, baseline: string): { text: string; steadyRatio: number; wholeRatio: number } {
  const rows: string[][] = [];
  const baseSteady = pick(rounds.get(baseline) ?? [], steadyPer100k);
  const baseWhole = pick(rounds.get(baseline) ?? [], cpuPer100k);
  let steadyRatio = NaN;
  let wholeRatio = NaN;
  for (const [label, results] of rounds) {
    const ok = results.filter((r): r is ToolResult => r !== null);
    const windowed = ok.filter((r) => steadyPer100k(r) !== null);
    const sRatios = label === baseline ? [] : pairRatios(baseSteady, pick(results, steadyPer100k));
    const wRatios = label === baseline ? [] : pairRatios(baseWhole, pick(results, cpuPer100k));
    if (label === 'autocannon') {
      steadyRatio = median(sRatios);
      wholeRatio = median(wRatios);
    }
    rows.push([
      label,
      `${windowed.length}/${results.length}`,
      num(median(windowed.map((r) => r.window!.served / r.window!.seconds))),
      num(median(windowed.map((r) => steadyPer100k(r)!)), 2),
      num(median(windowed.map((r) => startupSeconds(r)!)), 2),
      num(median(ok.map((r) => r.requestsPerSec))),
      num(median(ok.map(cpuPer100k)), 2),
      num(median(ok.map((r) => r.rssMb))),
      label === baseline ? '(baseline)' : sRatios.map((x) => x.toFixed(2)).join(', ') || '–',
      label === baseline ? '' : ratio(median(sRatios)),
      label === baseline ? '' : wRatios.map((x) => x.toFixed(2)).join(', ') || '–',
      label === baseline ? '' : ratio(median(wRatios)),
    ]);
  }
  const text = table(
    [
      'tool',
      'runs with a window',
      'served/s in the window',
      'steady CPU s per 100k req',
      'start-up + exit CPU s',
      'achieved req/s (whole run)',
      'whole-process CPU s per 100k',
      'peak RSS MiB',
      'racerig/peer steady CPU per round',
      'median ratio (steady)',
      'racerig/peer whole-process CPU per round',
      'median ratio (whole process)',
    ],
    rows,
  );
  return { text, steadyRatio, wholeRatio };
}

/** cpuCost measures CPU per 100,000 requests at 10,000/s: in a steady-state window, and over the whole process. */
export const cpuCost: Scenario = async (ctx) => {
  const rate = 10_000;
  const rounds = ctx.quick ? 2 : 5;
  const runSec = ctx.quick ? 5 : 8;
  const [fromSec, toSec] = ctx.quick ? [2.5, 4.5] : [3, 7]; // whole seconds: autocannon sends a burst every second
  const connections = 50;
  const served = ctx.target.served?.bind(ctx.target);
  const window = served ? { fromSec, toSec, served } : undefined;
  // racerig with one worker, like single-threaded autocannon (whose -R is then the total rate).
  const variants = variantsFor(ctx, (tool) => ({ url: ctx.target.url, connections, durationSec: runSec, rate, window, workers: tool.name === 'racerig' ? 1 : undefined }));
  ctx.log(`cpu cost: ${variants.length} variants × ${rounds} rounds × ${runSec} s at ${rate}/s, steady window ${fromSec}–${toSec} s`);
  const results = await alternate(ctx, variants, rounds, ` @ ${rate}/s`);
  const base = 'racerig -w 1';
  const t = cpuTable(results, base);
  // racerig's own start lateness in these runs: five 8 s runs at 10,000/s, where the rate scenario has one 3 s run.
  const lateness = (results.get(base) ?? []).map((r) => r?.extra?.startLatenessP99Ms).filter((x): x is number => x !== undefined);
  const latenessMedian = median(lateness);
  const windowText = window
    ? `**Steady** CPU per 100k = the process's CPU (user + system, all threads, from /proc/<pid>/stat) between ${fromSec} s and ${toSec} s after it was started, over the requests the target itself served in that time (${ctx.target.name}: its own counter, read right after the CPU), × 100,000: what requests cost once a tool runs, the same request count for every tool. Every tool is well into its load by ${fromSec} s (racerig's 0.8 s warm-up included) and still loading at ${toSec} s. **Start-up + exit** = the whole run's CPU minus its requests at the steady cost (process start, module loading, worker threads, racerig's warm-up, JIT compilation, the report at exit).`
    : `The target (${ctx.target.name}) has no served-request counter, so no steady window was measured; only whole-process CPU is reported.`;
  return {
    id: 'cpu',
    title: 'CPU seconds per 100,000 requests at 10,000/s',
    body: [
      `${connections} connections, ${rounds} rounds of one ${runSec} s run per tool, tools alternated in the order listed. ${windowText} **Whole process** = the run's CPU from start to exit (GNU time when installed) over the requests the tool reported, start-up included. autocannon runs single-threaded so that \`-R\` is the total rate. Ratios below 1 mean racerig uses less CPU. Target: ${ctx.target.name}.`,
      t.text,
      'The two tools do not send the same load at "10,000/s". racerig starts every request at its planned time, 100 µs apart, at most `--gather` (default 500 µs) late: a wake-up by a response starts the due arrivals once the oldest is that late, so they go out in small groups; autocannon\'s `-R` gives each connection a quota per second, refilled by a 1 s interval, and each connection sends its quota back to back as soon as it is refilled, so the load comes in bursts at the start of every second (which is also why its coordinated-omission percentiles are off). Evenly spaced requests cost the sender more on loopback: each write finds the target asleep and the kernel wakes it inside the sender\'s write() call (perf, 10,000/s: 10 % of the racerig worker thread\'s CPU was `sock_def_readable` → wake-up inside `tcp_sendmsg`), where a burst finds it awake; grouping by `--gather` is what brings racerig to autocannon\'s CPU here (with `--gather 0` it was 1.23–1.33× autocannon, measured by this scenario\'s earlier short-and-long-run method). The peak-throughput table above compares the tools under the same load shape (closed model, every tool as fast as it can): its "CPU µs/req" column is whole-process CPU per request, start-up included.',
    ],
    commands: commandsOf(results),
    raw: rawOf(results),
    checks: [
      {
        target: `CPU per 100k requests at 10,000/s ≤ autocannon (racerig -w 1), steady state (${fromSec}–${toSec} s of each run, requests counted by the target)`,
        measured: ratio(t.steadyRatio),
        met: Number.isFinite(t.steadyRatio) ? t.steadyRatio <= 1 : null,
      },
      {
        target: `CPU per 100k requests at 10,000/s ≤ autocannon (racerig -w 1), whole process of a ${runSec} s run`,
        measured: ratio(t.wholeRatio),
        met: Number.isFinite(t.wholeRatio) ? t.wholeRatio <= 1 : null,
      },
      {
        target: `p99 start lateness ≤ 1 ms at 10,000/s (racerig -w 1, median of the ${rounds} ${runSec} s runs above)`,
        measured: lateness.length ? `${ms(latenessMedian)} ms (runs: ${lateness.map((x) => ms(x)).join(', ')})` : '–',
        met: lateness.length ? latenessMedian <= 1 : null,
      },
    ],
  };
};

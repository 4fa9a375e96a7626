/**
 * Main-thread responsiveness: the event-loop delay of the main thread while `racerig run` (in this
 * process, as the CLI runs it) keeps 2 workers busy at full speed, against the same measurement with
 * nothing running (the peer in the same run). The workers do the request work; the main thread only
 * ticks once per second, answers signals and draws the live view, so its delay should stay near idle.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { main as Main } from '../../src/cli/main.js';
import type { captureContext as CaptureContext } from '../../src/cli/context.js';
import { REPO_ROOT } from '../measure/paths.js';
import { ms, num, table } from '../report/markdown.js';
import type { Check, Scenario } from './scenario.js';

/** P99_BOUND_MS is the main thread's event-loop delay p99 a full-speed run must stay under. */
const P99_BOUND_MS = 100;

interface Sample {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** measure records the main thread's event-loop delay while `during` runs. */
async function measure(during: () => Promise<void>): Promise<Sample> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await during();
  h.disable();
  return { p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
}

/** responsiveness measures the main thread idle and during a closed-model run with 2 workers. */
export const responsiveness: Scenario = async (ctx) => {
  const durationSec = ctx.quick ? 3 : 6;
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-resp-'));
  const args = ['run', ctx.target.url, '-c', '16', '-w', '2', '-d', `${durationSec}s`, '-q', '-o', join(dir, 'r.json')];
  ctx.log(`responsiveness: main-thread event-loop delay idle vs \`racerig ${args.slice(0, -2).join(' ')}\` in this process`);
  let idle: Sample | undefined;
  let busy: Sample | undefined;
  let requests = 0;
  try {
    // The built CLI (dist/, as the other scenarios run it): its worker threads load dist/src/engine/worker.js.
    const dist = (f: string) => pathToFileURL(join(REPO_ROOT, process.env.RACERIG_DIST || 'dist', 'src', 'cli', f)).href;
    const { main } = (await import(dist('main.js'))) as { main: typeof Main };
    const { captureContext } = (await import(dist('context.js'))) as { captureContext: typeof CaptureContext };
    idle = await measure(() => new Promise((r) => setTimeout(r, durationSec * 1000)));
    ctx.log(`  idle: event-loop delay p99 ${ms(idle.p99Ms)} ms`);
    const run = captureContext({ cwd: dir });
    busy = await measure(async () => {
      const code = await main(args, run);
      if (code !== 0) throw new Error(`racerig run exited with ${code}: ${run.err().split('\n')[0]}`);
    });
    requests = (JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { totals: { requests: number } }).totals.requests;
    ctx.log(`  during the run: event-loop delay p99 ${ms(busy.p99Ms)} ms`);
  } catch (err) {
    ctx.failures.push(`responsiveness: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (label: string, s: Sample | undefined) => [label, s ? ms(s.p50Ms) : '–', s ? ms(s.p99Ms) : '–', s ? ms(s.maxMs) : '–'];
  const checks: Check[] = [
    {
      target: `main-thread event-loop delay p99 under ${P99_BOUND_MS} ms while 2 workers run at full speed`,
      measured: busy ? `${ms(busy.p99Ms)} ms (idle ${idle ? ms(idle.p99Ms) : '–'} ms)` : '–',
      met: busy ? busy.p99Ms < P99_BOUND_MS : null,
    },
  ];
  return {
    id: 'responsive',
    title: 'Main-thread responsiveness during a full-speed run',
    body: [
      `The main thread's event-loop delay (\`monitorEventLoopDelay\`, 10 ms resolution) for ${durationSec} s idle, then during an in-process \`racerig run\` with 2 workers and 16 connections (closed model, full speed) against ${ctx.target.name}${requests > 0 ? ` (${num(requests)} requests)` : ''}. The workers send every request; the main thread ticks the live view once per second and listens for signals.`,
      table(['main thread', 'delay p50 ms', 'delay p99 ms', 'delay max ms'], [row('idle', idle), row('during the run', busy)]),
    ],
    commands: [`racerig ${args.slice(0, -2).join(' ')} (in the bench process)`],
    checks,
    raw: { idle, busy },
  };
};

/**
 * Runs the real racerig CLI (`node bin/racerig run <url> … -q -o <file>`) and reads its result file.
 * The build it runs is RACERIG_DIST (a folder relative to the repository, default "dist"), exactly
 * as bin/racerig resolves it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { LatencySummary, RunResult } from '../../src/results/model.js';
import { REPO_ROOT } from '../measure/paths.js';
import { runMeasured, type CpuWindow, type MeasuredRun } from '../measure/run-measured.js';
import { checkExit, commandLine, measuredResult, timeoutFor, type LoadSpec, type ParsedRun, type Tool, type ToolResult } from './tool.js';

/**
 * RACERIG_NODE_ARGS are the node options of every racerig run: the ones bin/racerig's shebang gives
 * when racerig runs as a command (`--v8-pool-size=1`), plus the suite's --cpu-prof when asked.
 */
export const RACERIG_NODE_ARGS: string[] = ['--v8-pool-size=1'];

/** racerigDist is the absolute build folder bin/racerig will load. */
export function racerigDist(): string {
  return resolve(REPO_ROOT, process.env.RACERIG_DIST || 'dist');
}

function newestMtime(dir: string, suffix: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, suffix));
    else if (entry.name.endsWith(suffix) && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** racerigBuildProblem says why the racerig build cannot be benchmarked (missing, or older than src/), or undefined. */
export function racerigBuildProblem(): { fatal: boolean; message: string } | undefined {
  const main = join(racerigDist(), 'src/cli/main.js');
  if (!existsSync(main)) return { fatal: true, message: `no racerig build at ${main}; run \`npm run build\` first` };
  // A build outside this checkout (e.g. of a clean `git archive`) was made from other sources: nothing to compare.
  if (!racerigDist().startsWith(REPO_ROOT + sep)) return undefined;
  const srcNewest = newestMtime(join(REPO_ROOT, 'src'), '.ts');
  if (srcNewest > statSync(main).mtimeMs + 1000) {
    return { fatal: false, message: `src/ has changed since ${main} was built; the numbers are for the older build (run \`npm run build\`)` };
  }
  return undefined;
}

/** ScheduleSummary is the open-model schedule summary of a result file (`schedule.lateUs`, microseconds). */
interface ScheduleSummary {
  schedule?: { lateUs?: { p50?: number; p99?: number; max?: number }; startedLate?: number };
}

/** startLatenessP99Us returns the p99 of how late requests started relative to their intended time, when recorded. */
export function startLatenessP99Us(result: RunResult): number | undefined {
  return (result as RunResult & ScheduleSummary).schedule?.lateUs?.p99;
}

const ms = (us: number): number => us / 1000;
const summaryMs = (l: LatencySummary) => ({ p50Ms: ms(l.p50), p90Ms: ms(l.p90), p99Ms: ms(l.p99), p999Ms: ms(l.p999), maxMs: ms(l.max) });

/** parseRacerigResult turns a result file into the common shape; latencies are the corrected ones. */
export function parseRacerigResult(result: RunResult): ParsedRun {
  const op = result.operations[0];
  if (!op) throw new Error('racerig result has no operations');
  const lateness = startLatenessP99Us(result);
  return {
    requestsPerSec: result.totals.achievedRate,
    requests: result.totals.requests,
    errors: result.totals.errors,
    ...summaryMs(op.latencyUs),
    extra: {
      uncorrected: summaryMs(op.uncorrectedLatencyUs),
      dropped: result.totals.dropped,
      status: op.status,
      ...(lateness !== undefined ? { startLatenessP99Ms: ms(lateness) } : {}),
    },
  };
}

/** RacerigRun is one `racerig run` invocation: its result file, its measured process, the command as shown. */
export interface RacerigRun {
  result: RunResult;
  measured: MeasuredRun;
  command: string;
}

/** runRacerig runs `node bin/racerig run <target> <flags> -o <tmp>` (measuring `window` when given) and reads the result file; throws when it fails. */
export async function runRacerig(target: string, flags: string[], timeoutMs: number, window?: CpuWindow): Promise<RacerigRun> {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-run-'));
  const out = join(dir, 'result.json');
  const args = ['bin/racerig', 'run', target, ...flags, '-o', out];
  try {
    const measured = await runMeasured({ command: process.execPath, args: [...RACERIG_NODE_ARGS, ...args], cwd: REPO_ROOT, timeoutMs, window });
    checkExit('racerig', measured);
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    const dist = process.env.RACERIG_DIST ? [`RACERIG_DIST=${process.env.RACERIG_DIST}`] : [];
    const command = [...dist, commandLine('node', [...RACERIG_NODE_ARGS, ...args.slice(0, -1), 'result.json'])].join(' ');
    return { result, measured, command };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** racerig runs the CLI under test; spec.workers defaults to 2 (the machine's cores in the reference runs). */
export const racerig: Tool = {
  name: 'racerig',
  available: () => existsSync(join(racerigDist(), 'src/cli/main.js')),
  label: (spec) => `racerig -w ${spec.workers ?? 2}`,
  supports: () => true,
  async run(spec: LoadSpec): Promise<ToolResult> {
    const flags = ['-c', String(spec.connections), '-w', String(spec.workers ?? 2), '-d', `${spec.durationSec}s`, '-q'];
    if (spec.rate !== undefined) flags.push('-r', String(spec.rate));
    if (spec.ramp !== undefined) flags.push('--ramp', `${spec.ramp[0]}:${spec.ramp[1]}`);
    if (spec.method) flags.push('-m', spec.method);
    for (const [k, v] of Object.entries(spec.headers ?? {})) flags.push('-H', `${k}: ${v}`);
    if (spec.body !== undefined) flags.push('--body', spec.body);
    const { result, measured, command } = await runRacerig(spec.url, flags, timeoutFor(spec.durationSec), spec.window);
    return measuredResult(racerig.label(spec), spec, measured, parseRacerigResult(result), command);
  },
};

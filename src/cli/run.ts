/** `racerig run <url>`: HTTP load against one URL with live view, summary and a result file. */
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import type { CommandRegistrar } from './main.js';
import type { CliContext } from './context.js';
import { parseRunOptions, RUN_DEFAULTS, type RawRunOptions, type RunPlan } from './run-options.js';
import { executeRun } from './execute-run.js';
import { UsageError } from '../errors.js';
import { ExitCode } from './exit-codes.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** addRunFlags adds the load flags shared by `run` (and later profile runs). */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('-r, --rate <n>', 'open model: requests per second across all workers (default: closed model)')
    .option('--ramp <from:to>', 'open model: arrival rate ramped linearly from→to per second over the duration')
    .option('-c, --connections <n>', `total connections (default ${RUN_DEFAULTS.connections})`)
    .option('-w, --workers <n>', 'worker threads (default: available cores, at most one per connection)')
    .option('-d, --duration <dur>', 'run length, e.g. 30s, 2m (default 10s unless --requests is given)')
    .option('-n, --requests <n>', 'stop after this many requests')
    .option('-m, --method <method>', 'HTTP method (default GET)')
    .option('-H, --header <k: v>', 'request header, repeatable', collect)
    .option('--body <string|@file>', 'request body, or @path to read it from a file')
    .option('-p, --pipelining <n>', `requests pipelined per connection (default ${RUN_DEFAULTS.pipelining})`)
    .option('--max-in-flight <n>', 'cap on requests in flight across all workers (default: connections × pipelining)')
    .option('--max-lag <dur>', `open model: arrivals later than this when a connection frees are dropped (default ${RUN_DEFAULTS.maxLagMs / 1000}s)`)
    .option('--timeout <dur>', `per-request timeout (default ${RUN_DEFAULTS.timeoutMs / 1000}s)`)
    .option('-l, --label <k=v>', 'label stored in the result (e.g. build=3.6.0-rc1), repeatable', collect)
    .option('--name <name>', 'run name used in the result file name (default: target host)')
    .option('-o, --out <file>', 'result file (default results/<UTC timestamp>-<name>.json)')
    .option('--hgrm <file>', 'also write the HdrHistogram percentile distribution (ms) of the corrected latency')
    .option('--log <file>', 'request log: one NDJSON line per request')
    .option('--log-sample <fraction>', 'fraction of requests written to --log (default 1)')
    .option('--repeat <n>', 'run n times into separate result files (<out>-1.json …), so compare has samples')
    .option('-q, --quiet', 'print nothing but errors (the result file is still written)')
    .option('-k, --insecure', 'https: do not verify the server certificate')
    .addOption(new Option('--allow-remote', 'allow a target that is not a loopback address'));
}

/** registerRunCommand adds `racerig run <url>`. */
export const registerRunCommand: CommandRegistrar = (program, ctx, setExit) => {
  addRunFlags(program.command('run <url>'))
    .description('send HTTP load to a URL (open model with --rate/--ramp, closed otherwise)')
    .action(async (target: string, raw: RawRunOptions & { repeat?: string }) => {
      const plan = parseRunOptions(target, raw, ctx.cwd);
      const repeat = parseRepeat(raw.repeat);
      setExit(await repeatRuns(plan, repeat, ctx, (p) => runPlan(p, ctx)));
    });
};

/** parseRepeat validates --repeat (default 1). */
export function parseRepeat(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--repeat must be an integer from 1 to 1000, got "${value}"`);
  return n;
}

/**
 * repeatRuns runs a plan `repeat` times into separate result files (`<out>-<i>.json`, or the default
 * timestamped names), stopping early when a run is interrupted; returns the worst exit code.
 */
export async function repeatRuns(plan: RunPlan, repeat: number, ctx: CliContext, runOnce: (p: RunPlan) => Promise<number>): Promise<number> {
  if (repeat === 1) return runOnce(plan);
  let worst = 0;
  for (let i = 1; i <= repeat; i++) {
    const out = plan.out ? plan.out.replace(/(\.json)?$/, `-${i}.json`) : undefined;
    if (!plan.quiet) ctx.stdout.write(`\n── run ${i} of ${repeat} ──\n`);
    const code = await runOnce({ ...plan, ...(out ? { out } : {}), labels: { ...plan.labels, repeat: String(i) } });
    if (code === ExitCode.Interrupted) return code;
    worst = Math.max(worst, code);
  }
  return worst;
}

/** runPlan executes a validated plan and returns the exit code. */
export async function runPlan(plan: RunPlan, ctx: CliContext): Promise<number> {
  return executeRun(
    {
      operations: [`${plan.method} ${plan.path}`],
      requests: [
        {
          operation: 0,
          method: plan.method,
          path: plan.path,
          headers: { host: plan.url.host, ...plan.headers },
          ...(plan.body ? { body: plan.body } : {}),
        },
      ],
      target: { url: plan.url.href, kind: 'url' },
      resultsDir: join(ctx.cwd, 'results'),
    },
    plan,
    ctx,
  );
}

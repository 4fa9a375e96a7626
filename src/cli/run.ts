/** `racerig run <url>`: HTTP load against one URL with live view, summary and a result file. */
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import type { CommandRegistrar } from './main.js';
import type { CliContext } from './context.js';
import { parseRunOptions, RUN_DEFAULTS, type RawRunOptions, type RunPlan } from './run-options.js';
import { executeRun } from './execute-run.js';

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
    .option('-q, --quiet', 'print nothing but errors (the result file is still written)')
    .option('-k, --insecure', 'https: do not verify the server certificate')
    .addOption(new Option('--allow-remote', 'allow a target that is not a loopback address'));
}

/** registerRunCommand adds `racerig run <url>`. */
export const registerRunCommand: CommandRegistrar = (program, ctx, setExit) => {
  addRunFlags(program.command('run <url>'))
    .description('send HTTP load to a URL (open model with --rate/--ramp, closed otherwise)')
    .action(async (target: string, raw: RawRunOptions) => {
      const plan = parseRunOptions(target, raw, ctx.cwd);
      setExit(await runPlan(plan, ctx));
    });
};

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

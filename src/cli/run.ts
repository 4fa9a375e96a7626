/** `racerig run <url|profile>`: HTTP load against one URL, or a scenario profile, with live view, summary and a result file; alone, as one shard, or as the coordinator of N shards. */
import { Option, type Command } from 'commander';
import { join, resolve } from 'node:path';
import type { CommandRegistrar } from './main.js';
import type { CliContext } from './context.js';
import { parseProfileOptions, parseRunOptions, PROFILE_DEFAULTS, RUN_DEFAULTS, type RawRunOptions, type RunPlan } from './run-options.js';
import { resolveTarget } from '../http/resolve-target.js';
import { executeRun } from './execute-run.js';
import { writeFileSync } from 'node:fs';
import { resolveProfileFile } from '../profile/shipped.js';
import { ExitCode } from '../exit-codes.js';
import { addShardFlags } from '../distributed/shard-options.js';
import { addCoordinatorFlags, COORDINATOR_ONLY_FLAGS, coordinatorOptions, profileCoordinatorOptions, type CoordinatorFlags } from '../distributed/coordinator-options.js';
import { decodeBundle, unpackBundle } from '../distributed/bundle.js';
import { UsageError } from '../errors.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** addRunFlags adds the load flags shared by `run` (and later profile runs). */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('-r, --rate <n>', 'open model: requests per second across all workers (default: closed model)')
    .option('--ramp <from:to>', 'open model: arrival rate ramped linearly from→to per second over the duration')
    .option('-c, --connections <n>', `URL: total connections (default ${RUN_DEFAULTS.connections}); profile: connections per worker for ordinary requests (default ${PROFILE_DEFAULTS.connectionsPerWorker})`)
    .option('-w, --workers <n>', 'worker threads (default: available cores, at most one per connection)')
    .option('-d, --duration <dur>', 'URL runs: run length, e.g. 30s, 2m (default 10s unless --requests is given); a profile sets its phases\' durations')
    .option('-n, --requests <n>', 'stop after this many requests')
    .option('-m, --method <method>', 'HTTP method (default GET)')
    .option('-H, --header <k: v>', 'request header, repeatable', collect)
    .option('--body <string|@file>', 'request body, or @path to read it from a file')
    .option('-p, --pipelining <n>', `requests pipelined per connection (default ${RUN_DEFAULTS.pipelining})`)
    .option('--http-client <fast|undici>', "HTTP client per connection: racerig's lean HTTP/1.1 client (fast, default) or undici's Client")
    .option('--max-in-flight <n>', 'cap on requests in flight across all workers (default: connections × pipelining)')
    .option('--max-lag <dur>', `open model: arrivals later than this when a connection frees are dropped (default ${RUN_DEFAULTS.maxLagMs / 1000}s)`)
    .option('--gather <dur>', `open model: while responses keep coming, start an arrival once it is this late, with every other arrival due by then (fewer wake-ups at high rates; 0: each as soon as due; at most 1ms; default ${RUN_DEFAULTS.gatherMs * 1000}us)`)
    .option('--timeout <dur>', `per-request timeout (default: URL ${RUN_DEFAULTS.timeoutMs / 1000}s, profile ${PROFILE_DEFAULTS.timeoutMs / 1000}s)`)
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

/** registerRunCommand adds `racerig run <url|profile>`. */
export const registerRunCommand: CommandRegistrar = (program, ctx, setExit) => {
  addCoordinatorFlags(addShardFlags(addRunFlags(program.command('run <target>'))))
    .description('run a scenario profile (a shipped name or a YAML file) against the embedded mock or a cluster, or send HTTP load to a URL')
    .option('--smoke', 'profiles: shorten every phase (seconds, few iterations) to check that a profile works')
    .option('--kubeconfig <file>', 'profiles: target the cluster of this kubeconfig instead of the embedded mock')
    .option('--context <name>', 'profiles: kubeconfig context to use (KUBECONFIG or ~/.kube/config when no --kubeconfig)')
    .option('--cluster <name>', 'profiles: target this kind cluster (its kubeconfig from `kind get kubeconfig --name`, kept in a 0600 temporary file during the run)')
    .option('--in-cluster', "profiles: target the cluster racerig runs in (the pod's service account, or KUBECONFIG when the pod sets it)")
    .option('--keep', 'profiles: leave the objects the run created (labelled racerig.io/run=<id>)')
    .option('--integrity', "profiles: check the run's counts against the /metrics of a racerig mock reached through --kubeconfig (no other client may use it meanwhile); the embedded mock is always checked")
    .option('--sut <command>', "profiles: start this system under test beside the run (one string, split as a shell would; placeholders {kubeconfig} {server} {namespace} {port} {runId}); KUBECONFIG points it at the run's target; its races, panics and exits become findings")
    .option('--sut-ready <regex|url|duration>', 'profiles: the SUT is ready when a line of its output matches the regex, the http(s) URL answers 200, or after the duration (default: the profile\'s sut.ready, else at once)')
    .option('--run-id <id>', 'profiles: use this run id (the racerig.io/run label, {{run.id}}) instead of a new one; a distributed run\'s coordinator gives its shards its own')
    .option('--bundle <env var>', "profiles: read the profile and the files it references from this environment variable (the bundle a distributed run's coordinator stores in the Job's ConfigMap); <target> names the profile inside it")
    .action(async (target: string, raw: RawRunOptions & CoordinatorFlags & { repeat?: string }) => {
      const repeat = parseRepeat(raw.repeat);
      const needShards = COORDINATOR_ONLY_FLAGS.filter((f) => raw[f] !== undefined);
      if (raw.shards === undefined && needShards.length) throw new UsageError(`${needShards.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} ${needShards.length === 1 ? 'applies' : 'apply'} to distributed runs only (--shards N)`);
      if (raw.shards !== undefined) {
        const url = target.includes('://');
        // A profile's --sut and --sut-ready are the coordinator's: it runs the system under test beside the shards, once.
        for (const f of [...(url ? (['smoke', 'integrity', 'sut', 'sutReady'] as const) : []), 'cluster', 'inCluster'] as const) {
          if (raw[f] !== undefined) throw new UsageError(`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} cannot be combined with --shards`);
        }
        const options = url ? coordinatorOptions(target, raw, ctx.cwd) : await profileCoordinatorOptions(target, raw, ctx.cwd, resolveProfileFile);
        const { runCoordinator } = await import('../distributed/coordinator.js');
        setExit(await runCoordinator(options, ctx));
        return;
      }
      if (target.includes('://')) {
        const plan = parseRunOptions(target, raw, ctx.cwd);
        setExit(await repeatRuns(plan, repeat, ctx, (p) => runPlan(p, ctx)));
        return;
      }
      // --bundle: the profile and its files come from an environment variable, unpacked for this run only.
      const bundle = raw.bundle === undefined ? undefined : unpackBundle(decodeBundle(process.env[raw.bundle] ?? '', `environment variable ${raw.bundle}`));
      try {
        const resolveFile = bundle ? (t: string) => resolve(bundle.dir, t) : resolveProfileFile;
        const plan = parseProfileOptions(target, raw, ctx.cwd, resolveFile);
        if (plan.log) writeFileSync(plan.log.path, '');
        // Loaded on use: the profile executor pulls in the schema, the mock and the Kubernetes client.
        const { runProfile } = await import('../profile-run/profile-run.js');
        setExit(await repeatRuns({ ...plan, ...(bundle && !plan.out ? { out: join(bundle.dir, 'result.json') } : {}) }, repeat, ctx, (p) => runProfile(p, ctx)));
      } finally {
        bundle?.remove();
      }
    });
};

/** parseRepeat validates --repeat (default 1). */
export function parseRepeat(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--repeat must be an integer from 1 to 1000, got "${value}"`);
  return n;
}

/** RepeatablePlan is what repeatRuns changes in a plan of either kind: the result file and the labels. */
export type RepeatablePlan = { out?: string; quiet: boolean; labels: Record<string, string> };

/**
 * repeatRuns runs a plan `repeat` times into separate result files (`<out>-<i>.json`, or the default
 * timestamped names), stopping early when a run is interrupted; returns the worst exit code.
 */
export async function repeatRuns<P extends RepeatablePlan>(plan: P, repeat: number, ctx: CliContext, runOnce: (p: P) => Promise<number>): Promise<number> {
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
  // A name is resolved and every address checked before any connection; the workers connect only to those.
  const { addresses } = await resolveTarget(plan.hostname, plan.allowRemote, (m) =>
    new UsageError(`target ${plan.host}: ${m}; racerig only sends load elsewhere with --allow-remote`),
  );
  return executeRun(
    {
      operations: [`${plan.method} ${plan.path}`],
      requests: [
        {
          operation: 0,
          method: plan.method,
          path: plan.path,
          headers: { host: plan.host, ...plan.headers },
          ...(plan.body ? { body: plan.body } : {}),
        },
      ],
      target: { url: plan.url, kind: 'url' },
      resultsDir: join(ctx.cwd, 'results'),
      ...(addresses ? { addresses } : {}),
    },
    plan,
    ctx,
  );
}

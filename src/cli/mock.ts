/**
 * `racerig mock`: runs the embedded mock Kubernetes API server until Ctrl-C and writes a kubeconfig for it.
 */
import { resolve } from 'node:path';
import type { CommandRegistrar } from './main.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import type { MockServerOptions } from '../mock/server.js';
import { parseErrorRule, parseLatencyRule, type FaultConfig } from '../mock/faults.js';
import { parseRunImage } from '../mock/run-image.js';

/** MockFlags are the parsed flags of `racerig mock`. */
export interface MockFlags {
  host: string;
  port: string;
  kubeconfigOut: string;
  kubeconfigServer?: string;
  tls?: boolean;
  token?: string;
  watchHistory?: string;
  bookmarkInterval?: string;
  watchBatch?: string;
  latency: string[];
  error: string[];
  reset?: string;
  stall?: string;
  maxInflight?: string;
  maxMutatingInflight?: string;
  watchDelay?: string;
  execStartDelay?: string;
  podStartDelay?: string;
  podRunDuration?: string;
  /** False with --no-workflow-lifecycle. */
  workflowLifecycle?: boolean;
  logFile?: string;
  runImage?: string[];
}

function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** kubeconfigServerFlag checks `--kubeconfig-server` is an http(s) URL. */
function kubeconfigServerFlag(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`--kubeconfig-server must be a URL such as http://mock:8001, got "${value}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--kubeconfig-server must be an http or https URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** faultsFromFlags builds the fault configuration, reporting every bad flag at once. */
export function faultsFromFlags(flags: MockFlags): FaultConfig {
  const problems: string[] = [];
  const faults: FaultConfig = {};
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      problems.push((e as Error).message);
      return undefined;
    }
  };
  const latency = flags.latency.map((r) => attempt(() => parseLatencyRule(r))).filter((r) => r !== undefined);
  const errors = flags.error.map((r) => attempt(() => parseErrorRule(r))).filter((r) => r !== undefined);
  if (latency.length) faults.latency = latency;
  if (errors.length) faults.errors = errors;
  if (flags.reset !== undefined) {
    const f = Number(flags.reset);
    if (!(f >= 0 && f <= 1)) problems.push(`--reset must be a fraction in [0, 1], got "${flags.reset}"`);
    else faults.resetFraction = f;
  }
  if (flags.stall !== undefined) {
    const [every, dur] = flags.stall.split(':').map(Number);
    if (!(every! > 0 && dur! >= 0 && dur! <= every!)) problems.push(`--stall must be EVERY_MS:FOR_MS with FOR ≤ EVERY, got "${flags.stall}"`);
    else faults.stall = { everyMs: every!, forMs: dur! };
  }
  const ints: Array<[keyof FaultConfig, string, string | undefined]> = [
    ['maxInflight', 'max-inflight', flags.maxInflight],
    ['maxMutatingInflight', 'max-mutating-inflight', flags.maxMutatingInflight],
    ['watchDelayMs', 'watch-delay', flags.watchDelay],
  ];
  for (const [key, name, v] of ints) {
    const n = attempt(() => intFlag(name, v));
    if (n !== undefined) (faults as Record<string, unknown>)[key] = n;
  }
  if (problems.length) throw new UsageError(problems.join('\n'), 'see racerig mock --help for the rule syntax');
  return faults;
}

/** runImagesFromFlags parses the --run-image values (image=command), reporting every bad one at once. */
function runImagesFromFlags(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const v of values) {
    try {
      const [image, command] = parseRunImage(v);
      out[image] = command;
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return out;
}

/** mockOptionsFromFlags turns the command's flags into startMockServer options (throws UsageError on bad values). */
export function mockOptionsFromFlags(flags: MockFlags, cwd: string): MockServerOptions {
  const port = intFlag('port', flags.port);
  if (port !== undefined && port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  return {
    host: flags.host,
    port,
    tls: !!flags.tls,
    token: flags.token,
    kubeconfigPath: resolve(cwd, flags.kubeconfigOut),
    ...(flags.kubeconfigServer !== undefined ? { kubeconfigServer: kubeconfigServerFlag(flags.kubeconfigServer) } : {}),
    watchHistory: intFlag('watch-history', flags.watchHistory, 1),
    bookmarkIntervalMs: intFlag('bookmark-interval', flags.bookmarkInterval),
    watchBatchMs: intFlag('watch-batch', flags.watchBatch),
    execStartDelayMs: intFlag('exec-start-delay', flags.execStartDelay),
    faults: faultsFromFlags(flags),
    lifecycle: {
      podStartDelayMs: intFlag('pod-start-delay', flags.podStartDelay),
      podRunDurationMs: intFlag('pod-run-duration', flags.podRunDuration),
      ...(flags.workflowLifecycle === false ? { workflows: false } : {}),
      ...(flags.runImage?.length ? { runImages: runImagesFromFlags(flags.runImage) } : {}),
    },
    logs: flags.logFile ? { file: resolve(cwd, flags.logFile) } : undefined,
  };
}

/** registerMockCommand adds `racerig mock`, which serves until SIGINT/SIGTERM arrives on `ctx.signals`. */
export const registerMockCommand: CommandRegistrar = (program, ctx, setExit) => {
  program
    .command('mock')
    .description('run the embedded mock Kubernetes API server until Ctrl-C')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '0')
    .option('--tls', 'serve HTTPS with a CA generated at start; clients authenticate with a client certificate or bearer token')
    .option('--token <token>', 'bearer token accepted with --tls (default: random, printed at start)')
    .option('--kubeconfig-out <file>', 'where to write the kubeconfig for the server', 'results/mock.kubeconfig')
    .option('--kubeconfig-server <url>', 'server URL written into the kubeconfig instead of the listening address (e.g. http://mock:8001 when clients reach it by a compose service name)')
    .option('--watch-history <events>', 'watch events kept for resuming watches; older resourceVersions get 410 Expired')
    .option('--bookmark-interval <ms>', 'interval of BOOKMARK events on watches that allow them')
    .option('--watch-batch <ms>', 'shortest interval between two rounds of watch writes (one chunk per stream per round); under load rounds run in 2 ms slices with equal pauses (default 5; 0: every event-loop turn)')
    .option('--latency <rule>', 'add latency: [verb[/resource]=]fixed:MS|uniform:MIN:MAX|normal:MEAN:SD|lognormal:MEDIAN:SIGMA (repeatable)', collect, [])
    .option('--error <rule>', 'inject errors: [verb[/resource]=]500|503|429:FRACTION[:RETRY_AFTER_S] (repeatable)', collect, [])
    .option('--reset <fraction>', 'reset this fraction of connections instead of answering')
    .option('--stall <every:for>', 'hold all requests for FOR ms every EVERY ms')
    .option('--max-inflight <n>', 'read-only requests in flight before 429 (like kube-apiserver --max-requests-inflight)')
    .option('--max-mutating-inflight <n>', 'mutating requests in flight before 429')
    .option('--watch-delay <ms>', 'delay every watch event by this many ms')
    .option('--exec-start-delay <ms>', 'time an exec\'d command takes to start (default 20; kubectl before 1.33 loses output that comes sooner)')
    .option('--pod-start-delay <ms>', 'simulated time from pod creation to Running')
    .option('--pod-run-duration <ms>', 'simulated run time of pods with restartPolicy Never/OnFailure')
    .option('--no-workflow-lifecycle', 'do not simulate the workflow controller (a real one owns Workflows); pods still run through the simulated kubelet')
    .option('--run-image <image=command>', 'run the containers of this image as local processes (command stands in for the entrypoint; container args and env apply; stdout/stderr are the pod log; exit ends the container) (repeatable)', collect, [])
    .option('--log-file <file>', 'lines every simulated container logs (e.g. a Go race report)')
    .action(async (flags: MockFlags) => {
      const options = mockOptionsFromFlags(flags, ctx.cwd);
      const { startMockServer } = await import('../mock/server.js'); // loaded on use: keeps other commands' start-up short
      const server = await startMockServer(options);
      ctx.stdout.write(`racerig mock listening on ${server.url}\n`);
      ctx.stdout.write(`kubeconfig written to ${server.kubeconfigPath}\n`);
      if (server.auth) ctx.stdout.write(`TLS: the kubeconfig holds a client certificate; bearer token ${server.auth.token} works too\n`);
      ctx.stdout.write(`try: kubectl --kubeconfig ${server.kubeconfigPath} get pods -A\n`);
      const signal = await new Promise<string>((done) => {
        const on = (name: string) => () => done(name);
        ctx.signals.once('SIGINT', on('SIGINT'));
        ctx.signals.once('SIGTERM', on('SIGTERM'));
      });
      ctx.signals.removeAllListeners('SIGINT');
      ctx.signals.removeAllListeners('SIGTERM');
      ctx.stderr.write(`racerig mock: ${signal} received, shutting down\n`);
      await server.close();
      setExit(ExitCode.Ok);
    });
};

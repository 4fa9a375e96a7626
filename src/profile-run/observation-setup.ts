/**
 * prepareObservation builds what observes the system under test in a profile run: the SUT process (from
 * `--sut` or the profile's `sut:`) with a kubeconfig for the run's target and its placeholders filled in,
 * and the profile's observers. Returns undefined when nothing observes the SUT.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CliContext } from '../cli/context.js';
import type { ResolvedAddress } from '../http/resolve-target.js';
import type { MockServer } from '../mock/server.js';
import type { Profile } from '../profile/types.js';
import type { DispatchFn } from '../kube/send.js';
import type { FindingsCollector } from '../observe/findings.js';
import { createLogScanner } from '../observe/log-scanner.js';
import { Observation } from '../observe/observation.js';
import { createObservers } from '../observe/create-observers.js';
import { freeLoopbackPort, substitutePlaceholders, type SutPlaceholders } from '../sut/placeholders.js';
import type { OutputSink, ReadySpec } from '../sut/sut-process.js';
import type { ProfilePlan } from '../cli/run-options.js';
import type { ProfileTarget } from './profile-task.js';

/** ObservationInputs are what prepareObservation needs from the run. */
export interface ObservationInputs {
  profile: Profile;
  options: ProfilePlan;
  ctx: CliContext;
  target: ProfileTarget;
  mock: MockServer | undefined;
  runId: string;
  /** The result file; the SUT's log and kubeconfig go beside it. */
  out: string;
  findings: FindingsCollector;
  dispatch: DispatchFn;
  say: (line: string) => void;
  /** Builds a log scanner for one output stream of the SUT (source "sut"); default: createLogScanner. */
  scanner?: (source: string, patterns: string[], findings: FindingsCollector) => OutputSink;
}

/** sidePath is a file beside the result: `<result without .json>.<suffix>`. */
export function sidePath(out: string, suffix: string): string {
  return `${out.replace(/\.json$/, '')}.${suffix}`;
}

/** prepareObservation returns the run's Observation, or undefined when the run observes nothing. */
export async function prepareObservation(i: ObservationInputs): Promise<Observation | undefined> {
  const { profile, options: o, ctx } = i;
  const spec = profile.sut;
  const command = o.sut ?? spec?.command;
  if (spec && !command) {
    i.say(`racerig: ${profile.name} drives a system under test (its sut: section has no command): none runs beside this run; give one with --sut '<command>'\n`);
  }
  const server = `${i.target.origin}${i.target.pathPrefix}`;
  const kubeconfig = command ? await kubeconfigForSut(i) : '';
  const values: SutPlaceholders = { kubeconfig, server, namespace: profile.target.namespace, port: String(await freeLoopbackPort()), runId: i.runId };
  const resolve = (s: string) => substitutePlaceholders(s, values);
  const abort = new AbortController();
  // {port} is the SUT's port: without a SUT, observers that read it have nothing to read.
  const entries = command ? profile.observe : profile.observe.filter((e) => !(e.kind === 'metrics' && e.url?.includes('{port}')));
  if (entries.length < profile.observe.length) i.say(`racerig: without a system under test, the metrics observer of {port} is skipped\n`);
  const created = createObservers(entries, {
    ctx: { findings: i.findings, say: i.say, signal: abort.signal },
    target: i.target,
    namespace: profile.target.namespace,
    scope: { runId: i.runId, profile: profile.name },
    resolveUrl: resolve,
    ...(i.mock ? { readServerMetrics: () => i.mock!.metrics() } : {}),
  });
  const observers = created.observers;
  if (!command && observers.length === 0) return undefined;

  const ready: ReadySpec = o.sutReady ?? toReady(spec?.ready ?? { kind: 'none' }, resolve);
  const patterns = spec?.patterns ?? [];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec?.env ?? {})) env[k] = resolve(v);
  if (kubeconfig) env.KUBECONFIG = kubeconfig;
  return new Observation(
    i.findings,
    {
      observers,
      abort,
      close: () => created.close(),
      ...(command
        ? {
            sut: {
              argv: command.map(resolve),
              env,
              cwd: ctx.cwd,
              ready,
              readyTimeoutMs: spec?.readyTimeoutMs ?? 60_000,
              stopGraceMs: spec?.stopGraceMs ?? 10_000,
              restart: spec?.restart ?? 'never',
              logPath: sidePath(i.out, 'sut.log'),
              findings: i.findings,
              output: () => (i.scanner ?? defaultScanner)('sut', patterns, i.findings),
              say: (line: string) => ctx.stderr.write(line),
            },
          }
        : {}),
    },
    i.say,
  );
}

function defaultScanner(source: string, patterns: string[], findings: FindingsCollector): OutputSink {
  return createLogScanner({ source, patterns, collector: findings });
}

function toReady(r: NonNullable<Profile['sut']>['ready'], resolve: (s: string) => string): ReadySpec {
  switch (r.kind) {
    case 'log':
      return { kind: 'log', pattern: new RegExp(r.pattern) };
    case 'http':
      return { kind: 'http', url: resolve(r.url) };
    default:
      return r;
  }
}

/** kubeconfigForSut writes a kubeconfig for the run's target beside the result and returns its path ('' in a cluster: the SUT uses its own service account). */
async function kubeconfigForSut(i: ObservationInputs): Promise<string> {
  const path = sidePath(i.out, 'kubeconfig');
  mkdirSync(dirname(path), { recursive: true });
  if (i.mock) {
    writeFileSync(path, i.mock.kubeconfig, { mode: 0o600 });
    return path;
  }
  if (i.options.inCluster) return '';
  const { loadKubeConfig } = await import('../kube/target.js');
  const kc = await loadKubeConfig({
    ...(i.options.kubeconfig ?? i.profile.target.kubeconfig ? { kubeconfig: (i.options.kubeconfig ?? i.profile.target.kubeconfig)! } : {}),
    ...(i.options.context ?? i.profile.target.context ? { context: (i.options.context ?? i.profile.target.context)! } : {}),
  });
  const { stringify } = await import('yaml');
  const config = JSON.parse(kc.exportConfig()) as KubeconfigFile;
  pinServer(config, kc.getCurrentCluster()?.name, i.target.connect?.addresses);
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** KubeconfigFile is the part of an exported kubeconfig pinServer changes. */
interface KubeconfigFile {
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
}

/**
 * pinServer points the SUT's kubeconfig at the first address racerig resolved and checked for the
 * server's name (loopback unless --allow-remote), so the SUT cannot reach another address through a
 * later DNS answer; `tls-server-name` keeps the name for the certificate check.
 */
export function pinServer(config: KubeconfigFile, clusterName: string | undefined, addresses: ResolvedAddress[] | undefined): void {
  const entry = config.clusters?.find((c) => c.name === clusterName);
  const first = addresses?.[0];
  if (!entry || !first || typeof entry.cluster.server !== 'string') return;
  const server = entry.cluster.server;
  const url = new URL(server);
  const name = url.hostname;
  url.hostname = first.family === 6 ? `[${first.address}]` : first.address;
  // URL adds a '/' path to a bare origin: keep the server's own form.
  entry.cluster.server = !server.endsWith('/') && url.href.endsWith('/') ? url.href.slice(0, -1) : url.href;
  if (url.protocol === 'https:' && entry.cluster['tls-server-name'] === undefined) entry.cluster['tls-server-name'] = name;
}


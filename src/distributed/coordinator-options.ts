/**
 * The flags of a distributed `run <url|profile> --shards N --image <img>`: which cluster runs the shards
 * and how (namespace, node selector, resource requests), and which run flags every shard gets.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseDurationMs } from '../engine/duration.js';
import { CLOCK_OFFSET_WARN_MS } from './clock.js';
import { parseProfileOptions, parseRunOptions, type RawRunOptions } from '../cli/run-options.js';
import type { CoordinatorOptions } from './coordinator.js';
import { loadProfile } from '../profile/loader.js';
import { packBundle } from './bundle.js';
import { hasRawHttp } from '../profile-run/integrity.js';

/** CoordinatorFlags are the raw commander values of the coordinator's flags. */
export interface CoordinatorFlags {
  shards?: string;
  image?: string;
  namespace?: string;
  nodeSelector?: string;
  resources?: string;
  startDelay?: string;
  clockOffsetWarn?: string;
  serviceAccount?: string;
  kubeconfig?: string;
  context?: string;
  keep?: boolean;
}

/** COORDINATOR_ONLY_FLAGS need --shards. */
export const COORDINATOR_ONLY_FLAGS = ['image', 'namespace', 'nodeSelector', 'resources', 'startDelay', 'clockOffsetWarn', 'serviceAccount'] as const;

/** addCoordinatorFlags adds --shards, --image, --namespace, --node-selector, --resources and --start-delay to `run`. */
export function addCoordinatorFlags(cmd: Command): Command {
  return cmd
    .option('--shards <n>', 'run the load as N shards, the pods of an Indexed Job in the cluster of --kubeconfig/--context, and merge their results exactly (a profile: that cluster is also the target; setup and cleanup run once, here)')
    .option('--image <image>', 'with --shards: the racerig container image the shard pods run')
    .option('--namespace <ns>', "with --shards: namespace of the Job, its pods and ConfigMap (default: the context's namespace)")
    .option('--node-selector <k=v,...>', 'with --shards: nodeSelector of the shard pods')
    .option('--resources <cpu=…,memory=…>', 'with --shards: resource requests of each shard pod')
    .option('--start-delay <dur>', 'with --shards: time from creating the Job to the common start of every shard (default 15s)')
    .option('--clock-offset-warn <dur>', "with --shards: name a shard whose clock is estimated off the coordinator's by more than this (default 250ms)")
    .option('--service-account <name>', "with --shards: serviceAccountName of the shard pods (a profile's shards act with its rights; default: the namespace's default)");
}

function keyValues(flag: string, text: string | undefined, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf('=');
    if (at <= 0 || at === part.length - 1) problems.push(`${flag} must be k=v[,k=v…], got "${part}"`);
    else out[part.slice(0, at)] = part.slice(at + 1);
  }
  return out;
}

/** FORWARDED lists the run flags a shard gets as given (option key → flag); others (--out, --hgrm, --log, --quiet, --repeat) stay with the coordinator. */
const FORWARDED: ReadonlyArray<readonly [keyof RawRunOptions, string]> = [
  ['rate', '--rate'],
  ['ramp', '--ramp'],
  ['connections', '--connections'],
  ['workers', '--workers'],
  ['duration', '--duration'],
  ['requests', '--requests'],
  ['method', '--method'],
  ['header', '--header'],
  ['pipelining', '--pipelining'],
  ['httpClient', '--http-client'],
  ['maxInFlight', '--max-in-flight'],
  ['maxLag', '--max-lag'],
  ['gather', '--gather'],
  ['timeout', '--timeout'],
  ['name', '--name'],
  ['label', '--label'],
];

/** PROFILE_FORWARDED lists the run flags a profile shard gets as given; the others stay with the coordinator. */
const PROFILE_FORWARDED: ReadonlyArray<readonly [keyof RawRunOptions, string]> = [
  ['connections', '--connections'],
  ['workers', '--workers'],
  ['maxLag', '--max-lag'],
  ['gather', '--gather'],
  ['timeout', '--timeout'],
  ['label', '--label'],
];

type RawCoordinatorFlags = RawRunOptions & CoordinatorFlags & { allowRemote?: boolean; insecure?: boolean; repeat?: string };

/** CommonOptions are the coordinator options every distributed run (URL or profile) takes from the same flags. */
type CommonOptions = Pick<CoordinatorOptions, 'shards' | 'image' | 'namespace' | 'keep' | 'nodeSelector' | 'resources' | 'serviceAccount' | 'allowRemote' | 'startDelayMs' | 'clockOffsetWarnMs' | 'scheduleTimeoutMs' | 'quiet'>;

/** commonOptions checks the flags every distributed run shares, adding a problem for each invalid one, and returns their options. */
function commonOptions(raw: RawCoordinatorFlags, problems: string[]): CommonOptions {
  const shards = Number(raw.shards);
  if (!Number.isInteger(shards) || shards < 1 || shards > 1000) problems.push(`--shards must be an integer from 1 to 1000, got "${raw.shards}"`);
  if (!raw.image) problems.push('--shards needs --image <racerig image> (build it with the Dockerfile and load it into the cluster, e.g. racerig cluster load)');
  for (const f of ['shard', 'startAt', 'progress', 'runId', 'bundle'] as const) if (raw[f] !== undefined) problems.push(`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is set by the coordinator for each shard; it cannot be combined with --shards`);
  if (raw.repeat !== undefined) problems.push('--repeat cannot be combined with --shards');
  if (raw.hgrm !== undefined || raw.log !== undefined) problems.push('--hgrm and --log are not available with --shards (merge the result, then report it)');
  const nodeSelector = keyValues('--node-selector', raw.nodeSelector, problems);
  const resources = keyValues('--resources', raw.resources, problems);
  for (const k of Object.keys(resources)) if (!['cpu', 'memory', 'ephemeral-storage'].includes(k)) problems.push(`--resources: unknown resource "${k}" (cpu, memory, ephemeral-storage)`);
  const startDelayMs = raw.startDelay === undefined ? 15_000 : parseDurationMs(raw.startDelay);
  if (!(startDelayMs > 0)) problems.push(`--start-delay must be a positive duration such as 15s, got "${raw.startDelay}"`);
  const clockOffsetWarnMs = raw.clockOffsetWarn === undefined ? CLOCK_OFFSET_WARN_MS : parseDurationMs(raw.clockOffsetWarn);
  if (!(clockOffsetWarnMs > 0)) problems.push(`--clock-offset-warn must be a positive duration such as 250ms, got "${raw.clockOffsetWarn}"`);
  if (raw.serviceAccount !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(raw.serviceAccount)) problems.push(`--service-account must be a service account name, got "${raw.serviceAccount}"`);
  return {
    shards,
    image: raw.image!,
    ...(raw.namespace ? { namespace: raw.namespace } : {}),
    keep: raw.keep === true,
    nodeSelector,
    resources,
    ...(raw.serviceAccount ? { serviceAccount: raw.serviceAccount } : {}),
    allowRemote: raw.allowRemote === true,
    startDelayMs,
    clockOffsetWarnMs,
    scheduleTimeoutMs: 30_000,
    quiet: raw.quiet === true,
  };
}

/**
 * profileCoordinatorOptions validates a distributed profile run (every flag problem at once), loads and
 * validates the profile here (problems with file:line, as for any run), checks it can run as shards and
 * packs its bundle; returns the coordinator's options.
 */
export async function profileCoordinatorOptions(target: string, raw: RawCoordinatorFlags, cwd: string, resolveFile: (target: string, cwd: string) => string): Promise<CoordinatorOptions> {
  const problems: string[] = [];
  const common = commonOptions(raw, problems);
  const { shards } = common;
  if (problems.length) throw new UsageError(problems.join('; '));
  // Each shard validates its own flags the same way: check shard 0's now, so a bad flag fails here and not in N pods.
  const plan = parseProfileOptions(target, { ...raw, kubeconfig: undefined, context: undefined, keep: undefined, integrity: undefined, shard: `0/${shards}`, progress: 'ndjson' }, cwd, resolveFile);
  const profile = await loadProfile(plan.file, { cwd, smoke: plan.smoke });
  // The profile's target.kubeconfig/context are defaults, as for any profile run (flags win).
  const kubeconfig = raw.kubeconfig !== undefined ? resolve(cwd, raw.kubeconfig) : profile.target.kubeconfig;
  const context = raw.context ?? profile.target.context;
  if (kubeconfig === undefined && context === undefined) throw new UsageError('a distributed profile run needs --kubeconfig or --context (or the profile\'s target.kubeconfig/context): that cluster runs the shards and is their target');
  const why: string[] = [];
  if (raw.integrity && hasRawHttp(profile)) why.push('--integrity with --shards needs a profile without http steps (their requests cannot be told from the coordinator\'s own)');
  if (why.length) throw new UsageError(why.length === 1 ? why[0]! : `this profile cannot run as ${shards} shards:\n  - ${why.join('\n  - ')}`);
  const bundle = packBundle(resolve(cwd, plan.file), profile.source.files ?? []);
  const shardArgs: string[] = [];
  for (const [key, flag] of PROFILE_FORWARDED) {
    const v = raw[key];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) shardArgs.push(flag, String(one));
  }
  if (plan.smoke) shardArgs.push('--smoke');
  return {
    profile: { file: plan.file, profile, plan: { ...plan, ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) }, bundle, bundlePath: plan.file.split(/[\\/]/).pop()!, ...(raw.integrity ? { integrity: true } : {}) },
    ...common,
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(context ? { context } : {}),
    shardArgs,
    ...(plan.out ? { out: plan.out } : {}),
    labels: plan.labels,
  };
}

/** coordinatorOptions validates a distributed URL run's flags (every problem at once) and returns the coordinator's options. */
export function coordinatorOptions(url: string, raw: RawCoordinatorFlags, cwd: string): CoordinatorOptions {
  const problems: string[] = [];
  const common = commonOptions(raw, problems);
  const { shards } = common;
  if (problems.length) throw new UsageError(problems.join('; '));
  // Each shard validates its own share the same way: check shard 0's now, so a bad flag fails here and not in N pods.
  const plan = parseRunOptions(url, { ...raw, kubeconfig: undefined, context: undefined, keep: undefined, shard: `0/${shards}`, startAt: undefined, progress: 'ndjson' }, cwd);
  const shardArgs: string[] = [];
  for (const [key, flag] of FORWARDED) {
    const v = raw[key];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) shardArgs.push(flag, String(one));
  }
  if (raw.body !== undefined) shardArgs.push('--body', raw.body.startsWith('@') ? readFileSync(resolve(cwd, raw.body.slice(1)), 'utf8') : raw.body);
  if (raw.insecure) shardArgs.push('--insecure');
  if (raw.allowRemote) shardArgs.push('--allow-remote');
  return {
    url,
    ...common,
    ...(raw.kubeconfig ? { kubeconfig: resolve(cwd, raw.kubeconfig) } : {}),
    ...(raw.context ? { context: raw.context } : {}),
    shardArgs,
    ...(plan.out ? { out: plan.out } : {}),
    labels: plan.labels,
  };
}

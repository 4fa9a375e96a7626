/**
 * The flags of a distributed `run <url> --shards N --image <img>`: which cluster runs the shards and
 * how (namespace, node selector, resource requests), and which run flags every shard gets.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseDurationMs } from '../engine/duration.js';
import { parseRunOptions, type RawRunOptions } from '../cli/run-options.js';
import type { CoordinatorOptions } from './coordinator.js';

/** CoordinatorFlags are the raw commander values of the coordinator's flags. */
export interface CoordinatorFlags {
  shards?: string;
  image?: string;
  namespace?: string;
  nodeSelector?: string;
  resources?: string;
  startDelay?: string;
  kubeconfig?: string;
  context?: string;
  keep?: boolean;
}

/** COORDINATOR_ONLY_FLAGS need --shards. */
export const COORDINATOR_ONLY_FLAGS = ['image', 'namespace', 'nodeSelector', 'resources', 'startDelay'] as const;

/** addCoordinatorFlags adds --shards, --image, --namespace, --node-selector, --resources and --start-delay to `run`. */
export function addCoordinatorFlags(cmd: Command): Command {
  return cmd
    .option('--shards <n>', 'URL runs: run the load as N shards, the pods of an Indexed Job in the cluster of --kubeconfig/--context, and merge their results exactly')
    .option('--image <image>', 'with --shards: the racerig container image the shard pods run')
    .option('--namespace <ns>', "with --shards: namespace of the Job, its pods and ConfigMap (default: the context's namespace)")
    .option('--node-selector <k=v,...>', 'with --shards: nodeSelector of the shard pods')
    .option('--resources <cpu=…,memory=…>', 'with --shards: resource requests of each shard pod')
    .option('--start-delay <dur>', 'with --shards: time from creating the Job to the common start of every shard (default 15s)');
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

/** coordinatorOptions validates a distributed URL run's flags (every problem at once) and returns the coordinator's options. */
export function coordinatorOptions(url: string, raw: RawRunOptions & CoordinatorFlags & { allowRemote?: boolean; insecure?: boolean; repeat?: string }, cwd: string): CoordinatorOptions {
  const problems: string[] = [];
  const shards = Number(raw.shards);
  if (!Number.isInteger(shards) || shards < 1 || shards > 1000) problems.push(`--shards must be an integer from 1 to 1000, got "${raw.shards}"`);
  if (!raw.image) problems.push('--shards needs --image <racerig image> (build it with the Dockerfile and load it into the cluster, e.g. racerig cluster load)');
  for (const f of ['shard', 'startAt', 'progress'] as const) if (raw[f] !== undefined) problems.push(`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is set by the coordinator for each shard; it cannot be combined with --shards`);
  if (raw.repeat !== undefined) problems.push('--repeat cannot be combined with --shards');
  if (raw.hgrm !== undefined || raw.log !== undefined) problems.push('--hgrm and --log are not available with --shards (merge the result, then report it)');
  const nodeSelector = keyValues('--node-selector', raw.nodeSelector, problems);
  const resources = keyValues('--resources', raw.resources, problems);
  for (const k of Object.keys(resources)) if (!['cpu', 'memory', 'ephemeral-storage'].includes(k)) problems.push(`--resources: unknown resource "${k}" (cpu, memory, ephemeral-storage)`);
  const startDelayMs = raw.startDelay === undefined ? 15_000 : parseDurationMs(raw.startDelay);
  if (!(startDelayMs > 0)) problems.push(`--start-delay must be a positive duration such as 15s, got "${raw.startDelay}"`);
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
    shards,
    image: raw.image!,
    ...(raw.namespace ? { namespace: raw.namespace } : {}),
    keep: raw.keep === true,
    nodeSelector,
    resources,
    ...(raw.kubeconfig ? { kubeconfig: resolve(cwd, raw.kubeconfig) } : {}),
    ...(raw.context ? { context: raw.context } : {}),
    allowRemote: raw.allowRemote === true,
    shardArgs,
    startDelayMs,
    scheduleTimeoutMs: 30_000,
    ...(plan.out ? { out: plan.out } : {}),
    quiet: raw.quiet === true,
    labels: plan.labels,
  };
}

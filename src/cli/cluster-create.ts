/** `racerig cluster create`: `kind create cluster` with racerig's defaults, output streamed, killed on Ctrl-C or timeout. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClusterSubcommand } from './cluster.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { runKind } from '../cluster/kind.js';
import { addNameFlag, addTimeoutFlag, checkName, durationFlag } from './cluster-flags.js';

/** ClusterCreateFlags are the parsed flags of `racerig cluster create`. */
export interface ClusterCreateFlags {
  name: string;
  config?: string;
  image?: string;
  wait: string;
  timeout: string;
}

/** createArgs builds kind's arguments for `cluster create` (relative --config resolved against `cwd`). */
export function createArgs(flags: ClusterCreateFlags, cwd: string): string[] {
  const args = ['create', 'cluster', '--name', checkName(flags.name)];
  if (flags.config !== undefined) {
    const file = resolve(cwd, flags.config);
    if (!existsSync(file)) throw new UsageError(`--config ${flags.config}: no such file`);
    args.push('--config', file);
  }
  if (flags.image !== undefined) args.push('--image', flags.image);
  args.push('--wait', `${Math.ceil(durationFlag('--wait', flags.wait) / 1000)}s`);
  return args;
}

/** registerClusterCreate adds `racerig cluster create`. */
export const registerClusterCreate: ClusterSubcommand = (cluster, ctx, setExit) => {
  addTimeoutFlag(
    addNameFlag(cluster.command('create').description('create a kind cluster (kind create cluster) and wait until its control plane is ready')),
    '15m',
  )
    .option('--config <file>', 'kind cluster configuration (kind.x-k8s.io/v1alpha4 Cluster)')
    .option('--image <image>', 'node image, e.g. kindest/node:v1.31.0 (default: the kind release\'s)')
    .option('--wait <dur>', 'how long kind waits for the control plane to be Ready', '120s')
    .action(async (flags: ClusterCreateFlags) => {
      const args = createArgs(flags, ctx.cwd);
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      ctx.stderr.write(`racerig: kind ${args.join(' ')}\n`);
      await runKind(args, { ctx, cluster: flags.name, timeoutMs });
      ctx.stdout.write(`racerig: cluster "${flags.name}" is ready (context kind-${flags.name}); run against it with: racerig run <profile> --cluster ${flags.name}\n`);
      setExit(ExitCode.Ok);
    });
};

/**
 * `racerig cluster`: kind clusters for racerig runs (create, delete, list, kubeconfig, load, logs) and
 * deploying a controller build into one (deploy). One file per subcommand: cluster-<name>.ts.
 */
import type { Command } from 'commander';
import type { CommandRegistrar } from './main.js';
import type { CliContext } from './context.js';
import { registerClusterCreate } from './cluster-create.js';
import { registerClusterDelete } from './cluster-delete.js';
import { registerClusterList } from './cluster-list.js';
import { registerClusterKubeconfig } from './cluster-kubeconfig.js';
import { registerClusterLoad } from './cluster-load.js';
import { registerClusterLogs } from './cluster-logs.js';
import { registerClusterDeploy } from './cluster-deploy.js';

/** ClusterSubcommand adds one subcommand to `racerig cluster`; its action reports the exit code through `setExit`. */
export type ClusterSubcommand = (cluster: Command, ctx: CliContext, setExit: (code: number) => void) => void;

const subcommands: ClusterSubcommand[] = [registerClusterCreate, registerClusterDelete, registerClusterList, registerClusterKubeconfig, registerClusterLoad, registerClusterLogs, registerClusterDeploy];

/** registerClusterCommand adds `racerig cluster <subcommand>`. */
export const registerClusterCommand: CommandRegistrar = (program, ctx, setExit) => {
  const cluster = program
    .command('cluster')
    .description('kind clusters for racerig runs: create, delete, list, kubeconfig, load images, export logs, deploy a build (KIND_EXPERIMENTAL_PROVIDER=podman passes through to kind)');
  for (const add of subcommands) add(cluster, ctx, setExit);
};

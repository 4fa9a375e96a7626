/** `racerig cluster kubeconfig`: prints a kind cluster's kubeconfig (`kind get kubeconfig`). */
import type { ClusterSubcommand } from './cluster.js';
import { ExitCode } from '../exit-codes.js';
import { clusterKubeconfig } from '../cluster/cluster-target.js';
import { addNameFlag, addTimeoutFlag, checkName, durationFlag } from './cluster-flags.js';

/** registerClusterKubeconfig adds `racerig cluster kubeconfig`. */
export const registerClusterKubeconfig: ClusterSubcommand = (cluster, ctx, setExit) => {
  addTimeoutFlag(addNameFlag(cluster.command('kubeconfig').description("print the cluster's kubeconfig (kind get kubeconfig); it holds the admin credentials")), '60s')
    .option('--internal', "the API server's address inside the cluster's container network (for a rig running in a container beside the nodes) instead of 127.0.0.1")
    .action(async (flags: { name: string; internal?: boolean; timeout: string }) => {
      const yaml = await clusterKubeconfig(checkName(flags.name), ctx, { internal: flags.internal === true, timeoutMs: durationFlag('--timeout', flags.timeout) });
      ctx.stdout.write(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
      setExit(ExitCode.Ok);
    });
};

/** `racerig cluster delete`: `kind delete cluster`, refusing a cluster that does not exist (kind itself would say nothing). */
import type { ClusterSubcommand } from './cluster.js';
import { ExitCode } from '../exit-codes.js';
import { runKind } from '../cluster/kind.js';
import { clusterMissing } from '../cluster/kind-errors.js';
import { listClusters } from './cluster-list.js';
import { addNameFlag, addTimeoutFlag, checkName, durationFlag } from './cluster-flags.js';

/** registerClusterDelete adds `racerig cluster delete`. */
export const registerClusterDelete: ClusterSubcommand = (cluster, ctx, setExit) => {
  addTimeoutFlag(addNameFlag(cluster.command('delete').description('delete a kind cluster (kind delete cluster); exit 8 when there is none of that name')), '5m').action(
    async (flags: { name: string; timeout: string }) => {
      const name = checkName(flags.name);
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      if (!(await listClusters(ctx, timeoutMs)).includes(name)) throw clusterMissing(name);
      await runKind(['delete', 'cluster', '--name', name], { ctx, cluster: name, timeoutMs });
      ctx.stdout.write(`racerig: cluster "${name}" deleted\n`);
      setExit(ExitCode.Ok);
    },
  );
};

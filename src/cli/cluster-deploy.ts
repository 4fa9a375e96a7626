/** `racerig cluster deploy`: a controller build into a kind cluster (server-side apply, image override, rollout wait). */
import { resolve } from 'node:path';
import type { ClusterSubcommand } from './cluster.js';
import { ExitCode } from '../exit-codes.js';
import { clusterKubeconfig, kindContext } from '../cluster/cluster-target.js';
import { addNameFlag, checkName, durationFlag } from './cluster-flags.js';
import { UsageError } from '../errors.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** ClusterDeployFlags are the parsed flags of `racerig cluster deploy`. */
export interface ClusterDeployFlags {
  name: string;
  filename?: string[];
  setImage?: string[];
  namespace?: string;
  wait: string;
}

/** registerClusterDeploy adds `racerig cluster deploy`. */
export const registerClusterDeploy: ClusterSubcommand = (cluster, ctx, setExit) => {
  addNameFlag(cluster.command('deploy').description('apply manifests to the cluster (server-side apply, field manager racerig), set images, wait for the Deployments to roll out, print their pods'))
    .option('-f, --filename <manifests>', 'manifest file (YAML or JSON, several documents); repeatable', collect)
    .option('--set-image <container=image>', 'set the image of every container of that name (* for all) in the manifests\' pod templates; repeatable', collect)
    .option('--namespace <ns>', "namespace of namespaced objects that name none (default: the kubeconfig context's, i.e. default)")
    .option('--wait <dur>', 'how long to wait for the rollouts before printing the pods\' states and recent events (exit 9)', '3m')
    .action(async (flags: ClusterDeployFlags) => {
      const name = checkName(flags.name);
      if (!flags.filename?.length) throw new UsageError('name the manifests with -f <file> (repeatable)');
      const waitMs = durationFlag('--wait', flags.wait);
      const { parseSetImage, readManifests, setImages } = await import('../cluster/manifests.js'); // yaml: loaded on use
      const overrides = parseSetImage(flags.setImage ?? []);
      const manifests = readManifests(flags.filename.map((f) => resolve(ctx.cwd, f)));
      setImages(manifests, overrides);
      const yaml = await clusterKubeconfig(name, ctx);
      const { loadTarget } = await import('../kube/target.js');
      const target = await loadTarget({ kubeconfigYaml: yaml, context: kindContext(name) });
      ctx.stderr.write(`racerig: cluster "${name}": ${target.server} (context ${target.context})\n`);
      const { deploy } = await import('../cluster/deploy.js');
      await deploy({ target, manifests, ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}), waitMs }, ctx);
      setExit(ExitCode.Ok);
    });
};

/** `racerig cluster logs`: the cluster's node, kubelet, container and pod logs into a folder (`kind export logs`). */
import { resolve, join } from 'node:path';
import type { ClusterSubcommand } from './cluster.js';
import { ExitCode } from '../exit-codes.js';
import { runKind } from '../cluster/kind.js';
import { addNameFlag, addTimeoutFlag, checkName, durationFlag } from './cluster-flags.js';

/** defaultLogsDir is `results/kind-logs-<name>-<UTC timestamp>` under `cwd`. */
export function defaultLogsDir(cwd: string, name: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return join(cwd, 'results', `kind-logs-${name}-${stamp}`);
}

/** registerClusterLogs adds `racerig cluster logs`. */
export const registerClusterLogs: ClusterSubcommand = (cluster, ctx, setExit) => {
  addTimeoutFlag(addNameFlag(cluster.command('logs [dir]').description('export the cluster\'s logs (kind export logs) into dir (default results/kind-logs-<name>-<UTC timestamp>)')), '5m').action(
    async (dir: string | undefined, flags: { name: string; timeout: string }) => {
      const name = checkName(flags.name);
      const target = dir === undefined ? defaultLogsDir(ctx.cwd, name, new Date()) : resolve(ctx.cwd, dir);
      await runKind(['export', 'logs', target, '--name', name], { ctx, cluster: name, captureStdout: true, timeoutMs: durationFlag('--timeout', flags.timeout) });
      ctx.stdout.write(`${target}\n`);
      setExit(ExitCode.Ok);
    },
  );
};

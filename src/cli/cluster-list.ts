/** `racerig cluster list`: the kind clusters, one name a line (`kind get clusters`). */
import type { ClusterSubcommand } from './cluster.js';
import type { CliContext } from './context.js';
import { ExitCode } from '../exit-codes.js';
import { runKind } from '../cluster/kind.js';
import { addTimeoutFlag, durationFlag } from './cluster-flags.js';

/** listClusters returns the names of the kind clusters (kind's "No kind clusters found." is not passed on). */
export async function listClusters(ctx: CliContext, timeoutMs: number): Promise<string[]> {
  const { stdout } = await runKind(['get', 'clusters'], { ctx, cluster: '', captureStdout: true, streamStderr: false, timeoutMs });
  return stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** registerClusterList adds `racerig cluster list`. */
export const registerClusterList: ClusterSubcommand = (cluster, ctx, setExit) => {
  addTimeoutFlag(cluster.command('list').description('list the kind clusters, one name a line (kind get clusters)'), '60s').action(async (flags: { timeout: string }) => {
    const names = await listClusters(ctx, durationFlag('--timeout', flags.timeout));
    for (const n of names) ctx.stdout.write(`${n}\n`);
    if (!names.length) ctx.stderr.write('racerig: no kind clusters\n');
    setExit(ExitCode.Ok);
  });
};

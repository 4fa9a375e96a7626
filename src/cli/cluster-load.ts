/** `racerig cluster load`: local images into the cluster's nodes (`kind load docker-image`, `kind load image-archive`). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClusterSubcommand } from './cluster.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { runKind } from '../cluster/kind.js';
import { addNameFlag, addTimeoutFlag, checkName, durationFlag } from './cluster-flags.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** loadCommands returns the kind commands that load `images` and `archives` into cluster `name`. */
export function loadCommands(name: string, images: string[], archives: string[], cwd: string): string[][] {
  if (!images.length && !archives.length) throw new UsageError('name at least one image, or an image archive with --archive <file.tar>');
  const out: string[][] = [];
  if (images.length) out.push(['load', 'docker-image', '--name', name, ...images]);
  for (const a of archives) {
    const file = resolve(cwd, a);
    if (!existsSync(file)) throw new UsageError(`--archive ${a}: no such file`);
    out.push(['load', 'image-archive', '--name', name, file]);
  }
  return out;
}

/** registerClusterLoad adds `racerig cluster load`. */
export const registerClusterLoad: ClusterSubcommand = (cluster, ctx, setExit) => {
  addTimeoutFlag(
    addNameFlag(cluster.command('load [images...]').description('load local images into the cluster (kind load docker-image), or saved ones with --archive (kind load image-archive)')),
    '10m',
  )
    .option('--archive <file.tar>', 'an image archive (docker save / podman save) to load instead; repeatable', collect)
    .action(async (images: string[], flags: { name: string; archive?: string[]; timeout: string }) => {
      const name = checkName(flags.name);
      const timeoutMs = durationFlag('--timeout', flags.timeout);
      for (const args of loadCommands(name, images, flags.archive ?? [], ctx.cwd)) {
        ctx.stderr.write(`racerig: kind ${args.join(' ')}\n`);
        await runKind(args, { ctx, cluster: name, timeoutMs });
      }
      ctx.stdout.write(`racerig: loaded ${[...images, ...(flags.archive ?? [])].join(', ')} into cluster "${name}"\n`);
      setExit(ExitCode.Ok);
    });
};

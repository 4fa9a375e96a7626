/**
 * A kind cluster as a run's target: its kubeconfig from `kind get kubeconfig --name`, written to a
 * private temporary file (mode 0600, in a 0700 folder) that is removed when the work using it ends.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext } from '../cli/context.js';
import { runKind } from './kind.js';

/** KUBECONFIG_TIMEOUT_MS bounds `kind get kubeconfig`. */
export const KUBECONFIG_TIMEOUT_MS = 60_000;

/** kindContext is the kubeconfig context kind names after a cluster (`kind-<name>`). */
export function kindContext(name: string): string {
  return `kind-${name}`;
}

/** clusterKubeconfig returns the kubeconfig YAML of kind cluster `name` (`internal`: the address inside the cluster's network). */
export async function clusterKubeconfig(name: string, ctx: CliContext, options: { internal?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const args = ['get', 'kubeconfig', '--name', name, ...(options.internal ? ['--internal'] : [])];
  const { stdout } = await runKind(args, { ctx, cluster: name, captureStdout: true, timeoutMs: options.timeoutMs ?? KUBECONFIG_TIMEOUT_MS });
  return stdout;
}

/** withClusterKubeconfig writes cluster `name`'s kubeconfig to a 0600 temporary file, calls `fn` with its path and context, and removes the file however `fn` ends. */
export async function withClusterKubeconfig<T>(name: string, ctx: CliContext, fn: (kubeconfig: string, context: string) => Promise<T>): Promise<T> {
  const yaml = await clusterKubeconfig(name, ctx);
  const dir = mkdtempSync(join(tmpdir(), 'racerig-kind-'));
  try {
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, yaml, { mode: 0o600 });
    return await fn(file, kindContext(name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

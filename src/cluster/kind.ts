/**
 * The kind CLI through execa: one child per command, started from an argument array (no shell), in its
 * own process group, with the command's environment (so `KIND_EXPERIMENTAL_PROVIDER=podman` passes
 * through). Its output is streamed live, each line prefixed; the process group is killed on Ctrl-C
 * (`ctx.signals`), on timeout and when racerig exits. Failures become ClusterErrors (kind-errors.ts).
 */
import type { CliContext, Writable } from '../cli/context.js';
import { clusterInterrupted, clusterTimeout, kindFailure, kindNotInstalled } from './kind-errors.js';
import { GROUP_CHILD, killGroup, trackGroup, untrackGroup } from '../process/process-groups.js';

/** KIND_PREFIX starts every line of kind's output that racerig passes on. */
export const KIND_PREFIX = 'kind| ';

/** KILL_GRACE_MS is how long the process group has between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;

/** KindRunOptions configure one kind command. */
export interface KindRunOptions {
  ctx: CliContext;
  /** The cluster the command is about (for error messages). */
  cluster: string;
  /** Kill the process group after this many ms; undefined: no limit. */
  timeoutMs?: number;
  /** Keep stdout for the caller instead of streaming it (kubeconfigs, lists). */
  captureStdout?: boolean;
  /** Stream stderr too (default true); false keeps it only for the error message. */
  streamStderr?: boolean;
  /** Hint added to the timeout error. */
  timeoutHint?: string;
}

/** KindResult is what a successful kind command printed. */
export interface KindResult {
  stdout: string;
  stderr: string;
}


/** linePrefixer returns a writer that passes complete lines to `out` with `prefix`, and a flush for the last partial line. */
export function linePrefixer(out: Writable, prefix: string): { write(chunk: Buffer | string): void; flush(): void } {
  let partial = '';
  return {
    write(chunk) {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) out.write(`${prefix}${l.replace(/\r$/, '')}\n`);
    },
    flush() {
      if (partial) out.write(`${prefix}${partial}\n`);
      partial = '';
    },
  };
}

/** runKind runs `kind <args>` and resolves with its output; rejects with a ClusterError (not installed, runtime down, cluster exists/missing, image missing, timeout, interrupted, other failure). */
export async function runKind(args: readonly string[], o: KindRunOptions): Promise<KindResult> {
  const { ctx } = o;
  const { execa } = await import('execa'); // loaded on use: keeps the start-up of other commands short
  const child = execa('kind', [...args], { ...GROUP_CHILD, env: ctx.env, extendEnv: false, cwd: ctx.cwd });
  if (child.pid !== undefined) trackGroup(child.pid);
  let stdout = '';
  let stderr = '';
  const outLines = linePrefixer(ctx.stdout, KIND_PREFIX);
  const errLines = linePrefixer(ctx.stderr, KIND_PREFIX);
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (!o.captureStdout) outLines.write(c);
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (o.streamStderr !== false) errLines.write(c);
  });

  let stoppedBy: 'timeout' | 'interrupt' | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'interrupt') => {
    if (stoppedBy || child.pid === undefined) return;
    stoppedBy = why;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  const onInt = () => stop('interrupt');
  ctx.signals.on('SIGINT', onInt);
  ctx.signals.on('SIGTERM', onInt);
  const timer = o.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), o.timeoutMs) : undefined;
  let r: Awaited<typeof child>;
  try {
    r = await child;
  } finally {
    if (timer) clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    ctx.signals.off('SIGINT', onInt);
    ctx.signals.off('SIGTERM', onInt);
    if (child.pid !== undefined) {
      untrackGroup(child.pid);
      // Whatever kind started in its group (docker, podman) goes with it once kind itself is gone.
      if (stoppedBy) killGroup(child.pid, 'SIGKILL');
    }
    outLines.flush();
    errLines.flush();
  }
  const what = `kind ${args.join(' ')}`;
  if (stoppedBy === 'interrupt') throw clusterInterrupted(what);
  if (stoppedBy === 'timeout') throw clusterTimeout(what, o.timeoutMs!, o.timeoutHint ?? 'pass a longer --timeout, or look at kind\'s output above');
  if (r.failed) {
    if ((r as { code?: string }).code === 'ENOENT' && r.exitCode === undefined) throw kindNotInstalled(r.originalMessage);
    throw kindFailure(args, r.exitCode, stderr, o.cluster);
  }
  return { stdout, stderr };
}

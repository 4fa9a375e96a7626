/** The `exec` step: runs a command in a pod's container, or in each of its running containers but some (like Argo's signalContainers). */
import { exec } from '../../kube/exec-client.js';
import { getRequest } from '../../kube/requests.js';
import type { Compiled } from '../../profile/compile.js';
import { StepFailure } from '../../errors.js';
import { call, json, streamOf } from './request.js';
import type { Iteration, StepContext, StepModule, StepOf } from './step-module.js';

/** execStep execs its command (WebSocket or SPDY); success is exit code `expectExitCode`. With `containers`, every running container but `allExcept`, one after another, the pod from a stored object or a GET. */
export const execStep: StepModule<'exec'> = {
  kind: 'exec',
  async run(ctx, step, it) {
    const scope = it.scope;
    if (!step.containers) {
      await execOnce(ctx, step, it, step.container?.(scope));
      return;
    }
    const ns = step.namespace(scope);
    const podName = step.pod(scope);
    const pod = step.containers.from !== undefined ? scope.objects[step.containers.from] : json(await call(ctx, step, getRequest(ctx.paths(step), ns, podName), it));
    for (const container of runningContainers(pod, step.containers.allExcept)) await execOnce(ctx, step, it, container);
  },
};

async function execOnce(ctx: StepContext, step: Compiled<StepOf<'exec'>>, it: Iteration, container: string | undefined): Promise<void> {
  const scope = it.scope;
  const first = it.intendedAt;
  it.intendedAt = undefined;
  const result = await exec(ctx.execDispatch ?? ctx.dispatch, ctx.paths(step), step.namespace(scope), step.pod(scope), {
    command: step.command.map((c) => c(scope)),
    ...(container !== undefined ? { container } : {}),
    ...(step.stdin !== undefined ? { stdinData: step.stdin } : {}),
    operation: step.operationIndex,
    ...(first !== undefined ? { intendedAt: first } : {}),
    ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}),
    protocol: step.protocol,
    ...streamOf(ctx, step.operationIndex, 'streamOperation'),
  }).catch((err: Error) => {
    throw new StepFailure(`${step.operation}: ${err.message.slice(0, 60)}`, `${step.operation}: ${err.message}`);
  });
  if (result.exitCode !== step.expectExitCode) {
    throw new StepFailure(`${step.operation}: exit ${result.exitCode}`, `${step.operation} exited ${result.exitCode}, expected ${step.expectExitCode}`);
  }
}

/** runningContainers names the pod's running containers (status.containerStatuses[].state.running) except `allExcept`, in status order. */
export function runningContainers(pod: unknown, allExcept: readonly string[]): string[] {
  const statuses = (pod as { status?: { containerStatuses?: Array<{ name?: string; state?: { running?: unknown } }> } } | undefined)?.status?.containerStatuses ?? [];
  return statuses.filter((c) => typeof c.name === 'string' && c.state?.running != null && !allExcept.includes(c.name)).map((c) => c.name!);
}

/**
 * The simulated kubelet's container state transitions of a pod: containers terminate or restart one
 * by one (or all together), and the pod's phase and readiness follow from its containers: Running
 * while any container runs, Succeeded once every container terminated with 0, Failed once every
 * container terminated and one did not exit with 0. Every function mutates the pod object it is given.
 */
import type { KubeObject } from './store.js';
import { nowRfc3339 } from './objects.js';

/** ContainerStatus is the part of a pod's status.containerStatuses entry the simulation reads and writes. */
export interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  containerID?: string;
  state?: { running?: { startedAt?: string }; terminated?: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string } };
  lastState?: { terminated?: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string } };
  [key: string]: unknown;
}

/** ContainerOutcome is what happened to the containers an exit was applied to. */
export type ContainerOutcome = 'restarted' | 'terminated' | 'none';

/** containerStatuses returns the pod's container statuses (an empty list when there are none yet). */
export function containerStatuses(o: KubeObject): ContainerStatus[] {
  return ((o.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? []);
}

/** isRunning tells whether a container status is in state running. */
export function isRunning(c: ContainerStatus | undefined): boolean {
  return !!c?.state?.running;
}

/** defaultReason is the kubelet's reason for a container that exited with `exitCode`: Completed for 0, Error otherwise. */
export function defaultReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}

function selected(o: KubeObject, names: readonly string[] | undefined): ContainerStatus[] {
  return containerStatuses(o).filter((c) => isRunning(c) && (names === undefined || names.includes(c.name)));
}

function terminatedState(c: ContainerStatus, exitCode: number, reason: string, now: string) {
  return { exitCode, reason, startedAt: c.state?.running?.startedAt, finishedAt: now, containerID: c.containerID };
}

/** terminateContainers ends the named running containers (default: every running one) with `exitCode` and no restart, then settles the pod's phase and conditions; returns whether any container changed. */
export function terminateContainers(o: KubeObject, exitCode: number, names?: readonly string[], reason = defaultReason(exitCode)): boolean {
  const hit = new Set(selected(o, names).map((c) => c.name));
  if (hit.size === 0) return false;
  const now = nowRfc3339();
  const status = o.status as Record<string, unknown>;
  status.containerStatuses = containerStatuses(o).map((c) =>
    hit.has(c.name) ? { ...c, ready: false, started: false, state: { terminated: terminatedState(c, exitCode, reason, now) } } : c,
  );
  settlePod(o);
  return true;
}

/** restartContainers records that the named running containers (default: every running one) exited with `exitCode` and were started again: restartCount + 1, lastState.terminated, a new state.running; returns whether any container restarted. */
export function restartContainers(o: KubeObject, exitCode: number, names?: readonly string[], reason = defaultReason(exitCode)): boolean {
  const hit = new Set(selected(o, names).map((c) => c.name));
  if (hit.size === 0) return false;
  const now = nowRfc3339();
  const status = o.status as Record<string, unknown>;
  status.containerStatuses = containerStatuses(o).map((c) =>
    hit.has(c.name)
      ? { ...c, restartCount: Number(c.restartCount ?? 0) + 1, lastState: { terminated: terminatedState(c, exitCode, reason, now) }, state: { running: { startedAt: now } } }
      : c,
  );
  return true;
}

/**
 * exitContainers records that the named running containers (default: every running one) exited with
 * `exitCode`, as the kubelet would handle it: restarted under restartPolicy Always, and under
 * OnFailure for a non-zero code; otherwise terminated, the pod ending once no container runs.
 */
export function exitContainers(o: KubeObject, exitCode: number, names?: readonly string[], reason = defaultReason(exitCode)): ContainerOutcome {
  const policy = (o.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always';
  if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) return terminateContainers(o, exitCode, names, reason) ? 'terminated' : 'none';
  return restartContainers(o, exitCode, names, reason) ? 'restarted' : 'none';
}

/**
 * settlePod derives the pod's phase and Ready/ContainersReady conditions from its containers: once
 * every container terminated, Succeeded (all exit codes 0) or Failed, with both conditions False
 * (PodCompleted); while some run and some terminated, both False (ContainersNotReady).
 */
export function settlePod(o: KubeObject): void {
  const status = (o.status ??= {}) as Record<string, unknown>;
  const all = containerStatuses(o);
  if (all.length === 0) return;
  const done = all.every((c) => c.state?.terminated);
  const notReady = all.filter((c) => !c.ready).map((c) => c.name);
  let want: { status: string; reason?: string; message?: string } = { status: 'True' };
  if (done) {
    status.phase = all.every((c) => c.state!.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
    want = { status: 'False', reason: 'PodCompleted' };
  } else if (notReady.length) {
    want = { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]` };
  }
  const conditions = status.conditions as Array<Record<string, unknown>> | undefined;
  if (!conditions) return;
  const now = nowRfc3339();
  status.conditions = conditions.map((c) => {
    if (c.type !== 'Ready' && c.type !== 'ContainersReady') return c;
    const { reason: _r, message: _m, ...rest } = c;
    return { ...rest, ...want, lastTransitionTime: c.status === want.status ? c.lastTransitionTime : now };
  });
}

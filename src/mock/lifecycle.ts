/**
 * Simulated kubelet and workflow controller (like kwok): pods go Pending → Running → Succeeded/Failed,
 * workflows Pending → Running → Succeeded, after delays with jitter that annotations can override.
 */
import type { MockApi } from './api.js';
import type { KubeObject, StoreEvent } from './store.js';
import { nowRfc3339 } from './objects.js';
import { MOCK_NODE_NAME } from './defaults.js';

/** LifecycleOptions sets the simulated timings in ms; `jitter` is a fraction (0.2 = ±20%). */
export interface LifecycleOptions {
  /** Turn the simulation off entirely (objects stay as created). */
  disabled?: boolean;
  podStartDelayMs?: number;
  podRunDurationMs?: number;
  workflowStartDelayMs?: number;
  workflowRunDurationMs?: number;
  jitter?: number;
}

/** ANNOTATIONS are the per-object overrides the simulation reads. */
export const ANNOTATIONS = {
  /** Delay before the pod or workflow starts running, in ms. */
  startDelay: 'racerig.dev/start-delay-ms',
  /** Run time before a pod (restartPolicy Never/OnFailure) or workflow completes, in ms. */
  runDuration: 'racerig.dev/run-duration-ms',
  /** Exit code of the pod's containers (non-zero: Failed). */
  exitCode: 'racerig.dev/exit-code',
  /** Log text of the pod's containers (lines separated by newlines). */
  logLines: 'racerig.dev/log',
  /** Log text of the previous instance of a restarted container (`logs --previous`); default: what the container logs. */
  previousLogLines: 'racerig.dev/previous-log',
  /** Running time after which every container of the pod exits with code 2 once (restartPolicy Always/OnFailure: restarted; Never: the pod fails), in ms. */
  restartAfter: 'racerig.dev/restart-after-ms',
} as const;

/** exitContainers records that every container of a running pod exited with `exitCode`: restarted (restartCount + 1, lastState.terminated) unless restartPolicy is Never or (for exit code 0) OnFailure, which ends the pod. Mutates `o`. */
export function exitContainers(o: KubeObject, exitCode: number): void {
  const status = (o.status ??= {}) as Record<string, unknown>;
  const policy = (o.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always';
  const statuses = (status.containerStatuses as Array<Record<string, unknown>> | undefined) ?? [];
  const now = nowRfc3339();
  const terminated = (c: Record<string, unknown>) => ({
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
    startedAt: (c.state as { running?: { startedAt?: string } } | undefined)?.running?.startedAt,
    finishedAt: now,
    containerID: c.containerID,
  });
  if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) {
    status.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
    status.containerStatuses = statuses.map((c) => ({ ...c, ready: false, started: false, state: { terminated: terminated(c) } }));
    return;
  }
  status.containerStatuses = statuses.map((c) => ({
    ...c,
    restartCount: Number(c.restartCount ?? 0) + 1,
    lastState: { terminated: terminated(c) },
    state: { running: { startedAt: now } },
  }));
}

function jittered(ms: number, jitter: number): number {
  if (jitter <= 0) return ms;
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * Math.random() - 1))));
}

function override(obj: KubeObject, key: string, fallback: number): number {
  const v = obj.metadata.annotations?.[key];
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

let ipCounter = 0;
function nextPodIp(): string {
  ipCounter = (ipCounter + 1) % 65000;
  return `10.244.${(ipCounter >> 8) & 255}.${(ipCounter & 255) || 1}`;
}

/** startLifecycle subscribes the simulation to the API's store and returns its stop function. */
export function startLifecycle(api: MockApi, options: LifecycleOptions = {}): () => void {
  if (options.disabled) return () => {};
  const jitter = options.jitter ?? 0.2;
  const podStart = options.podStartDelayMs ?? 50;
  const podRun = options.podRunDurationMs ?? 1000;
  const wfStart = options.workflowStartDelayMs ?? 50;
  const wfRun = options.workflowRunDurationMs ?? 1000;

  /** update applies `change` to the current version if it is still the same live object. */
  const update = (resourceId: string, key: string, uid: string, change: (o: KubeObject) => boolean): void => {
    const cur = api.store.get(resourceId, key);
    if (!cur || cur.obj.metadata.uid !== uid || cur.obj.metadata.deletionTimestamp) return;
    const o = JSON.parse(cur.json) as KubeObject;
    if (change(o)) api.store.put(resourceId, key, o, 'MODIFIED');
  };

  const onPod = (ev: StoreEvent) => {
    if (ev.type !== 'ADDED') return;
    const { key, obj } = ev.stored;
    const uid = obj.metadata.uid!;
    const spec = obj.spec as { restartPolicy?: string; containers?: Array<{ name: string; image?: string }> };
    const startIn = jittered(override(obj, ANNOTATIONS.startDelay, podStart), jitter);
    const runFor = jittered(override(obj, ANNOTATIONS.runDuration, podRun), jitter);
    const exitCode = override(obj, ANNOTATIONS.exitCode, 0);
    api.later(startIn, () => {
      const startedAt = nowRfc3339();
      update('/pods', key, uid, (o) => {
        const s = o.spec as Record<string, unknown>;
        s.nodeName ??= MOCK_NODE_NAME;
        const ip = nextPodIp();
        o.status = {
          phase: 'Running',
          conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: startedAt })),
          hostIP: '10.0.0.1',
          podIP: ip,
          podIPs: [{ ip }],
          startTime: startedAt,
          qosClass: 'BestEffort',
          containerStatuses: (spec.containers ?? []).map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: `racerig.dev/${c.image ?? ''}`,
            containerID: `racerig://${uid.slice(0, 8)}-${c.name}`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt } },
          })),
        };
        return true;
      });
      const restartAfter = override(obj, ANNOTATIONS.restartAfter, -1);
      if (restartAfter >= 0) {
        api.later(restartAfter, () =>
          update('/pods', key, uid, (o) => {
            if ((o.status as { phase?: string }).phase !== 'Running') return false;
            exitContainers(o, 2);
            return true;
          }),
        );
      }
      if (spec.restartPolicy !== 'Never' && spec.restartPolicy !== 'OnFailure') return;
      api.later(runFor, () =>
        update('/pods', key, uid, (o) => {
          const status = o.status as Record<string, unknown>;
          if (status.phase !== 'Running') return false;
          const finishedAt = nowRfc3339();
          // Containers a kill already ended (exec kill into one container) keep their exit code.
          const ended = (status.containerStatuses as Array<{ state?: { terminated?: { exitCode?: number } } }>).filter((c) => c.state?.terminated);
          status.phase = exitCode === 0 && ended.every((c) => c.state!.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
          status.conditions = (status.conditions as Array<{ type: string; status: string }>).map((c) =>
            c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', reason: 'PodCompleted' } : c,
          );
          status.containerStatuses = (status.containerStatuses as Array<Record<string, unknown>>).map((c) =>
            (c.state as { terminated?: unknown } | undefined)?.terminated
              ? c
              : {
                  ...c,
                  ready: false,
                  started: false,
                  state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: (c.state as { running?: { startedAt?: string } }).running?.startedAt, finishedAt } },
                },
          );
          return true;
        }),
      );
    });
  };

  const onWorkflow = (ev: StoreEvent) => {
    if (ev.type !== 'ADDED') return;
    const { key, obj } = ev.stored;
    const uid = obj.metadata.uid!;
    const startIn = jittered(override(obj, ANNOTATIONS.startDelay, wfStart), jitter);
    const runFor = jittered(override(obj, ANNOTATIONS.runDuration, wfRun), jitter);
    const exitCode = override(obj, ANNOTATIONS.exitCode, 0);
    const setPhase = (o: KubeObject, phase: string) => {
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'workflows.argoproj.io/phase': phase };
      const st = (o.status ??= {}) as Record<string, unknown>;
      st.phase = phase;
    };
    api.later(startIn, () => {
      update('argoproj.io/workflows', key, uid, (o) => {
        setPhase(o, 'Running');
        const st = o.status as Record<string, unknown>;
        st.startedAt = nowRfc3339();
        st.progress = '0/1';
        return true;
      });
      api.later(runFor, () =>
        update('argoproj.io/workflows', key, uid, (o) => {
          if ((o.status as { phase?: string }).phase !== 'Running') return false;
          setPhase(o, exitCode === 0 ? 'Succeeded' : 'Failed');
          o.metadata.labels!['workflows.argoproj.io/completed'] = 'true';
          const st = o.status as Record<string, unknown>;
          st.finishedAt = nowRfc3339();
          st.progress = exitCode === 0 ? '1/1' : '0/1';
          if (exitCode !== 0) st.message = `exit code ${exitCode}`;
          return true;
        }),
      );
    });
  };

  const offPods = api.store.subscribe('/pods', onPod);
  const offWf = api.store.subscribe('argoproj.io/workflows', onWorkflow);
  return () => {
    offPods();
    offWf();
  };
}

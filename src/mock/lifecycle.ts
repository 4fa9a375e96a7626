/**
 * Simulated kubelet and workflow controller (like kwok): pods go Pending → Running → Succeeded/Failed
 * (with the scheduler's and kubelet's Events),
 * workflows Pending → Running → Succeeded, after delays with jitter that annotations can override.
 */
import type { MockApi } from './api.js';
import type { KubeObject, StoreEvent } from './store.js';
import { nowRfc3339 } from './objects.js';
import { MOCK_NODE_NAME } from './defaults.js';
import { exitContainers, terminateContainers } from './container-state.js';
import { recordPodKilling, recordPodStarted } from './pod-events.js';
import { startProcessRunner, type RunImages } from './process-runner.js';

/** LifecycleOptions sets the simulated timings in ms; `jitter` is a fraction (0.2 = ±20%). */
export interface LifecycleOptions {
  /** Turn the simulation off entirely (objects stay as created). */
  disabled?: boolean;
  /** Simulate the workflow controller (default true); false leaves Workflows to a real controller while pods still run through the simulated kubelet. */
  workflows?: boolean;
  podStartDelayMs?: number;
  podRunDurationMs?: number;
  workflowStartDelayMs?: number;
  workflowRunDurationMs?: number;
  jitter?: number;
  /** Record the scheduler's and kubelet's Events for each pod (Scheduled, Pulled, Created, Started, Killing; default true). */
  podEvents?: boolean;
  /** Images whose containers run as local processes (image → command line; see process-runner.ts): their exits, not timers, end them. */
  runImages?: RunImages;
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
  /** Running time after which every running container of the pod exits with code 2 (reason Error), in ms: restarted under restartPolicy Always/OnFailure, again after each further restartAfter ms of running (at least MIN_RESTART_INTERVAL_MS) up to restart-limit times; under Never the pod fails. */
  restartAfter: 'racerig.dev/restart-after-ms',
  /** Most restarts racerig.dev/restart-after-ms causes (default: no limit while the pod runs). */
  restartLimit: 'racerig.dev/restart-limit',
  /**
   * Per-container run time, a JSON object `{"<container>": <ms>, ...}`: each listed container exits
   * (code from racerig.dev/exit-code, default 0) that long after the pod starts running, the others
   * keep running (until killed through exec); the pod ends once none runs. Replaces run-duration-ms.
   */
  containerExitAfter: 'racerig.dev/container-exit-after-ms',
  /**
   * Signals a container's main process ignores, a JSON object `{"<container>": [<signal>, ...]}`: an
   * exec `kill <sig> 1` with a listed signal leaves that container running (as a shell running as
   * PID 1 ignores SIGTERM); 9 (SIGKILL) cannot be ignored.
   */
  ignoredSignals: 'racerig.dev/ignored-signals',
} as const;

export { exitContainers } from './container-state.js';

/**
 * parseContainerExits reads the container-exit-after-ms annotation: a JSON object from container
 * name to ms of running; entries that name no container of the pod or hold no non-negative number
 * are left out; undefined when the annotation is absent or not a JSON object.
 */
export function parseContainerExits(obj: KubeObject): Map<string, number> | undefined {
  const raw = obj.metadata.annotations?.[ANNOTATIONS.containerExitAfter];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const names = new Set(((obj.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name));
  const out = new Map<string, number>();
  for (const [name, ms] of Object.entries(parsed as Record<string, unknown>)) {
    if (names.has(name) && typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) out.set(name, ms);
  }
  return out;
}

/** ignoresSignal tells whether the pod's racerig.dev/ignored-signals annotation lists `signal` for `container` (never for 9); a malformed annotation ignores nothing. */
export function ignoresSignal(obj: KubeObject, container: string, signal: number): boolean {
  const raw = obj.metadata.annotations?.[ANNOTATIONS.ignoredSignals];
  if (raw === undefined || signal === 9) return false;
  try {
    const list = (JSON.parse(raw) as Record<string, unknown> | null)?.[container];
    return Array.isArray(list) && list.includes(signal);
  } catch {
    return false;
  }
}

/** MIN_RESTART_INTERVAL_MS is the shortest time between two restarts caused by racerig.dev/restart-after-ms, in ms (0 restarts once at once, then at this pace). */
export const MIN_RESTART_INTERVAL_MS = 10;

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

  const podEvents = options.podEvents ?? true;
  const runner = options.runImages && Object.keys(options.runImages).length ? startProcessRunner(api, options.runImages) : undefined;
  const onPod = (ev: StoreEvent) => {
    if (podEvents && ev.type === 'MODIFIED' && ev.stored.obj.metadata.deletionTimestamp && !ev.prev?.obj.metadata.deletionTimestamp) {
      const pod = ev.stored.obj;
      api.later(0, () => recordPodKilling(api, pod));
    }
    if (ev.type !== 'ADDED') return;
    const { key, obj } = ev.stored;
    const uid = obj.metadata.uid!;
    const spec = obj.spec as { restartPolicy?: string; containers?: Array<{ name: string; image?: string }> };
    const startIn = jittered(override(obj, ANNOTATIONS.startDelay, podStart), jitter);
    const runFor = jittered(override(obj, ANNOTATIONS.runDuration, podRun), jitter);
    const exitCode = override(obj, ANNOTATIONS.exitCode, 0);
    api.later(startIn, () => {
      const startedAt = nowRfc3339();
      let started: KubeObject | undefined;
      update('/pods', key, uid, (o) => {
        started = o;
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
      if (started && podEvents) recordPodStarted(api, started);
      if (runner?.runs(obj)) return;
      const restartAfter = override(obj, ANNOTATIONS.restartAfter, -1);
      const restartLimit = override(obj, ANNOTATIONS.restartLimit, Infinity);
      if (restartAfter >= 0 && restartLimit > 0) {
        // Each instance of the containers runs restartAfter ms, then they exit with 2; the chain ends with the pod, the limit or the API.
        let restarts = 0;
        const crash = () => {
          let again = false;
          update('/pods', key, uid, (o) => {
            if ((o.status as { phase?: string }).phase !== 'Running') return false;
            const outcome = exitContainers(o, 2);
            if (outcome === 'none') return false;
            restarts++;
            again = outcome === 'restarted' && restarts < restartLimit;
            return true;
          });
          if (again) api.later(Math.max(restartAfter, MIN_RESTART_INTERVAL_MS), crash);
        };
        api.later(restartAfter, crash);
      }
      const containerExits = parseContainerExits(obj);
      if (containerExits) {
        for (const [name, ms] of containerExits) {
          api.later(ms, () =>
            update('/pods', key, uid, (o) => (o.status as { phase?: string }).phase === 'Running' && exitContainers(o, exitCode, [name]) !== 'none'),
          );
        }
        return;
      }
      if (spec.restartPolicy !== 'Never' && spec.restartPolicy !== 'OnFailure') return;
      api.later(runFor, () =>
        update('/pods', key, uid, (o) => (o.status as { phase?: string }).phase === 'Running' && terminateContainers(o, exitCode)),
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
  const offWf = options.workflows === false ? () => {} : api.store.subscribe('argoproj.io/workflows', onWorkflow);
  return () => {
    offPods();
    offWf();
    runner?.stop();
  };
}

/**
 * The simulated kubelet (like kwok): a new pod is scheduled to the mock node and runs after a delay
 * with jitter, its containers exit, restart or end as annotations say, and the scheduler's and
 * kubelet's Events are recorded (Scheduled, Pulled, Created, Started, Killing). The end of a graceful
 * deletion is ./pod-termination.ts.
 */
import type { MockApi } from '../api.js';
import type { KubeObject, StoreEvent } from '../store.js';
import { nowRfc3339 } from '../objects.js';
import { MOCK_NODE_NAME } from '../defaults.js';
import { exitContainers, terminateContainers } from '../container-state.js';
import { recordPodKilling, recordPodStarted } from '../pod-events.js';
import type { ProcessRunner } from '../process-runner.js';
import { ANNOTATIONS, MIN_RESTART_INTERVAL_MS, jittered, override, parseContainerExits, updateLive } from '../simulation.js';

/** KubeletOptions are the simulated kubelet's timings in ms; `jitter` is a fraction (0.2 = ±20%). */
export interface KubeletOptions {
  podStartDelayMs: number;
  podRunDurationMs: number;
  jitter: number;
  /** Record the scheduler's and kubelet's Events for each pod. */
  podEvents: boolean;
  /** Runs the containers of images it knows as local processes: their exits, not timers, end those pods. */
  runner?: ProcessRunner;
}

/** The last pod IP handed out (10.244.0.0/16, wrapping). */
let ipCounter = 0;
function nextPodIp(): string {
  ipCounter = (ipCounter + 1) % 65000;
  return `10.244.${(ipCounter >> 8) & 255}.${(ipCounter & 255) || 1}`;
}

/** startKubelet subscribes the simulated kubelet to the API's pods and returns its stop function. */
export function startKubelet(api: MockApi, options: KubeletOptions): () => void {
  const { jitter, podEvents } = options;
  const podStart = options.podStartDelayMs;
  const podRun = options.podRunDurationMs;
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
      updateLive(api, '/pods', key, uid, (o) => {
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
      if (options.runner?.runs(obj)) return;
      const restartAfter = override(obj, ANNOTATIONS.restartAfter, -1);
      const restartLimit = override(obj, ANNOTATIONS.restartLimit, Infinity);
      if (restartAfter >= 0 && restartLimit > 0) {
        // Each instance of the containers runs restartAfter ms, then they exit with 2; the chain ends with the pod, the limit or the API.
        let restarts = 0;
        const crash = () => {
          let again = false;
          updateLive(api, '/pods', key, uid, (o) => {
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
            updateLive(api, '/pods', key, uid, (o) => (o.status as { phase?: string }).phase === 'Running' && exitContainers(o, exitCode, [name]) !== 'none'),
          );
        }
        return;
      }
      if (spec.restartPolicy !== 'Never' && spec.restartPolicy !== 'OnFailure') return;
      api.later(runFor, () =>
        updateLive(api, '/pods', key, uid, (o) => (o.status as { phase?: string }).phase === 'Running' && terminateContainers(o, exitCode)),
      );
    });
  };
  return api.store.subscribe('/pods', onPod);
}

/**
 * What the simulated kubelet and workflow controller share: the per-object annotations they read
 * (timings, exit codes, log text, restarts, ignored signals), their timing helpers, and the write of
 * a status change to a live object.
 */
import type { MockApi } from './api.js';
import type { KubeObject } from './store.js';

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

/** jittered returns `ms` changed at random by up to ±`jitter` (a fraction), never below 0. */
export function jittered(ms: number, jitter: number): number {
  if (jitter <= 0) return ms;
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * Math.random() - 1))));
}

/** override reads a non-negative number (ms, an exit code) from annotation `key` of `obj`, or returns `fallback`. */
export function override(obj: KubeObject, key: string, fallback: number): number {
  const v = obj.metadata.annotations?.[key];
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** updateLive applies `change` to a copy of the current version and stores it (MODIFIED) when `change` returns true, if it is still the same live (not deleting) object. */
export function updateLive(api: MockApi, resourceId: string, key: string, uid: string, change: (o: KubeObject) => boolean): void {
  const cur = api.store.get(resourceId, key);
  if (!cur || cur.obj.metadata.uid !== uid || cur.obj.metadata.deletionTimestamp) return;
  const o = JSON.parse(cur.json) as KubeObject;
  if (change(o)) api.store.put(resourceId, key, o, 'MODIFIED');
}

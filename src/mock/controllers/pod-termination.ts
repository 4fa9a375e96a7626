/**
 * The simulated kubelet's part of a graceful pod deletion: once the API has marked a pod with a
 * deletionTimestamp and a grace period, its containers take a while to stop (the
 * racerig.dev/stop-delay-ms annotation, else the mock's podTerminationMs, never longer than the grace
 * period); then the kubelet confirms, and the pod goes unless finalizers still hold it.
 */
import type { MockApi } from '../api.js';
import type { ResourceInfo } from '../resources.js';
import type { KubeObject } from '../store.js';

/** STOP_DELAY_ANNOTATION sets how long a pod's simulated container takes to stop after a graceful delete, in ms (capped by the grace period). */
export const STOP_DELAY_ANNOTATION = 'racerig.dev/stop-delay-ms';

/** PodTermination runs on the API's thread: `podDeleting` is called by the delete verb, the confirmation runs through `api.later`. */
export class PodTermination {
  /** `podTerminationMs` is the default stop time of a pod's containers, in ms. */
  constructor(
    private readonly api: MockApi,
    private readonly podTerminationMs: number,
  ) {}

  /** podDeleting schedules the kubelet's confirmation of a pod just marked for deletion with `graceSeconds` (> 0) of grace. */
  podDeleting(info: ResourceInfo, key: string, pod: KubeObject, graceSeconds: number): void {
    const uid = pod.metadata.uid!;
    const stopMs = Number(pod.metadata.annotations?.[STOP_DELAY_ANNOTATION] ?? this.podTerminationMs);
    const delay = Math.min(graceSeconds * 1000, Number.isFinite(stopMs) && stopMs >= 0 ? stopMs : this.podTerminationMs);
    this.api.later(delay, () => this.stopped(info, key, uid));
  }

  /** stopped finishes a pod's graceful deletion once the simulated containers have stopped (grace 0; finalizers may still hold it). */
  private stopped(info: ResourceInfo, key: string, uid: string): void {
    const { api } = this;
    const cur = api.store.get(info.id, key);
    if (!cur || cur.obj.metadata.uid !== uid) return;
    const obj = JSON.parse(cur.json) as KubeObject;
    obj.metadata.deletionGracePeriodSeconds = 0;
    if (obj.metadata.finalizers && obj.metadata.finalizers.length) {
      api.store.put(info.id, key, obj, 'MODIFIED');
      return;
    }
    api.finish(info, key);
  }
}

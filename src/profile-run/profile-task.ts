/** The plain-data task of a profile worker thread (one phase), and helpers shared by main and workers. */
import type { MetricsLayout } from '../metrics/layout.js';
import type { ResourceInfo } from '../kube/resource.js';
import type { ResourceRef } from '../profile/resource-ref.js';
import type { KubeTarget, TargetConnect } from '../kube/target.js';
import type { ProfilePlan } from '../cli/run-options.js';

/** ProfileTarget is what a worker needs to reach the API server. */
export interface ProfileTarget {
  origin: string;
  pathPrefix: string;
  connect?: TargetConnect;
  /** Headers every request carries (authorization). */
  headers: Record<string, string>;
  /** The kubeconfig target, when its credentials refresh (exec plugins, token files): each thread refreshes its own. */
  kube?: KubeTarget;
}

/** ComponentSlots place one component's shared state in the buffer's extra area. */
export interface ComponentSlots {
  /** Ticket counter (open model: next arrival; closed: iterations started). */
  ticket: number;
  /** First slot of the component's token bucket, when it has qps. */
  bucket?: number;
  /** Operation index recording limiter waits. */
  waitOperation?: number;
}

/** ProfileTask configures one worker thread for one phase of a profile run. */
export interface ProfileTask {
  kind: 'profile';
  index: number;
  workers: number;
  layout: MetricsLayout;
  buffer: SharedArrayBuffer;
  /** The run's validated plan, unchanged: the profile file and how it is loaded (each worker loads and compiles it itself), connections per worker, timeouts, the request log. */
  plan: ProfilePlan;
  cwd: string;
  phaseIndex: number;
  runId: string;
  target: ProfileTarget;
  /** Resolved resources by resourceKey(ref). */
  resources: Record<string, ResourceInfo>;
  components: ComponentSlots[];
  /** Watch step operation index → the operation recording its events' delivery lag. */
  lagOperations: Record<number, number>;
  /** Stream operation index → the operation recording its streams' durations (RigDispatchOptions.streamOperation). */
  streamOperations: Record<number, number>;
  /** Wall-clock ms of the run epoch for token buckets (the phase's own epoch is in the buffer). */
  bucketEpochWallMs: number;
}

/** resourceKey names a resource reference for lookups: `pods`, `workflows.argoproj.io` (no subresource). */
export function resourceKey(ref: Pick<ResourceRef, 'resource' | 'group'>): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

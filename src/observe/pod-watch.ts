/**
 * A list+watch of the pods matching a namespace and label selector, for the pod observers: every pod
 * as it is listed, added, changed and deleted, with whether it came from the first list.
 */
import { WatchClient } from '../kube/watch-client.js';
import { ResourcePaths } from '../kube/resource.js';
import type { DispatchFn } from '../kube/send.js';

/** ContainerStatus is the part of a pod's container status the observers read. */
export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  containerID?: string;
  state?: { running?: { startedAt?: string }; waiting?: { reason?: string }; terminated?: { exitCode?: number; reason?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string; signal?: number; finishedAt?: string; containerID?: string } };
}

/** Pod is the part of a pod object the observers read. */
export interface Pod {
  metadata: { name?: string; namespace?: string; uid?: string };
  spec?: { containers?: { name: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: ContainerStatus[] };
}

/** PodEvent is one pod seen by the watch; `initial` is true for the pods of the first list (there before the observer started). */
export interface PodEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  pod: Pod;
  initial: boolean;
}

/** PodWatchOptions select the pods and receive them. */
export interface PodWatchOptions {
  dispatch: DispatchFn;
  pathPrefix: string;
  /** '' for all namespaces. */
  namespace: string;
  /** Label selector, e.g. `app=workflow-controller` ('' for every pod). */
  selector: string;
  onPod(event: PodEvent): void;
  onError?(err: Error): void;
}

/** PODS describes core/v1 pods. */
const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } as const;

/** podPaths returns the request paths of pods under `pathPrefix`. */
export function podPaths(pathPrefix: string): ResourcePaths {
  return new ResourcePaths(PODS, pathPrefix);
}

/** PodWatch runs one list+watch of pods on the main thread until `stop`. */
export class PodWatch {
  private readonly client: WatchClient;
  private listing = false;

  constructor(o: PodWatchOptions) {
    this.client = new WatchClient({
      dispatch: o.dispatch,
      paths: podPaths(o.pathPrefix),
      namespace: o.namespace,
      list: { labelSelector: o.selector || undefined },
      allowWatchBookmarks: true,
      onEvent: (ev) => {
        if (ev.type === 'BOOKMARK') return;
        o.onPod({ type: ev.type as PodEvent['type'], pod: ev.object as unknown as Pod, initial: this.listing });
      },
      ...(o.onError ? { onError: o.onError } : {}),
    });
  }

  /** start lists the pods (each delivered with `initial: true`) and resolves, then keeps watching in the background. */
  async start(): Promise<void> {
    this.listing = true;
    try {
      await this.client.start();
    } finally {
      this.listing = false;
    }
  }

  /** stop ends the watch; resolves when it has ended. */
  stop(): Promise<void> {
    return this.client.stop();
  }
}

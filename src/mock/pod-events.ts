/**
 * The Events a real scheduler and kubelet record for a pod's lifecycle (Scheduled, Pulled, Created,
 * Started, Killing), written by the lifecycle simulation into the one core/events.k8s.io event store.
 */
import type { MockApi } from './api.js';
import type { KubeObject } from './store.js';
import { nowRfc3339 } from './objects.js';
import { MOCK_NODE_NAME } from './defaults.js';

let lastNs = 0n;

/** eventSuffix is the kubelet's event name suffix: the time in ns as hex, strictly increasing, so names sort by time. */
function eventSuffix(): string {
  const t = BigInt(Date.now()) * 1_000_000n;
  lastNs = t > lastNs ? t : lastNs + 1n;
  return lastNs.toString(16);
}

/** recordPodEvent creates one Normal Event about `pod` (ignored when its namespace is gone or terminating). */
export function recordPodEvent(api: MockApi, pod: KubeObject, reason: string, message: string, container?: string): void {
  const m = pod.metadata;
  const now = nowRfc3339();
  const scheduler = reason === 'Scheduled';
  const info = api.registry.get('', 'v1', 'events')!;
  try {
    api.create(info, m.namespace!, {
      metadata: { name: `${m.name}.${eventSuffix()}`, namespace: m.namespace },
      involvedObject: { kind: 'Pod', namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: 'v1', resourceVersion: m.resourceVersion, ...(container ? { fieldPath: `spec.containers{${container}}` } : {}) },
      reason,
      message,
      source: scheduler ? {} : { component: 'kubelet', host: MOCK_NODE_NAME },
      firstTimestamp: scheduler ? null : now,
      lastTimestamp: scheduler ? null : now,
      ...(scheduler ? { eventTime: new Date().toISOString().replace('Z', '000Z'), action: 'Binding', reportingComponent: 'default-scheduler', reportingInstance: 'default-scheduler-racerig' } : { reportingComponent: 'kubelet', reportingInstance: MOCK_NODE_NAME }),
      count: 1,
      type: 'Normal',
    });
  } catch {
    // The namespace is terminating or gone: no event, as on a real cluster.
  }
}

/** recordPodStarted records Scheduled, then Pulled, Created and Started for each container. */
export function recordPodStarted(api: MockApi, pod: KubeObject): void {
  recordPodEvent(api, pod, 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${MOCK_NODE_NAME}`);
  for (const c of ((pod.spec as { containers?: Array<{ name: string; image?: string }> } | undefined)?.containers ?? [])) {
    recordPodEvent(api, pod, 'Pulled', `Container image "${c.image ?? ''}" already present on machine`, c.name);
    recordPodEvent(api, pod, 'Created', `Created container ${c.name}`, c.name);
    recordPodEvent(api, pod, 'Started', `Started container ${c.name}`, c.name);
  }
}

/** recordPodKilling records Killing for each running container of a pod being deleted. */
export function recordPodKilling(api: MockApi, pod: KubeObject): void {
  const statuses = ((pod.status as { containerStatuses?: Array<{ name: string; state?: { running?: unknown } }> } | undefined)?.containerStatuses ?? []);
  for (const c of statuses) if (c.state?.running) recordPodEvent(api, pod, 'Killing', `Stopping container ${c.name}`, c.name);
}

/**
 * The autoscaling/v1 Scale view of objects with spec.replicas (the `scale` subresource).
 */
import type { KubeObject, StoredObject } from './store.js';

/** scaleOf returns the Scale of a stored object: spec.replicas (default 1), status.replicas and the selector as text. */
export function scaleOf(s: StoredObject): KubeObject {
  const m = s.obj.metadata;
  const spec = (s.obj.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (s.obj.status ?? {}) as { replicas?: number };
  const selector = Object.entries(spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector },
  };
}

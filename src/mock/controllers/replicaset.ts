/**
 * The mock's ReplicaSet controller: keeps `spec.replicas` pods of the ReplicaSet's template (owned by
 * it, named after it), removing the least ready and newest first, and writes status (replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration). The pod lifecycle
 * simulation makes the pods Running and Ready.
 */
import type { MockApi } from '../api.js';
import type { KubeObject, StoreEvent } from '../store.js';
import { labelMatcher } from '../selectors.js';
import { controllerRef, isPodReady, ownedBy, update, workQueue } from './workqueue.js';

/** REPLICASETS_ID is the store id of ReplicaSets. */
export const REPLICASETS_ID = 'apps/replicasets';
const PODS_ID = '/pods';

interface ReplicaSetSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

/** startReplicaSetController subscribes the controller to the API's store and returns its stop function. */
export function startReplicaSetController(api: MockApi): () => void {
  const podInfo = api.registry.get('', 'v1', 'pods')!;
  const reconcile = (key: string) => {
    const rs = api.store.get(REPLICASETS_ID, key);
    if (!rs || rs.obj.metadata.deletionTimestamp) return;
    const spec = rs.obj.spec as ReplicaSetSpec | undefined;
    if (!spec?.template?.spec) return;
    const ns = rs.obj.metadata.namespace!;
    const uid = rs.obj.metadata.uid!;
    const name = rs.obj.metadata.name!;
    const want = spec.replicas ?? 1;
    let pods = ownedBy(api, PODS_ID, ns, uid);
    for (let i = pods.length; i < want; i++) {
      const t = spec.template;
      api.create(podInfo, ns, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${name}-`,
          labels: { ...(t.metadata?.labels ?? {}) },
          ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: structuredClone(t.spec),
      });
    }
    if (pods.length > want) {
      // Not-ready pods go first, then the newest (as the real controller ranks them).
      const ranked = [...pods].sort((a, b) => Number(isPodReady(a.obj)) - Number(isPodReady(b.obj)) || String(b.obj.metadata.creationTimestamp).localeCompare(String(a.obj.metadata.creationTimestamp)));
      for (const p of ranked.slice(0, pods.length - want)) {
        try {
          api.delete(podInfo, ns, p.obj.metadata.name!);
        } catch {
          /* gone meanwhile */
        }
      }
    }
    pods = ownedBy(api, PODS_ID, ns, uid);
    const sel = labelMatcher(Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(','));
    const ready = pods.filter((p) => isPodReady(p.obj)).length;
    update(api, REPLICASETS_ID, key, (o: KubeObject) => {
      o.status = {
        replicas: pods.length,
        fullyLabeledReplicas: pods.filter((p) => sel(p.obj)).length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: o.metadata.generation ?? 1,
      };
    });
  };
  const enqueue = workQueue(api, reconcile);
  const offRs = api.store.subscribe(REPLICASETS_ID, (ev: StoreEvent) => {
    if (ev.type !== 'DELETED') enqueue(ev.stored.key);
  });
  const offPods = api.store.subscribe(PODS_ID, (ev: StoreEvent) => {
    const ref = controllerRef(ev.stored.obj);
    if (ref?.kind === 'ReplicaSet' && ref.name) enqueue(`${ev.stored.obj.metadata.namespace}/${ref.name}`);
  });
  return () => {
    offRs();
    offPods();
  };
}

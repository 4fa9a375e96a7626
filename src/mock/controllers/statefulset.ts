/**
 * The mock's StatefulSet controller: pods `<name>-0` … `<name>-(n-1)` from the template, owned by the
 * StatefulSet and labelled with `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index`
 * and `controller-revision-hash`; OrderedReady creates each only once the one before is ready (Parallel
 * all at once) and scales down from the highest ordinal; a template change replaces pods from the
 * highest ordinal down, one at a time (RollingUpdate; OnDelete waits for the user). Status carries
 * replicas, readyReplicas, currentReplicas, updatedReplicas, availableReplicas, currentRevision,
 * updateRevision and observedGeneration, as `kubectl rollout status` reads them.
 */
import type { MockApi } from '../api.js';
import type { StoreEvent } from '../store.js';
import { templateHash } from './deployment.js';
import { controllerRef, isPodReady, ownedBy, update, workQueue } from './workqueue.js';

const STATEFULSETS_ID = 'apps/statefulsets';
const PODS_ID = '/pods';
const REVISION_LABEL = 'controller-revision-hash';

interface StatefulSetSpec {
  replicas?: number;
  podManagementPolicy?: string;
  updateStrategy?: { type?: string };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

/** startStatefulSetController subscribes the controller to the API's store and returns its stop function. */
export function startStatefulSetController(api: MockApi): () => void {
  const podInfo = api.registry.get('', 'v1', 'pods')!;
  const reconcile = (key: string) => {
    const sts = api.store.get(STATEFULSETS_ID, key);
    if (!sts || sts.obj.metadata.deletionTimestamp) return;
    const spec = sts.obj.spec as StatefulSetSpec | undefined;
    if (!spec?.template?.spec) return;
    const ns = sts.obj.metadata.namespace!;
    const uid = sts.obj.metadata.uid!;
    const name = sts.obj.metadata.name!;
    const want = spec.replicas ?? 1;
    const revision = `${name}-${templateHash(spec.template)}`;
    const ordered = spec.podManagementPolicy !== 'Parallel';
    const all = api.store.list(PODS_ID, ns).filter((p) => controllerRef(p.obj)?.uid === uid);
    const byOrdinal = new Map(all.map((p) => [Number(p.obj.metadata.name!.slice(name.length + 1)), p]));
    const remove = (n: string) => {
      try {
        api.delete(podInfo, ns, n);
      } catch {
        /* gone meanwhile */
      }
    };
    // Scale down from the highest ordinal, one at a time when ordered.
    const extra = [...byOrdinal.keys()].filter((i) => i >= want).sort((a, b) => b - a);
    for (const i of ordered ? extra.slice(0, 1) : extra) if (!byOrdinal.get(i)!.obj.metadata.deletionTimestamp) remove(`${name}-${i}`);
    // Create missing ordinals (in order, each after the one before is ready, when ordered).
    for (let i = 0; i < want; i++) {
      const p = byOrdinal.get(i);
      if (!p) {
        const t = spec.template;
        api.create(podInfo, ns, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${name}-${i}`,
            labels: { ...(t.metadata?.labels ?? {}), 'statefulset.kubernetes.io/pod-name': `${name}-${i}`, 'apps.kubernetes.io/pod-index': String(i), [REVISION_LABEL]: revision },
            ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name, uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: { ...structuredClone(t.spec!), hostname: `${name}-${i}` },
        });
        if (ordered) break;
      } else if (ordered && (p.obj.metadata.deletionTimestamp || !isPodReady(p.obj))) break;
    }
    // Rolling update: the highest-ordinal pod of an old revision goes once every pod is ready.
    const live = ownedBy(api, PODS_ID, ns, uid);
    if (spec.updateStrategy?.type !== 'OnDelete' && live.length === want && live.every((p) => isPodReady(p.obj))) {
      const stale = live.filter((p) => p.obj.metadata.labels?.[REVISION_LABEL] !== revision).sort((a, b) => b.obj.metadata.name!.localeCompare(a.obj.metadata.name!, undefined, { numeric: true }));
      if (stale[0]) remove(stale[0].obj.metadata.name!);
    }
    const now = ownedBy(api, PODS_ID, ns, uid);
    const updated = now.filter((p) => p.obj.metadata.labels?.[REVISION_LABEL] === revision).length;
    const ready = now.filter((p) => isPodReady(p.obj)).length;
    update(api, STATEFULSETS_ID, key, (o) => {
      const prev = (o.status ?? {}) as { currentRevision?: string };
      const done = updated === want && now.length === want;
      o.status = {
        observedGeneration: o.metadata.generation ?? 1,
        replicas: now.length,
        readyReplicas: ready,
        availableReplicas: ready,
        currentReplicas: done ? updated : now.length - updated,
        updatedReplicas: updated,
        currentRevision: done ? revision : (prev.currentRevision ?? revision),
        updateRevision: revision,
        collisionCount: 0,
      };
    });
  };
  const enqueue = workQueue(api, reconcile);
  const offSts = api.store.subscribe(STATEFULSETS_ID, (ev: StoreEvent) => {
    if (ev.type !== 'DELETED') enqueue(ev.stored.key);
  });
  const offPods = api.store.subscribe(PODS_ID, (ev: StoreEvent) => {
    const ref = controllerRef(ev.stored.obj);
    if (ref?.kind === 'StatefulSet' && ref.name) enqueue(`${ev.stored.obj.metadata.namespace}/${ref.name}`);
  });
  return () => {
    offSts();
    offPods();
  };
}

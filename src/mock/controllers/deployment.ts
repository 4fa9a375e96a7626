/**
 * A minimal Deployment controller for the mock (so `racerig cluster deploy` and rollouts work against it):
 * it keeps `spec.replicas` pods of the current pod template, owned by the Deployment directly (no
 * ReplicaSet; pods carry the `pod-template-hash` label and the controller ownerReference), removes the
 * old template's pods once the new ones are ready (a rolling update with full surge), and writes
 * `status` (observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas,
 * conditions). The pod lifecycle simulation makes the pods Running and Ready.
 */
import { createHash } from 'node:crypto';
import type { MockApi } from '../api.js';
import type { KubeObject, StoreEvent, StoredObject } from '../store.js';
import { jsonEqual } from '../json-equal.js';
import { nowRfc3339 } from '../objects.js';

/** DEPLOYMENTS_ID and PODS_ID are the store ids the controller reads and writes. */
const DEPLOYMENTS_ID = 'apps/deployments';
const PODS_ID = '/pods';

/** POD_TEMPLATE_HASH is the label naming the pod template a pod was made from (as the real controller's). */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

interface DeploymentSpec {
  replicas?: number;
  paused?: boolean;
  selector?: { matchLabels?: Record<string, string> };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

/** templateHash is a short stable hash of a pod template. */
export function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template ?? {})).digest('hex').slice(0, 10);
}

function isReady(pod: KubeObject): boolean {
  const st = pod.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  return st?.phase === 'Running' && !!st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** startDeploymentController subscribes the controller to the API's store and returns its stop function. */
export function startDeploymentController(api: MockApi): () => void {
  const podInfo = api.registry.get('', 'v1', 'pods')!;
  const pending = new Set<string>();

  /** schedule reconciles a deployment soon, once per burst of events (never inside a store listener). */
  const schedule = (key: string) => {
    if (pending.has(key)) return;
    pending.add(key);
    api.later(0, () => {
      pending.delete(key);
      reconcile(key);
    });
  };

  const reconcile = (key: string) => {
    const dep = api.store.get(DEPLOYMENTS_ID, key);
    if (!dep || dep.obj.metadata.deletionTimestamp) return;
    const spec = dep.obj.spec as DeploymentSpec | undefined;
    if (!spec?.template?.spec || spec.paused) return; // nothing a real controller could make pods of
    const ns = dep.obj.metadata.namespace!;
    const uid = dep.obj.metadata.uid!;
    const want = spec.replicas ?? 1;
    const hash = templateHash(spec.template);
    const owned = api.store.list(PODS_ID, ns).filter((p) => p.obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller));
    const live = owned.filter((p) => !p.obj.metadata.deletionTimestamp);
    const current = live.filter((p) => p.obj.metadata.labels?.[POD_TEMPLATE_HASH] === hash);
    const old = live.filter((p) => p.obj.metadata.labels?.[POD_TEMPLATE_HASH] !== hash);
    const name = dep.obj.metadata.name!;
    for (let i = current.length; i < want; i++) {
      const tmpl = spec.template;
      api.create(podInfo, ns, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${name}-${hash}-`,
          labels: { ...(tmpl.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash },
          ...(tmpl.metadata?.annotations ? { annotations: tmpl.metadata.annotations } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: structuredClone(tmpl.spec),
      });
    }
    const remove = (p: StoredObject) => {
      try {
        api.delete(podInfo, ns, p.obj.metadata.name!);
      } catch {
        /* gone meanwhile */
      }
    };
    for (const p of current.slice(want)) remove(p);
    const currentReady = current.slice(0, want).filter((p) => isReady(p.obj)).length;
    // The old template's pods go once the new ones can serve (maxSurge 100%, maxUnavailable 0).
    if (currentReady >= want) for (const p of old) remove(p);
    writeStatus(key, uid, hash);
  };

  const writeStatus = (key: string, uid: string, hash: string) => {
    const dep = api.store.get(DEPLOYMENTS_ID, key);
    if (!dep || dep.obj.metadata.uid !== uid) return;
    const ns = dep.obj.metadata.namespace!;
    const live = api.store.list(PODS_ID, ns).filter((p) => !p.obj.metadata.deletionTimestamp && p.obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller));
    const updated = live.filter((p) => p.obj.metadata.labels?.[POD_TEMPLATE_HASH] === hash);
    const ready = live.filter((p) => isReady(p.obj)).length;
    const want = (dep.obj.spec as DeploymentSpec).replicas ?? 1;
    const prev = (dep.obj.status ?? {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string; reason?: string }[] };
    const now = nowRfc3339();
    const condition = (type: string, status: string, reason: string, message: string) => {
      const before = prev.conditions?.find((c) => c.type === type);
      return { type, status, lastUpdateTime: now, lastTransitionTime: before?.status === status ? before.lastTransitionTime : now, reason, message };
    };
    const complete = updated.length === want && live.length === want && ready >= want;
    const status: Record<string, unknown> = {
      observedGeneration: dep.obj.metadata.generation ?? 1,
      replicas: live.length,
      updatedReplicas: updated.length,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(live.length - ready > 0 ? { unavailableReplicas: live.length - ready } : {}),
      conditions: [
        condition('Available', ready >= want ? 'True' : 'False', ready >= want ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', `Deployment ${ready >= want ? 'has' : 'does not have'} minimum availability.`),
        condition('Progressing', 'True', complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', `Pods of template ${hash} ${complete ? 'have successfully progressed' : 'are progressing'}.`),
      ],
    };
    // Only a change is written (the watch would otherwise loop); condition times alone are no change.
    const strip = (s: unknown) => JSON.parse(JSON.stringify(s ?? {}, (k, v) => (k === 'lastUpdateTime' || k === 'lastTransitionTime' ? undefined : v))) as unknown;
    if (jsonEqual(strip(status), strip(dep.obj.status))) return;
    const next = JSON.parse(dep.json) as KubeObject;
    next.status = status;
    api.store.put(DEPLOYMENTS_ID, key, next, 'MODIFIED');
  };

  const onDeployment = (ev: StoreEvent) => {
    if (ev.type !== 'DELETED') schedule(ev.stored.key);
  };
  const onPod = (ev: StoreEvent) => {
    const ref = ev.stored.obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
    if (!ref?.name) return;
    schedule(`${ev.stored.obj.metadata.namespace}/${ref.name}`);
  };
  const offDeployments = api.store.subscribe(DEPLOYMENTS_ID, onDeployment);
  const offPods = api.store.subscribe(PODS_ID, onPod);
  return () => {
    offDeployments();
    offPods();
  };
}

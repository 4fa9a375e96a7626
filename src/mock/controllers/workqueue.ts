/**
 * What the mock's controllers share: a per-key reconcile queue that runs each key once per burst of
 * store events (never inside a store listener), ownership and readiness helpers, and a write that
 * stores an object only when a change leaves it different.
 */
import type { MockApi } from '../api.js';
import type { KubeObject, StoredObject } from '../store.js';
import { jsonEqual } from '../json-equal.js';

/** workQueue returns `enqueue(key)`: `reconcile(key)` runs soon after, once however often the key was queued meanwhile. */
export function workQueue(api: MockApi, reconcile: (key: string) => void): (key: string) => void {
  const pending = new Set<string>();
  return (key) => {
    if (pending.has(key)) return;
    pending.add(key);
    api.later(0, () => {
      pending.delete(key);
      reconcile(key);
    });
  };
}

/** controllerRef returns the ownerReference with controller=true, if any. */
export function controllerRef(o: KubeObject): { uid: string; kind?: string; name?: string } | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

/** ownedBy lists the live (not deleting) objects of `resourceId` in `ns` whose controller is `uid`. */
export function ownedBy(api: MockApi, resourceId: string, ns: string, uid: string): StoredObject[] {
  return api.store.list(resourceId, ns).filter((s) => !s.obj.metadata.deletionTimestamp && controllerRef(s.obj)?.uid === uid);
}

/** isPodReady tells whether a pod is Running with condition Ready=True. */
export function isPodReady(pod: KubeObject): boolean {
  const st = pod.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  return st?.phase === 'Running' && !!st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** podPhase returns a pod's status.phase. */
export function podPhase(pod: KubeObject): string {
  return String((pod.status as { phase?: string } | undefined)?.phase ?? 'Pending');
}

const TIMES = new Set(['lastUpdateTime', 'lastTransitionTime', 'lastProbeTime']);

function withoutTimes(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? {}, (k, x) => (TIMES.has(k) ? undefined : x)));
}

/** update applies `mutate` to a copy of the stored object and stores it when it changed (condition times alone are no change); returns the stored version. */
export function update(api: MockApi, resourceId: string, key: string, mutate: (o: KubeObject) => void): StoredObject | undefined {
  const cur = api.store.get(resourceId, key);
  if (!cur) return undefined;
  const next = JSON.parse(cur.json) as KubeObject;
  mutate(next);
  if (jsonEqual(withoutTimes(next), withoutTimes(cur.obj))) return cur;
  if (!jsonEqual(next.spec, cur.obj.spec)) next.metadata.generation = (cur.obj.metadata.generation ?? 1) + 1;
  return api.store.put(resourceId, key, next, 'MODIFIED');
}

/** Condition is a workload condition as the controllers write it. */
export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string;
}

/** condition returns `c` with lastTransitionTime kept from `before` while its status is unchanged. */
export function condition(before: Condition[] | undefined, c: Condition, now: string, withUpdateTime = true): Condition {
  const prev = before?.find((b) => b.type === c.type);
  const out: Condition = { ...c, lastTransitionTime: prev?.status === c.status ? (prev.lastTransitionTime ?? now) : now };
  if (withUpdateTime) out.lastUpdateTime = now;
  return out;
}

/**
 * The mock's Deployment controller: Deployments own ReplicaSets, one per pod template (named
 * `<deployment>-<pod-template-hash>`, revision in `deployment.kubernetes.io/revision`, so `kubectl
 * rollout history` and `rollout undo` work); the ReplicaSet controller makes their pods. A template
 * change rolls out as the real controller does: RollingUpdate within maxSurge / maxUnavailable
 * (25% each by default; unhealthy old pods go first), or Recreate; scaling resizes the current
 * ReplicaSet; old ReplicaSets beyond revisionHistoryLimit are deleted. Status carries
 * observedGeneration, the replica counts and the Available and Progressing conditions that `kubectl
 * rollout status` reads. A Deployment without a pod template is left alone.
 */
import { createHash } from 'node:crypto';
import type { MockApi } from '../api.js';
import type { KubeObject, StoreEvent, StoredObject } from '../store.js';
import { nowRfc3339 } from '../objects.js';
import { REPLICASETS_ID } from './replicaset.js';
import { condition, controllerRef, ownedBy, update, workQueue, type Condition } from './workqueue.js';

const DEPLOYMENTS_ID = 'apps/deployments';
const PODS_ID = '/pods';

/** POD_TEMPLATE_HASH is the label naming the pod template a ReplicaSet and its pods were made from. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';
/** REVISION is the annotation holding a ReplicaSet's (and its Deployment's) rollout revision. */
export const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';

interface DeploymentSpec {
  replicas?: number;
  paused?: boolean;
  revisionHistoryLimit?: number;
  selector?: { matchLabels?: Record<string, string> };
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

interface RsView {
  s: StoredObject;
  replicas: number;
  available: number;
  ready: number;
  statusReplicas: number;
  revision: number;
}

/** normalizeTemplate drops what does not make two pod templates different: the pod-template-hash label, nulls and empty objects (`creationTimestamp: null`, `resources: {}`), as the real controller's semantic comparison does. */
export function normalizeTemplate(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizeTemplate);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (k === POD_TEMPLATE_HASH || x === null) continue;
    const n = normalizeTemplate(x);
    if (n && typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
    out[k] = n;
  }
  return out;
}

/** templateHash is a short stable hash of a pod template (10 hex digits), equal for templates that differ only as normalizeTemplate ignores. */
export function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(normalizeTemplate(template ?? {}))).digest('hex').slice(0, 10);
}

/** resolveIntOrPercent turns maxSurge / maxUnavailable into a count of `total` (percentages rounded up or down). */
export function resolveIntOrPercent(v: number | string | undefined, total: number, fallback: string, roundUp: boolean): number {
  const x = v ?? fallback;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) return Number(x) || 0;
  const f = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(f) : Math.floor(f);
}

function view(s: StoredObject): RsView {
  const st = (s.obj.status ?? {}) as { availableReplicas?: number; readyReplicas?: number; replicas?: number };
  return {
    s,
    replicas: (s.obj.spec as { replicas?: number }).replicas ?? 0,
    available: st.availableReplicas ?? 0,
    ready: st.readyReplicas ?? 0,
    statusReplicas: st.replicas ?? 0,
    revision: Number(s.obj.metadata.annotations?.[REVISION] ?? 0),
  };
}

/** startDeploymentController subscribes the controller to the API's store and returns its stop function. */
export function startDeploymentController(api: MockApi): () => void {
  const rsInfo = api.registry.get('apps', 'v1', 'replicasets')!;

  const setReplicas = (rs: RsView, n: number, want: number, surge: number) => {
    if (rs.replicas === n) return;
    update(api, REPLICASETS_ID, rs.s.key, (o) => {
      (o.spec as { replicas?: number }).replicas = n;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), 'deployment.kubernetes.io/desired-replicas': String(want), 'deployment.kubernetes.io/max-replicas': String(want + surge) };
    });
    rs.replicas = n;
  };

  const reconcile = (key: string) => {
    const dep = api.store.get(DEPLOYMENTS_ID, key);
    if (!dep || dep.obj.metadata.deletionTimestamp) return;
    const spec = dep.obj.spec as DeploymentSpec | undefined;
    if (!spec?.template?.spec) return; // nothing a real controller could make pods of
    const ns = dep.obj.metadata.namespace!;
    const uid = dep.obj.metadata.uid!;
    const name = dep.obj.metadata.name!;
    const want = spec.replicas ?? 1;
    const hash = templateHash(spec.template);
    let rss = ownedBy(api, REPLICASETS_ID, ns, uid).map(view);
    const maxRevision = rss.reduce((m, r) => Math.max(m, r.revision), 0);
    const wanted = JSON.stringify(normalizeTemplate(spec.template));
    let current = rss.find((r) => JSON.stringify(normalizeTemplate((r.s.obj.spec as DeploymentSpec).template)) === wanted);
    const cause = dep.obj.metadata.annotations?.[CHANGE_CAUSE];
    if (!current) {
      const tmpl = structuredClone(spec.template);
      tmpl.metadata = { ...(tmpl.metadata ?? {}), labels: { ...(tmpl.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
      const created = api.create(rsInfo, ns, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          labels: { ...(spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash },
          annotations: { [REVISION]: String(maxRevision + 1), ...(cause ? { [CHANGE_CAUSE]: cause } : {}) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: { replicas: 0, selector: { matchLabels: { ...(spec.selector?.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } }, template: tmpl },
      });
      current = view(created);
      rss = [...rss, current];
    } else if (current.revision < maxRevision) {
      // A rollback to an older template makes its ReplicaSet the newest revision again.
      const rev = String(maxRevision + 1);
      current = view(update(api, REPLICASETS_ID, current.s.key, (o) => {
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: rev, ...(cause ? { [CHANGE_CAUSE]: cause } : {}) };
      })!);
      rss = rss.map((r) => (r.s.key === current!.s.key ? current! : r));
    }
    const cur = current;
    const old = rss.filter((r) => r !== cur).sort((a, b) => a.revision - b.revision);
    const recreate = spec.strategy?.type === 'Recreate';
    let surge = recreate ? 0 : resolveIntOrPercent(spec.strategy?.rollingUpdate?.maxSurge, want, '25%', true);
    let unavailable = recreate ? want : resolveIntOrPercent(spec.strategy?.rollingUpdate?.maxUnavailable, want, '25%', false);
    if (surge === 0 && unavailable === 0) unavailable = 1;
    if (spec.paused) {
      // Paused: scaling only, no rollout.
      if (old.every((r) => r.replicas === 0)) setReplicas(cur, want, want, surge);
    } else if (recreate) {
      for (const r of old) setReplicas(r, 0, want, 0);
      // New pods start only once every old pod is gone, terminating ones included.
      const oldUids = new Set(old.map((r) => r.s.obj.metadata.uid));
      if (!api.store.list(PODS_ID, ns).some((p) => oldUids.has(controllerRef(p.obj)?.uid ?? ''))) setReplicas(cur, want, want, 0);
    } else {
      // Scale up the new ReplicaSet within maxSurge.
      const total = rss.reduce((n, r) => n + r.replicas, 0);
      if (cur.replicas > want) setReplicas(cur, want, want, surge);
      else if (total < want + surge) setReplicas(cur, Math.min(want, cur.replicas + (want + surge - total)), want, surge);
      // Scale down old ReplicaSets within maxUnavailable: unhealthy replicas first, then available ones.
      const all = rss.reduce((n, r) => n + r.replicas, 0);
      const minAvailable = want - unavailable;
      const newUnavailable = Math.max(0, cur.replicas - cur.available);
      let maxScaledDown = all - minAvailable - newUnavailable;
      for (const r of old) {
        if (maxScaledDown <= 0) break;
        const unhealthy = Math.max(0, r.replicas - r.available);
        const d = Math.min(unhealthy, maxScaledDown);
        if (d > 0) setReplicas(r, r.replicas - d, want, surge);
        maxScaledDown -= d;
      }
      let budget = rss.reduce((n, r) => n + Math.min(r.available, r.replicas), 0) - minAvailable;
      for (const r of old) {
        if (budget <= 0) break;
        const d = Math.min(r.replicas, budget);
        if (d > 0) setReplicas(r, r.replicas - d, want, surge);
        budget -= d;
      }
    }
    // Old ReplicaSets without replicas beyond the history limit go.
    const limit = spec.revisionHistoryLimit ?? 10;
    const idle = old.filter((r) => r.replicas === 0 && r.statusReplicas === 0);
    for (const r of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        api.delete(rsInfo, ns, r.s.obj.metadata.name!);
      } catch {
        /* gone meanwhile */
      }
    }
    writeStatus(key, uid, cur, rss, want, unavailable);
  };

  const writeStatus = (key: string, uid: string, cur: RsView, rss: RsView[], want: number, maxUnavailable: number) => {
    const now = nowRfc3339();
    update(api, DEPLOYMENTS_ID, key, (o: KubeObject) => {
      if (o.metadata.uid !== uid) return;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: String(cur.revision) };
      const replicas = rss.reduce((n, r) => n + r.statusReplicas, 0);
      const available = rss.reduce((n, r) => n + r.available, 0);
      const ready = rss.reduce((n, r) => n + r.ready, 0);
      const updated = cur.statusReplicas;
      const complete = updated === want && replicas === want && available >= want && cur.replicas === want;
      const prev = (o.status as { conditions?: Condition[] } | undefined)?.conditions;
      const rsName = cur.s.obj.metadata.name!;
      const isAvailable = available >= want - maxUnavailable;
      o.status = {
        observedGeneration: o.metadata.generation ?? 1,
        replicas,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: available,
        ...(Math.max(0, rss.reduce((n, r) => n + r.replicas, 0) - available) > 0 ? { unavailableReplicas: Math.max(0, rss.reduce((n, r) => n + r.replicas, 0) - available) } : {}),
        conditions: [
          condition(prev, {
            type: 'Available',
            status: isAvailable ? 'True' : 'False',
            reason: isAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
            message: `Deployment ${isAvailable ? 'has' : 'does not have'} minimum availability.`,
          }, now),
          condition(prev, {
            type: 'Progressing',
            status: 'True',
            reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
            message: complete ? `ReplicaSet "${rsName}" has successfully progressed.` : `ReplicaSet "${rsName}" is progressing.`,
          }, now),
        ],
      };
      // The spec stays as it is: only status and the revision annotation change here.
    });
  };

  const enqueue = workQueue(api, reconcile);
  const offDeployments = api.store.subscribe(DEPLOYMENTS_ID, (ev: StoreEvent) => {
    if (ev.type !== 'DELETED') enqueue(ev.stored.key);
  });
  const offRs = api.store.subscribe(REPLICASETS_ID, (ev: StoreEvent) => {
    const ref = controllerRef(ev.stored.obj);
    if (ref?.kind === 'Deployment' && ref.name) enqueue(`${ev.stored.obj.metadata.namespace}/${ref.name}`);
  });
  // A Recreate rollout waits for old pods to be gone: their removal requeues the Deployment.
  const offPods = api.store.subscribe(PODS_ID, (ev: StoreEvent) => {
    if (ev.type !== 'DELETED') return;
    const ref = controllerRef(ev.stored.obj);
    if (ref?.kind !== 'ReplicaSet' || !ref.name) return;
    const rs = api.store.get(REPLICASETS_ID, `${ev.stored.obj.metadata.namespace}/${ref.name}`);
    const owner = rs && controllerRef(rs.obj);
    if (owner?.kind === 'Deployment' && owner.name) enqueue(`${ev.stored.obj.metadata.namespace}/${owner.name}`);
  });
  return () => {
    offDeployments();
    offRs();
    offPods();
  };
}

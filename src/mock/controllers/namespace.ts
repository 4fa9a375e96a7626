/**
 * The mock's namespace controller: a Terminating namespace has its contents deleted, stays Terminating
 * while any object remains (held by finalizers or a pod's grace period), and reports why with the
 * conditions kube-controller-manager writes (NamespaceContentRemaining, NamespaceFinalizersRemaining
 * and the three deletion-failure conditions, all False here). Once it is empty the `kubernetes`
 * finalizer is removed from spec.finalizers and the namespace goes, unless metadata.finalizers still
 * hold it.
 */
import type { MockApi } from '../api.js';
import type { KubeObject } from '../store.js';
import { jsonEqual } from '../json-equal.js';
import { nowRfc3339 } from '../objects.js';

const NS_ID = '/namespaces';
/** First and longest wait between two passes over a Terminating namespace, in ms (doubling in between). */
const FIRST_RETRY_MS = 20;
const MAX_RETRY_MS = 250;

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** namespaceConditions returns the conditions of a Terminating namespace given what remains in it (group-qualified resource → count, finalizer → count). */
export function namespaceConditions(remaining: Map<string, number>, finalizers: Map<string, number>): Condition[] {
  const list = (m: Map<string, number>, f: (k: string, n: number) => string) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => f(k, n)).join(', ');
  return [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    remaining.size
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${list(remaining, (k, n) => `${k} has ${n} resource instances`)}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    finalizers.size
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${list(finalizers, (k, n) => `${k} in ${n} resource instances`)}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  ];
}

/** NamespaceController runs on the API's thread through `api.later`; one pass per Terminating namespace at a time. */
export class NamespaceController {
  private readonly running = new Set<string>();

  constructor(private readonly api: MockApi) {}

  /** terminate starts emptying a namespace that was just marked for deletion. */
  terminate(ns: string): void {
    if (this.running.has(ns)) return;
    this.running.add(ns);
    this.pass(ns, FIRST_RETRY_MS);
  }

  private pass(ns: string, retryMs: number): void {
    const { api } = this;
    const nsObj = api.store.get(NS_ID, ns);
    if (!nsObj || !nsObj.obj.metadata.deletionTimestamp) {
      this.running.delete(ns);
      return;
    }
    const remaining = new Map<string, number>();
    const finalizers = new Map<string, number>();
    for (const info of api.registry.all()) {
      if (!info.namespaced || info.view || api.infoById(info.id) !== info) continue;
      for (const s of api.store.list(info.id, ns)) {
        if (!s.obj.metadata.deletionTimestamp) {
          try {
            api.delete(info, ns, s.obj.metadata.name!, { gracePeriodSeconds: 0, propagationPolicy: 'Background' });
          } catch {
            // already gone
          }
        }
      }
      const left = api.store.list(info.id, ns);
      if (!left.length) continue;
      const gr = info.group ? `${info.resource}.${info.group}` : info.resource;
      remaining.set(gr, left.length);
      for (const s of left) for (const f of s.obj.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    }
    const nsInfo = api.registry.get('', 'v1', 'namespaces')!;
    if (remaining.size === 0) {
      this.running.delete(ns);
      const cur = api.store.get(NS_ID, ns)!;
      if (cur.obj.metadata.finalizers?.length) {
        // Only metadata.finalizers hold it now: their owners remove them with an update, which removes the namespace.
        const o = JSON.parse(cur.json) as KubeObject;
        o.spec = { ...(o.spec as object), finalizers: [] };
        o.status = { phase: 'Terminating', conditions: this.withTimes(cur.obj, namespaceConditions(remaining, finalizers)) };
        api.store.put(NS_ID, ns, o, 'MODIFIED');
        return;
      }
      api.finish(nsInfo, ns);
      return;
    }
    this.writeConditions(ns, namespaceConditions(remaining, finalizers));
    api.later(retryMs, () => this.pass(ns, Math.min(retryMs * 2, MAX_RETRY_MS)));
  }

  /** withTimes keeps each condition's lastTransitionTime while its status stays the same. */
  private withTimes(ns: KubeObject, conditions: Condition[]): Condition[] {
    const before = ((ns.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
    const now = nowRfc3339();
    return conditions.map((c) => {
      const prev = before.find((b) => b.type === c.type);
      return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
    });
  }

  private writeConditions(ns: string, conditions: Condition[]): void {
    const cur = this.api.store.get(NS_ID, ns);
    if (!cur) return;
    const status = { phase: 'Terminating', conditions: this.withTimes(cur.obj, conditions) };
    if (jsonEqual(status, cur.obj.status)) return;
    const o = JSON.parse(cur.json) as KubeObject;
    o.status = status;
    this.api.store.put(NS_ID, ns, o, 'MODIFIED');
  }
}

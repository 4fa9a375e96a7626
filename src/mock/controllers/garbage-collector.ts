/**
 * The mock's garbage collector: deletes the dependents of a deleted owner (ownerReferences), and plays
 * the garbage collector's part for the `orphan` and `foregroundDeletion` finalizers.
 */
import type { MockApi } from '../api.js';
import type { ResourceInfo } from '../resources.js';
import type { KubeObject } from '../store.js';

/** FOREGROUND_RETRY_MS is how often a foreground deletion checks whether its dependents are gone, in ms. */
const FOREGROUND_RETRY_MS = 10;

/** GarbageCollector runs on the API's thread; its methods are called from `api.later` callbacks, never inside a store listener. */
export class GarbageCollector {
  constructor(private readonly api: MockApi) {}

  /** collectDependents deletes (in the background) every dependent of `ownerUid` that has no other live owner. */
  collectDependents(ownerUid: string): void {
    const { api } = this;
    for (const d of api.store.dependents(ownerUid)) {
      const info = api.infoById(d.resourceId);
      const cur = info && api.store.get(d.resourceId, d.key);
      if (!info || !cur) continue;
      const remaining = (cur.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid && api.store.byUid(r.uid) !== undefined);
      try {
        if (remaining.length === 0) api.delete(info, cur.obj.metadata.namespace ?? '', cur.obj.metadata.name!, { propagationPolicy: 'Background' });
      } catch {
        // already gone
      }
    }
  }

  /** runFinalizers handles the `orphan` (dependents lose their ownerReference) and `foregroundDeletion` (dependents go first) finalizers of a deleting object. */
  runFinalizers(info: ResourceInfo, key: string): void {
    const { api } = this;
    const cur = api.store.get(info.id, key);
    if (!cur || !cur.obj.metadata.deletionTimestamp) return;
    const fins = cur.obj.metadata.finalizers ?? [];
    const uid = cur.obj.metadata.uid!;
    if (fins.includes('orphan')) {
      for (const d of api.store.dependents(uid)) {
        const o = JSON.parse(d.json) as KubeObject;
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
        api.store.put(d.resourceId, d.key, o, 'MODIFIED');
      }
      this.dropFinalizer(info, key, 'orphan');
      return;
    }
    if (fins.includes('foregroundDeletion')) {
      if (api.store.dependents(uid).length === 0) {
        this.dropFinalizer(info, key, 'foregroundDeletion');
        return;
      }
      this.collectDependents(uid);
      api.later(FOREGROUND_RETRY_MS, () => this.runFinalizers(info, key));
    }
  }

  /** dropFinalizer removes one finalizer, removing the object when it was the last one and no grace period holds it. */
  private dropFinalizer(info: ResourceInfo, key: string, finalizer: string): void {
    const { api } = this;
    const cur = api.store.get(info.id, key);
    if (!cur) return;
    const o = JSON.parse(cur.json) as KubeObject;
    o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (o.metadata.finalizers.length === 0) {
      delete o.metadata.finalizers;
      if ((o.metadata.deletionGracePeriodSeconds ?? 0) === 0) {
        api.finish(info, key);
        return;
      }
    }
    api.store.put(info.id, key, o, 'MODIFIED');
  }
}

/**
 * In-memory object storage with one global resourceVersion, a bounded event history for watches,
 * and cached serialized forms so reads never re-stringify.
 */

/** ObjectMeta is the part of metav1.ObjectMeta the mock reads and writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<{ uid: string; kind?: string; name?: string; apiVersion?: string; blockOwnerDeletion?: boolean; controller?: boolean }>;
  managedFields?: unknown[];
  [k: string]: unknown;
}

/** KubeObject is any Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

/** StoredObject is one stored version; `obj` must be treated as immutable (clone before changing). */
export interface StoredObject {
  readonly key: string;
  readonly resourceId: string;
  readonly rv: number;
  readonly obj: KubeObject;
  /** The object serialized once at write time. */
  readonly json: string;
  /** Byte length of `json` in UTF-8, filled on first read. */
  bytes?: number;
  /** The ADDED watch-event line of this version, filled on first use (initial watch state). */
  addedLine?: Buffer;
  /** This version converted for APIs that view its storage (events.k8s.io Events), by apiVersion, filled on first use. */
  views?: Record<string, StoredObject>;
}

/** EventType is a watch event type carried by stored changes. */
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** StoreEvent is one change in the history; `line` caches its watch-event JSON line. */
export interface StoreEvent {
  readonly type: EventType;
  readonly stored: StoredObject;
  /** The version before a MODIFIED or DELETED change (watches with selectors turn MODIFIED into ADDED or DELETED; paged lists read the past through it). */
  readonly prev?: StoredObject;
  /** The watch-event JSON line (newline included), shared by every watch stream that sends it unchanged. */
  line?: Buffer;
}

/** StoreListener receives every change to one resource type, synchronously and in resourceVersion order. */
export type StoreListener = (ev: StoreEvent) => void;

/** objectKey returns the storage key of an object: `namespace/name`, or `name` for cluster-scoped types. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

class Table {
  readonly objects = new Map<string, StoredObject>();
  private sorted: string[] | null = null;

  keys(): string[] {
    if (!this.sorted) this.sorted = [...this.objects.keys()].sort();
    return this.sorted;
  }

  set(key: string, s: StoredObject): void {
    if (!this.objects.has(key)) this.sorted = null;
    this.objects.set(key, s);
  }

  delete(key: string): void {
    if (this.objects.delete(key)) this.sorted = null;
  }
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Store holds every object of every type; all methods are synchronous (single-threaded by design). */
export class Store {
  private readonly tables = new Map<string, Table>();
  private readonly listeners = new Map<string, Set<StoreListener>>();
  private readonly ring: (StoreEvent | undefined)[];
  private ringStart = 0;
  private ringCount = 0;
  private readonly ownerIndex = new Map<string, Set<StoredObject>>();
  private readonly uidIndex = new Map<string, StoredObject>();
  /** The last resourceVersion handed out. */
  rv: number;
  /** Watches from a resourceVersion lower than this get 410 Expired. */
  compactedRv: number;

  /** `historySize` is how many events are kept for watches that resume from a resourceVersion. */
  constructor(historySize: number, firstRv = 1) {
    this.ring = new Array(Math.max(1, historySize));
    this.rv = firstRv;
    this.compactedRv = firstRv;
  }

  private table(resourceId: string): Table {
    let t = this.tables.get(resourceId);
    if (!t) {
      t = new Table();
      this.tables.set(resourceId, t);
    }
    return t;
  }

  /** get returns the stored object at `key`, if any. */
  get(resourceId: string, key: string): StoredObject | undefined {
    return this.tables.get(resourceId)?.objects.get(key);
  }

  /** count returns how many objects of a type are stored. */
  count(resourceId: string): number {
    return this.tables.get(resourceId)?.objects.size ?? 0;
  }

  /** range returns the key-ordered slice [start, end) of a type's keys, optionally only in `namespace` and after key `after`; valid until the next write. */
  range(resourceId: string, namespace?: string, after?: string): { keys: string[]; start: number; end: number; get: (key: string) => StoredObject } {
    const t = this.tables.get(resourceId);
    if (!t) return { keys: [], start: 0, end: 0, get: () => undefined as unknown as StoredObject };
    const keys = t.keys();
    let start = 0;
    let end = keys.length;
    if (namespace) {
      // Keys are "namespace/name" and '0' sorts right after '/', so this brackets exactly one namespace.
      start = lowerBound(keys, `${namespace}/`);
      end = lowerBound(keys, `${namespace}0`);
    }
    if (after !== undefined) start = Math.max(start, lowerBound(keys, after + '\u0000'));
    return { keys, start, end: Math.max(start, end), get: (k) => t.objects.get(k)! };
  }

  /** list returns stored objects in key order, optionally only in `namespace`, starting after key `after`. */
  list(resourceId: string, namespace?: string, after?: string): StoredObject[] {
    const r = this.range(resourceId, namespace, after);
    const out: StoredObject[] = new Array(r.end - r.start);
    for (let i = r.start; i < r.end; i++) out[i - r.start] = r.get(r.keys[i]!);
    return out;
  }

  /** byUid returns the stored object with metadata.uid `uid`, if any. */
  byUid(uid: string): StoredObject | undefined {
    return this.uidIndex.get(uid);
  }

  /** dependents returns stored objects whose ownerReferences name `uid`. */
  dependents(uid: string): StoredObject[] {
    return [...(this.ownerIndex.get(uid) ?? [])];
  }

  /** put stores `obj` (taking ownership) under a new resourceVersion, records and publishes the event. */
  put(resourceId: string, key: string, obj: KubeObject, type: 'ADDED' | 'MODIFIED'): StoredObject {
    const rv = ++this.rv;
    obj.metadata.resourceVersion = String(rv);
    const stored: StoredObject = { key, resourceId, rv, obj, json: JSON.stringify(obj) };
    const t = this.table(resourceId);
    const old = t.objects.get(key);
    if (old) this.unindex(old);
    t.set(key, stored);
    this.index(stored);
    this.publish(old ? { type, stored, prev: old } : { type, stored });
    return stored;
  }

  /** remove deletes the object at `key`, publishing DELETED with a new resourceVersion; returns the final version. */
  remove(resourceId: string, key: string): StoredObject | undefined {
    const t = this.tables.get(resourceId);
    const old = t?.objects.get(key);
    if (!t || !old) return undefined;
    const rv = ++this.rv;
    const obj = JSON.parse(old.json) as KubeObject;
    obj.metadata.resourceVersion = String(rv);
    const stored: StoredObject = { key, resourceId, rv, obj, json: JSON.stringify(obj) };
    t.delete(key);
    this.unindex(old);
    this.publish({ type: 'DELETED', stored, prev: old });
    return stored;
  }

  /** dropType removes every object of a type without events (used when a CRD is deleted). */
  dropType(resourceId: string): void {
    const t = this.tables.get(resourceId);
    if (!t) return;
    for (const s of t.objects.values()) this.unindex(s);
    this.tables.delete(resourceId);
  }

  private index(s: StoredObject): void {
    if (s.obj.metadata.uid) this.uidIndex.set(s.obj.metadata.uid, s);
    const refs = s.obj.metadata.ownerReferences;
    if (!refs) return;
    for (const r of refs) {
      let set = this.ownerIndex.get(r.uid);
      if (!set) this.ownerIndex.set(r.uid, (set = new Set()));
      set.add(s);
    }
  }

  private unindex(s: StoredObject): void {
    if (s.obj.metadata.uid && this.uidIndex.get(s.obj.metadata.uid) === s) this.uidIndex.delete(s.obj.metadata.uid);
    const refs = s.obj.metadata.ownerReferences;
    if (!refs) return;
    for (const r of refs) {
      const set = this.ownerIndex.get(r.uid);
      if (!set) continue;
      set.delete(s);
      if (set.size === 0) this.ownerIndex.delete(r.uid);
    }
  }

  private publish(ev: StoreEvent): void {
    const cap = this.ring.length;
    if (this.ringCount === cap) {
      const evicted = this.ring[this.ringStart]!;
      this.compactedRv = evicted.stored.rv;
      this.ring[this.ringStart] = ev;
      this.ringStart = (this.ringStart + 1) % cap;
    } else {
      this.ring[(this.ringStart + this.ringCount) % cap] = ev;
      this.ringCount++;
    }
    const ls = this.listeners.get(ev.stored.resourceId);
    if (!ls) return;
    for (const l of ls) {
      try {
        l(ev);
      } catch (err) {
        // One broken listener (a watch stream, the lifecycle) must not stop the others or the write.
        process.emitWarning(`racerig mock: store listener failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  }

  /** subscribe registers a listener for one type's changes and returns its unsubscribe function. */
  subscribe(resourceId: string, listener: StoreListener): () => void {
    let set = this.listeners.get(resourceId);
    if (!set) this.listeners.set(resourceId, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  /** eventsSince returns the retained events of `resourceId` with resourceVersion > rv, or undefined when rv is older than the history. */
  eventsSince(resourceId: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    const cap = this.ring.length;
    // binary search the first event with rv > given rv
    let lo = 0;
    let hi = this.ringCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[(this.ringStart + mid) % cap]!.stored.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: StoreEvent[] = [];
    for (let i = lo; i < this.ringCount; i++) {
      const ev = this.ring[(this.ringStart + i) % cap]!;
      if (ev.stored.resourceId === resourceId) out.push(ev);
    }
    return out;
  }

  /**
   * changesSince returns, for each key of `resourceId` written after `rv`, the object as it was at
   * `rv` (null: it did not exist then), or undefined when `rv` is older than the history.
   */
  changesSince(resourceId: string, rv: number): Map<string, StoredObject | null> | undefined {
    const events = this.eventsSince(resourceId, rv);
    if (!events) return undefined;
    const out = new Map<string, StoredObject | null>();
    for (const ev of events) {
      const key = ev.stored.key;
      if (!out.has(key)) out.set(key, ev.type === 'ADDED' ? null : (ev.prev ?? null));
    }
    return out;
  }

  /** compact forgets all history and advances the resourceVersion by one, so every watch resuming from a version seen so far gets 410 Expired. */
  compact(): void {
    this.ring.fill(undefined);
    this.ringStart = 0;
    this.ringCount = 0;
    this.rv++;
    this.compactedRv = this.rv;
  }
}

/**
 * Server-side apply field ownership: `metadata.managedFields` entries (FieldsV1) per field manager
 * and operation, the field sets of objects, conflicts between managers, and the ownership changes
 * of updates. A field set is a Set of paths; a path joins FieldsV1 keys (`f:data`, `k:{"name":"x"}`,
 * `.`) with SEP. Status and the server-owned metadata are not tracked.
 */
import type { KubeObject } from './store.js';
import { MERGE_KEYS } from './patch.js';
import { jsonEqual } from './json-equal.js';
import { StatusError, type StatusCause } from './status.js';

/** FieldsV1 is the nested-object form of a field set, as stored in managedFields. */
export type FieldsV1 = { [key: string]: FieldsV1 };

/** ManagedFieldsEntry is one metav1.ManagedFieldsEntry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

const SEP = '\u0001';
const TRACKED_METADATA = ['labels', 'annotations', 'finalizers', 'ownerReferences'];
type Json = unknown;

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

function listKey(field: string, items: Json[]): string | undefined {
  if (field === 'ports') return items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  const k = MERGE_KEYS[field];
  return k && items.every((i) => isObject(i) && i[k] !== undefined) ? k : undefined;
}

function walk(value: Json, prefix: string, out: Set<string>): void {
  if (!isObject(value) || Object.keys(value).length === 0) {
    out.add(prefix);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const p = prefix + SEP + 'f:' + k;
    const key = Array.isArray(v) && v.length > 0 ? listKey(k, v) : undefined;
    if (Array.isArray(v) && key) {
      for (const item of v as Record<string, Json>[]) {
        const ip = p + SEP + 'k:' + JSON.stringify({ [key]: item[key] });
        out.add(ip + SEP + '.');
        walk(item, ip, out);
      }
    } else walk(Array.isArray(v) ? null : v, p, out);
  }
}

/** fieldSet returns the tracked leaf paths an object sets: everything but apiVersion, kind, status and server-owned metadata. */
export function fieldSet(obj: KubeObject): Set<string> {
  const out = new Set<string>();
  const m = obj.metadata ?? {};
  for (const k of TRACKED_METADATA) {
    if (m[k] !== undefined) walk({ [k]: m[k] }, 'f:metadata', out);
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || k === 'status' || v === undefined) continue;
    walk({ [k]: v }, '', out);
  }
  // walk() prefixes paths with SEP at the top level; strip it.
  return new Set([...out].map((p) => (p.startsWith(SEP) ? p.slice(1) : p)));
}

/** toFieldsV1 turns a field set into its FieldsV1 tree. */
export function toFieldsV1(set: Set<string>): FieldsV1 {
  const root: FieldsV1 = {};
  for (const p of [...set].sort()) {
    let node = root;
    for (const key of p.split(SEP)) node = node[key] ??= {};
  }
  return root;
}

/** fromFieldsV1 turns a FieldsV1 tree into a field set. */
export function fromFieldsV1(tree: FieldsV1 | undefined): Set<string> {
  const out = new Set<string>();
  const rec = (node: FieldsV1, prefix: string) => {
    for (const [k, child] of Object.entries(node ?? {})) {
      const p = prefix ? prefix + SEP + k : k;
      if (!child || Object.keys(child).length === 0) out.add(p);
      else rec(child, p);
    }
  };
  rec(tree ?? {}, '');
  return out;
}

/** valueAt returns the value an object has at a field path (undefined when absent). */
export function valueAt(obj: Json, path: string): Json {
  let cur: Json = obj;
  for (const key of path.split(SEP)) {
    if (key === '.') return cur;
    if (key.startsWith('f:')) cur = isObject(cur) ? cur[key.slice(2)] : undefined;
    else if (key.startsWith('k:')) {
      const want = JSON.parse(key.slice(2)) as Record<string, Json>;
      cur = Array.isArray(cur) ? cur.find((i) => isObject(i) && Object.entries(want).every(([k, v]) => jsonEqual(i[k], v))) : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** removeAt deletes the field or keyed list item at a path from an object (mutates). */
export function removeAt(obj: Json, path: string): void {
  const keys = path.split(SEP);
  if (keys[keys.length - 1] === '.') keys.pop();
  let cur: Json = obj;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const last = i === keys.length - 1;
    if (key.startsWith('f:')) {
      if (!isObject(cur)) return;
      if (last) delete cur[key.slice(2)];
      else cur = cur[key.slice(2)];
    } else if (key.startsWith('k:')) {
      if (!Array.isArray(cur)) return;
      const want = JSON.parse(key.slice(2)) as Record<string, Json>;
      const at = cur.findIndex((it) => isObject(it) && Object.entries(want).every(([k, v]) => jsonEqual(it[k], v)));
      if (at < 0) return;
      if (last) cur.splice(at, 1);
      else cur = cur[at];
    } else return;
  }
}

/** printPath renders a field path as kube-apiserver does in conflict messages, e.g. `.spec.containers[name="main"].image`. */
export function printPath(path: string): string {
  let out = '';
  for (const key of path.split(SEP)) {
    if (key === '.') continue;
    if (key.startsWith('f:')) out += '.' + key.slice(2);
    else if (key.startsWith('k:')) {
      const want = JSON.parse(key.slice(2)) as Record<string, Json>;
      out += '[' + Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',') + ']';
    }
  }
  return out;
}

/** sameAt tells whether two objects agree at a path; for a list item's `.` marker, agreeing means it exists in both. */
function sameAt(a: Json, b: Json, path: string): boolean {
  if (path.endsWith(SEP + '.')) return valueAt(a, path) !== undefined && valueAt(b, path) !== undefined;
  return jsonEqual(valueAt(a, path), valueAt(b, path));
}

function entries(obj: KubeObject): ManagedFieldsEntry[] {
  const mf = obj.metadata.managedFields;
  return Array.isArray(mf) ? (mf as ManagedFieldsEntry[]).filter((e) => e && typeof e.manager === 'string') : [];
}

function entry(manager: string, operation: 'Apply' | 'Update', apiVersion: string, fields: Set<string>, time: string): ManagedFieldsEntry {
  return { manager, operation, apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(fields) };
}

function describe(e: ManagedFieldsEntry): string {
  return e.operation === 'Update' ? `"${e.manager}" using ${e.apiVersion}` : `"${e.manager}"`;
}

/** afterCreate returns the managedFields of an object created by `manager` (operation Update, or Apply when created by server-side apply). */
export function afterCreate(obj: KubeObject, manager: string, operation: 'Apply' | 'Update', apiVersion: string, time: string): ManagedFieldsEntry[] {
  const fields = fieldSet(obj);
  return fields.size ? [entry(manager, operation, apiVersion, fields, time)] : [];
}

/** afterUpdate returns the managedFields after `manager` changed `before` into `after` (PUT or a non-apply PATCH): it takes the changed fields from everyone; removed fields leave every set. */
export function afterUpdate(before: KubeObject, after: KubeObject, manager: string, apiVersion: string, time: string): ManagedFieldsEntry[] {
  const old = fieldSet(before);
  const now = fieldSet(after);
  const changed = new Set<string>();
  for (const p of now) if (!old.has(p) || !sameAt(before, after, p)) changed.add(p);
  const removed = new Set<string>();
  for (const p of old) if (!now.has(p)) removed.add(p);
  const out: ManagedFieldsEntry[] = [];
  let mine: Set<string> | undefined;
  let mineTime = time;
  for (const e of entries(before)) {
    const set = fromFieldsV1(e.fieldsV1);
    if (e.manager === manager && e.operation === 'Update') {
      mine = set;
      mineTime = e.time;
      continue;
    }
    let touched = false;
    for (const p of set) {
      if (changed.has(p) || removed.has(p)) {
        set.delete(p);
        touched = true;
      }
    }
    if (set.size) out.push(touched ? { ...e, fieldsV1: toFieldsV1(set) } : e);
  }
  const next = new Set(mine ?? []);
  for (const p of removed) next.delete(p);
  for (const p of changed) next.add(p);
  if (next.size) out.push(entry(manager, 'Update', apiVersion, next, changed.size || !mine ? time : mineTime));
  return out;
}

/**
 * apply computes server-side apply's ownership for `manager` applying `config` to `live`: it throws
 * 409 Conflict (unless `force`) when another manager owns a field the config sets to a different
 * value; otherwise returns the new managedFields and the fields the manager stopped applying that
 * nobody else owns (to be removed from the object).
 */
export function apply(
  live: KubeObject,
  config: KubeObject,
  manager: string,
  apiVersion: string,
  time: string,
  force: boolean,
  kind: { resource: string; group: string; name: string },
): { managedFields: ManagedFieldsEntry[]; remove: string[] } {
  const applied = fieldSet(config);
  const conflicts: Array<{ e: ManagedFieldsEntry; path: string }> = [];
  const others: Array<{ e: ManagedFieldsEntry; set: Set<string> }> = [];
  let previous = new Set<string>();
  let previousTime = time;
  for (const e of entries(live)) {
    const set = fromFieldsV1(e.fieldsV1);
    if (e.manager === manager && e.operation === 'Apply') {
      previous = set;
      previousTime = e.time;
      continue;
    }
    others.push({ e, set });
    if (e.manager === manager) continue;
    for (const p of applied) if (set.has(p) && !sameAt(config, live, p)) conflicts.push({ e, path: p });
  }
  if (conflicts.length && !force) throw applyConflict(conflicts, kind);
  const out: ManagedFieldsEntry[] = [];
  for (const { e, set } of others) {
    let touched = false;
    for (const c of conflicts) {
      if (c.e === e && set.delete(c.path)) touched = true;
    }
    if (set.size) out.push(touched ? { ...e, fieldsV1: toFieldsV1(set) } : e);
  }
  const same = previous.size === applied.size && [...applied].every((p) => previous.has(p));
  if (applied.size) out.push(entry(manager, 'Apply', apiVersion, applied, same ? previousTime : time));
  const remove: string[] = [];
  for (const p of previous) {
    if (applied.has(p)) continue;
    if (others.some(({ set }) => set.has(p))) continue;
    remove.push(p);
  }
  return { managedFields: out, remove };
}

function applyConflict(conflicts: Array<{ e: ManagedFieldsEntry; path: string }>, kind: { resource: string; group: string; name: string }): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describe(c.e)}`, field: printPath(c.path) }));
  let text: string;
  if (conflicts.length === 1) text = `conflict with ${describe(conflicts[0]!.e)}: ${printPath(conflicts[0]!.path)}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const k = describe(c.e);
      byManager.set(k, [...(byManager.get(k) ?? []), printPath(c.path)]);
    }
    text = [...byManager].map(([m, paths]) => [`conflicts with ${m}:`, ...paths.map((p) => `- ${p}`)].join('\n')).join('\n');
  }
  const n = conflicts.length;
  return new StatusError(409, 'Conflict', `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${text}`, { name: kind.name, group: kind.group || undefined, kind: kind.resource, causes });
}

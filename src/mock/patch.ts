/**
 * PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic merge patch for
 * built-in types (lists such as containers merged by their key, `$patch` and `$setElementOrder` directives).
 */
import { StatusError, badRequest } from './status.js';

/** PATCH_TYPES are the PATCH content types the mock accepts. */
export const PATCH_TYPES = [
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** mergePatch applies an RFC 7386 JSON merge patch to `target` and returns the result (inputs are not modified). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v) as Json;
  }
  return out;
}

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(p: unknown): string[] {
  if (typeof p !== 'string' || (p !== '' && !p.startsWith('/'))) throw badRequest(`invalid JSON pointer: ${String(p)}`);
  return p === '' ? [] : p.slice(1).split('/').map(unescapePointer);
}

function walk(doc: Json, path: string[]): { parent: Json; key: string } {
  let cur: Json = doc;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    if (Array.isArray(cur)) cur = cur[Number(seg)] as Json;
    else if (isObject(cur)) cur = cur[seg] as Json;
    else cur = undefined as unknown as Json;
    if (cur === undefined) throw patchFailed(`doc is missing path: /${path.join('/')}`);
  }
  return { parent: cur, key: path[path.length - 1]! };
}

function patchFailed(message: string): StatusError {
  return new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

function getAt(doc: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObject(cur)) cur = cur[seg];
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function addAt(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, key } = walk(doc, path);
  if (Array.isArray(parent)) {
    const idx = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(idx) || idx < 0 || idx > parent.length) throw patchFailed(`invalid array index: ${key}`);
    parent.splice(idx, 0, value);
  } else if (isObject(parent)) {
    parent[key] = value;
  } else {
    throw patchFailed(`doc is missing path: /${path.join('/')}`);
  }
  return doc;
}

function removeAt(doc: Json, path: string[]): Json {
  const { parent, key } = walk(doc, path);
  if (Array.isArray(parent)) {
    const idx = Number(key);
    if (!Number.isInteger(idx) || idx < 0 || idx >= parent.length) throw patchFailed(`invalid array index: ${key}`);
    parent.splice(idx, 1);
  } else if (isObject(parent) && key in parent) {
    delete parent[key];
  } else {
    throw patchFailed(`unable to remove nonexistent key: ${key}: missing value`);
  }
  return doc;
}

/** jsonPatch applies an RFC 6902 JSON patch (add, remove, replace, move, copy, test) to a copy of `target`. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let doc = structuredClone(target) as Json;
  for (const raw of ops) {
    if (!isObject(raw)) throw badRequest('json patch operation must be an object');
    const op = raw.op;
    const path = parsePointer(raw.path);
    switch (op) {
      case 'add':
        doc = addAt(doc, path, structuredClone(raw.value ?? null));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (getAt(doc, path) === undefined) throw patchFailed(`replace operation does not apply: doc is missing key: /${path.join('/')}: missing value`);
        doc = removeAt(doc, path);
        doc = addAt(doc, path, structuredClone(raw.value ?? null));
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(raw.from);
        const v = getAt(doc, from);
        if (v === undefined) throw patchFailed(`${op} operation does not apply: doc is missing from path: ${String(raw.from)}`);
        if (op === 'move') doc = removeAt(doc, from);
        doc = addAt(doc, path, structuredClone(v));
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value)) throw patchFailed(`testing value /${path.join('/')} failed`);
        break;
      default:
        throw badRequest(`unexpected json patch operation: ${String(op)}`);
    }
  }
  return doc;
}

/** MERGE_KEYS names the merge key of each built-in list field merged by key in strategic merge patch. */
export const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  env: 'name',
  resourceClaims: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
};

/** PRIMITIVE_SET_LISTS are primitive lists merged as sets in strategic merge patch. */
const PRIMITIVE_SET_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, sample: Json[]): string | undefined {
  if (field === 'ports') {
    const first = sample.find(isObject);
    if (first && 'containerPort' in first) return 'containerPort';
    return first && 'port' in first ? 'port' : 'containerPort';
  }
  return MERGE_KEYS[field];
}

function mergeList(field: string, original: Json | undefined, patch: Json[], order: Json[] | undefined): Json[] {
  if (PRIMITIVE_SET_LISTS.has(field) && patch.every((v) => !isObject(v))) {
    const base = Array.isArray(original) ? [...original] : [];
    for (const v of patch) if (!base.includes(v)) base.push(v);
    return base;
  }
  const key = mergeKeyFor(field, patch);
  if (!key) return patch.filter((v) => !(isObject(v) && v.$patch !== undefined));
  if (patch.some((v) => isObject(v) && v.$patch === 'replace')) {
    return patch.filter((v) => !(isObject(v) && v.$patch === 'replace'));
  }
  const out: Json[] = Array.isArray(original) ? [...original] : [];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const id = item[key];
    const idx = out.findIndex((o) => isObject(o) && o[key] === id);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item) as Json;
    else out.push(strategicMerge(undefined, item) as Json);
  }
  if (order) {
    const pos = new Map(order.map((o, i) => [isObject(o) ? o[key] : o, i]));
    out.sort((a, b) => (pos.get(isObject(a) ? a[key] : a) ?? 1e9) - (pos.get(isObject(b) ? b[key] : b) ?? 1e9));
  }
  return out;
}

/** strategicMerge applies a strategic merge patch to `target` (built-in types) and returns the result (inputs are not modified). */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f]) && Array.isArray(v)) out[f] = (out[f] as Json[]).filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const order = patch[`$setElementOrder/${k}`];
      out[k] = mergeList(k, out[k], v, Array.isArray(order) ? order : undefined);
    } else if (isObject(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged as Json;
    } else {
      out[k] = v;
    }
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

/**
 * Label and field selectors: parsed once per distinct string (cached), then matched against objects.
 */
import { badRequest } from './status.js';

/** Matcher tests one object (its labels, or its fields through `getField`). */
export type Matcher = (obj: KubeLike) => boolean;

/** KubeLike is the minimal shape selectors read. */
export interface KubeLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

type Op = '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

const MATCH_ALL: Matcher = () => true;
const CACHE_LIMIT = 1024;
const labelCache = new Map<string, Matcher>();
const fieldCache = new Map<string, Matcher>();

function remember(cache: Map<string, Matcher>, key: string, m: Matcher): Matcher {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, m);
  return m;
}

/** parseLabelSelectorRequirements splits a label selector (=, ==, !=, in, notin, exists, !key) into requirements; throws 400 on bad syntax. */
export function parseLabelSelectorRequirements(selector: string): Requirement[] {
  const reqs: Requirement[] = [];
  let i = 0;
  const s = selector;
  const skipWs = () => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readKey = () => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9._\-/]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    if (i >= s.length) break;
    let negate = false;
    if (s[i] === '!') {
      negate = true;
      i++;
      skipWs();
    }
    const key = readKey();
    if (!key) throw badRequest(`unable to parse requirement: invalid label selector "${selector}"`);
    skipWs();
    if (negate) {
      reqs.push({ key, op: '!', values: [] });
    } else if (i >= s.length || s[i] === ',') {
      reqs.push({ key, op: 'exists', values: [] });
    } else if (s.startsWith('==', i) || s.startsWith('!=', i) || s[i] === '=') {
      const op: Op = s.startsWith('!=', i) ? '!=' : '=';
      i += s.startsWith('==', i) || op === '!=' ? 2 : 1;
      skipWs();
      const start = i;
      while (i < s.length && s[i] !== ',') i++;
      const value = s.slice(start, i).trim();
      if (!/^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/.test(value)) {
        throw badRequest(`unable to parse requirement: values[0][${key}]: Invalid value: "${value}"`);
      }
      reqs.push({ key, op, values: [value] });
    } else {
      const word = readKey();
      if (word !== 'in' && word !== 'notin') throw badRequest(`unable to parse requirement: found '${word}', expected: in, notin, =, ==, !=, gt, lt`);
      skipWs();
      if (s[i] !== '(') throw badRequest(`unable to parse requirement: found '${s[i] ?? ''}', expected: '('`);
      const close = s.indexOf(')', i);
      if (close < 0) throw badRequest(`unable to parse requirement: found '', expected: ')'`);
      const values = s
        .slice(i + 1, close)
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      i = close + 1;
      reqs.push({ key, op: word, values });
    }
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') throw badRequest(`unable to parse requirement: invalid label selector "${selector}"`);
      i++;
    }
  }
  return reqs;
}

function requirementMatcher(r: Requirement): (labels: Record<string, string> | undefined) => boolean {
  switch (r.op) {
    case '=':
      return (l) => l !== undefined && l[r.key] === r.values[0];
    case '!=':
      return (l) => l === undefined || l[r.key] !== r.values[0];
    case 'in':
      return (l) => l !== undefined && l[r.key] !== undefined && r.values.includes(l[r.key]!);
    case 'notin':
      return (l) => l === undefined || l[r.key] === undefined || !r.values.includes(l[r.key]!);
    case 'exists':
      return (l) => l !== undefined && Object.prototype.hasOwnProperty.call(l, r.key);
    case '!':
      return (l) => l === undefined || !Object.prototype.hasOwnProperty.call(l, r.key);
  }
}

/** labelMatcher returns a cached matcher for a label selector string (empty matches everything). */
export function labelMatcher(selector: string | null | undefined): Matcher {
  if (!selector) return MATCH_ALL;
  const cached = labelCache.get(selector);
  if (cached) return cached;
  const tests = parseLabelSelectorRequirements(selector).map(requirementMatcher);
  const m: Matcher = (obj) => {
    const labels = obj.metadata?.labels;
    for (const t of tests) if (!t(labels)) return false;
    return true;
  };
  return remember(labelCache, selector, m);
}

/** matchLabelMap tests a plain `matchLabels` map (as in a deployment selector) against labels. */
export function matchLabelMap(want: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!want) return true;
  for (const k in want) if (!labels || labels[k] !== want[k]) return false;
  return true;
}

/** FIELD_LABELS lists the field selector keys supported per resource beyond metadata.name and metadata.namespace. */
export const FIELD_LABELS: Record<string, string[]> = {
  '/pods': ['status.phase', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.podIP', 'status.nominatedNodeName'],
  '/events': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  'events.k8s.io/events': ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'reason', 'reportingController', 'type'],
  '/secrets': ['type'],
  '/nodes': ['spec.unschedulable'],
  '/namespaces': ['status.phase'],
  'batch/jobs': ['status.successful'],
};

function fieldValue(obj: KubeLike, path: string[]): string {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || cur === null) return '';
  return String(cur);
}

/** fieldMatcher returns a cached matcher for a field selector on resource `resourceId` (the API's `group/resource`); unsupported fields → 400. `storagePath` maps a field path to where the stored form keeps it (views of another type's storage). */
export function fieldMatcher(selector: string | null | undefined, resourceId: string, storagePath?: (path: string[]) => string[]): Matcher {
  if (!selector) return MATCH_ALL;
  const cacheKey = `${resourceId} ${selector}`;
  const cached = fieldCache.get(cacheKey);
  if (cached) return cached;
  const allowed = FIELD_LABELS[resourceId] ?? [];
  const tests: Array<(o: KubeLike) => boolean> = [];
  for (const part of selector.split(',')) {
    const t = part.trim();
    if (!t) continue;
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(t);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${t}'`);
    const key = m[1]!.trim();
    const neg = m[2] === '!=';
    const value = m[3]!.trim();
    if (key !== 'metadata.name' && key !== 'metadata.namespace' && !allowed.includes(key)) {
      throw badRequest(`field label not supported: ${key}`);
    }
    const path = storagePath ? storagePath(key.split('.')) : key.split('.');
    tests.push(neg ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value);
  }
  const m: Matcher = (obj) => {
    for (const t of tests) if (!t(obj)) return false;
    return true;
  };
  return remember(fieldCache, cacheKey, m);
}

/** exactNameFromFieldSelector returns the name a field selector pins with `metadata.name=`, for a fast lookup. */
export function exactNameFromFieldSelector(selector: string | null | undefined): string | undefined {
  if (!selector || selector.includes(',')) return undefined;
  const m = /^metadata\.name\s*==?\s*(.+)$/.exec(selector.trim());
  return m ? m[1]!.trim() : undefined;
}

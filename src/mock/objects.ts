/**
 * Object metadata rules: names, generateName, uid, timestamps, generation, and validation of bodies
 * (422 Invalid with causes, 400 for the wrong kind or namespace).
 */
import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from './resources.js';
import type { KubeObject } from './store.js';
import { badRequest, invalid, type StatusCause } from './status.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

let cachedSecond = -1;
let cachedStamp = '';

/** nowRfc3339 returns the current time in whole seconds as the API server writes timestamps (cached per second). */
export function nowRfc3339(ms: number = Date.now()): string {
  const s = Math.floor(ms / 1000);
  if (s !== cachedSecond) {
    cachedSecond = s;
    cachedStamp = new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  }
  return cachedStamp;
}

/** randomSuffix returns the 5-character suffix generateName appends. */
export function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return s;
}

/** nameProblems returns the causes for an invalid object name of type `info` (empty when valid). */
export function nameProblems(info: ResourceInfo, name: string): StatusCause[] {
  const label = info.resource === 'namespaces';
  const max = label ? 63 : 253;
  const re = label ? DNS_LABEL : DNS_SUBDOMAIN;
  if (name.length > max || !re.test(name)) {
    const what = label
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    return [{ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${what}`, field: 'metadata.name' }];
  }
  return [];
}

/** checkTypeAndNamespace rejects a body whose kind, apiVersion or namespace disagree with the request (400). */
export function checkTypeAndNamespace(info: ResourceInfo, obj: KubeObject, namespace: string): void {
  if (obj.kind !== undefined && obj.kind !== info.kind) {
    throw badRequest(`the API version in the data (${obj.apiVersion ?? ''}) does not match the expected API version (${info.apiVersion}) or the kind (${obj.kind}) does not match ${info.kind}`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== info.apiVersion) {
    const g = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
    if (g !== info.group) throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${info.apiVersion})`);
  }
  if (info.namespaced && obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/** asObject checks that a parsed body is a JSON object with object metadata (422/400 otherwise) and returns it. */
export function asObject(body: unknown, info: ResourceInfo): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the body of the request must be a JSON object of kind ${info.kind}`);
  }
  const obj = body as KubeObject;
  if (obj.metadata === undefined) obj.metadata = {};
  if (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
    throw invalid(info.kind, info.group, '', [{ reason: 'FieldValueInvalid', message: 'Invalid value: must be an object', field: 'metadata' }]);
  }
  const m = obj.metadata;
  if (m.labels !== undefined && !isStringMap(m.labels)) {
    throw invalid(info.kind, info.group, String(m.name ?? ''), [{ reason: 'FieldValueInvalid', message: 'Invalid value: labels must be a map of strings', field: 'metadata.labels' }]);
  }
  if (m.annotations !== undefined && !isStringMap(m.annotations)) {
    throw invalid(info.kind, info.group, String(m.name ?? ''), [{ reason: 'FieldValueInvalid', message: 'Invalid value: annotations must be a map of strings', field: 'metadata.annotations' }]);
  }
  const causes: StatusCause[] = [];
  for (const f of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid'] as const) {
    if (m[f] !== undefined && m[f] !== null && typeof m[f] !== 'string') causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a string', field: `metadata.${f}` });
  }
  if (m.finalizers !== undefined && m.finalizers !== null && (!Array.isArray(m.finalizers) || m.finalizers.some((x) => typeof x !== 'string'))) {
    causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a list of strings', field: 'metadata.finalizers' });
  }
  if (
    m.ownerReferences !== undefined &&
    m.ownerReferences !== null &&
    (!Array.isArray(m.ownerReferences) || m.ownerReferences.some((r) => r === null || typeof r !== 'object' || typeof r.uid !== 'string' || !r.uid))
  ) {
    causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a list of owner references, each with a uid', field: 'metadata.ownerReferences' });
  }
  if (causes.length) throw invalid(info.kind, info.group, typeof m.name === 'string' ? m.name : '', causes);
  for (const f of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) if (m[f] === null) delete m[f];
  return obj;
}

function isStringMap(v: unknown): boolean {
  if (v === null) return true;
  if (typeof v !== 'object' || Array.isArray(v)) return false;
  for (const x of Object.values(v as object)) if (typeof x !== 'string') return false;
  return true;
}

/** specProblems returns type-specific validation causes (pods need named containers with images). */
export function specProblems(info: ResourceInfo, obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (info.id === '/pods') {
    const spec = obj.spec as { containers?: unknown } | undefined;
    const containers = spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' });
    } else {
      containers.forEach((c: { name?: unknown; image?: unknown }, i) => {
        if (!c || typeof c.name !== 'string' || !c.name) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.containers[${i}].name` });
        if (!c || typeof c.image !== 'string' || !c.image) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.containers[${i}].image` });
      });
    }
  } else if (info.id === '/configmaps' || info.id === '/secrets') {
    for (const f of ['data', 'stringData', 'binaryData']) {
      const d = obj[f];
      if (d !== undefined && (d === null || typeof d !== 'object' || Array.isArray(d))) {
        causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a map', field: f });
      }
    }
  }
  return causes;
}

/** initMetadata fills the server-set fields of a new object (name from generateName, uid, creationTimestamp, generation); returns whether the name was generated. */
export function initMetadata(info: ResourceInfo, obj: KubeObject, namespace: string): boolean {
  const m = obj.metadata;
  obj.apiVersion = info.apiVersion;
  obj.kind = info.kind;
  const generated = !m.name && !!m.generateName;
  if (generated) m.name = `${m.generateName}${randomSuffix()}`;
  if (info.namespaced) m.namespace = namespace;
  else delete m.namespace;
  m.uid = randomUUID();
  m.creationTimestamp = nowRfc3339();
  if (obj.spec !== undefined) m.generation = 1;
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  return generated;
}

/** validateNew throws 422 Invalid when a new object has no usable name or an invalid body. */
export function validateNew(info: ResourceInfo, obj: KubeObject): void {
  const name = obj.metadata.name;
  const causes: StatusCause[] = [];
  if (!name) {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  } else {
    causes.push(...nameProblems(info, name));
  }
  causes.push(...specProblems(info, obj));
  if (causes.length) throw invalid(info.kind, info.group, name ?? '', causes);
}

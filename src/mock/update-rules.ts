/**
 * What kube-apiserver normalizes and refuses on writes that clients rely on: Secret `stringData`
 * merged into `data`, Service defaults (type, sessionAffinity, an allocated clusterIP kept across
 * updates and immutable), pod spec immutability except the fields the server lets change, and no new
 * finalizers on an object that is being deleted.
 */
import type { KubeObject } from './store.js';
import type { ResourceInfo } from './resources.js';
import { jsonEqual } from './json-equal.js';
import type { StatusCause } from './status.js';

/** mergeStringData moves a Secret's `stringData` into `data` (base64), its values winning, as the v1 → internal conversion does. */
export function mergeStringData(obj: KubeObject): void {
  const sd = obj.stringData as Record<string, unknown> | undefined;
  if (sd === undefined) return;
  delete obj.stringData;
  if (sd === null || typeof sd !== 'object') return;
  const data = (obj.data && typeof obj.data === 'object' ? obj.data : {}) as Record<string, string>;
  for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  obj.data = data;
}

/** ClusterIpAllocator hands out Service cluster IPs from 10.96.0.0/12, one mock's worth (never reused). */
export class ClusterIpAllocator {
  private next = 10;

  /** allocate returns the next free address. */
  allocate(): string {
    const n = this.next++;
    return `10.96.${(n >> 8) & 255}.${n & 255}`;
  }
}

interface ServicePort {
  port?: number;
  targetPort?: number | string;
  protocol?: string;
}

/** defaultService fills a new Service's defaults: type ClusterIP, sessionAffinity None, an allocated clusterIP (none for ExternalName, kept "None" for headless), single-stack IPv4, TCP ports targeting themselves. */
export function defaultService(obj: KubeObject, ips: ClusterIpAllocator): void {
  const spec = (obj.spec ??= {}) as Record<string, unknown>;
  spec.type ??= 'ClusterIP';
  if (spec.type !== 'ExternalName') {
    spec.sessionAffinity ??= 'None';
    if (!spec.clusterIP) spec.clusterIP = Array.isArray(spec.clusterIPs) && spec.clusterIPs[0] ? spec.clusterIPs[0] : ips.allocate();
    spec.clusterIPs ??= [spec.clusterIP];
    if (spec.clusterIP !== 'None' || spec.ipFamilies === undefined) spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  for (const p of (spec.ports as ServicePort[] | undefined) ?? []) {
    if (!p || typeof p !== 'object') continue;
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  obj.status ??= { loadBalancer: {} };
}

/** keepServiceAllocation copies the old clusterIP(s) into an update that left them out, and returns a cause when it tries to change them. */
export function keepServiceAllocation(old: KubeObject, next: KubeObject): StatusCause[] {
  const o = (old.spec ?? {}) as Record<string, unknown>;
  const n = (next.spec ??= {}) as Record<string, unknown>;
  if (!o.clusterIP) return [];
  if (n.type === 'ExternalName') return [];
  if (n.clusterIP === undefined || n.clusterIP === '') {
    n.clusterIP = o.clusterIP;
    n.clusterIPs ??= o.clusterIPs;
  }
  n.clusterIPs ??= o.clusterIPs;
  for (const f of ['ipFamilies', 'ipFamilyPolicy', 'sessionAffinity', 'internalTrafficPolicy'] as const) n[f] ??= o[f];
  if (n.clusterIP !== o.clusterIP) return [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(n.clusterIP)}: field is immutable`, field: 'spec.clusterIP' }];
  return [];
}

/** defaultPodSpec fills the pod spec fields the server defaults (also on updates, where the client may leave them out). */
export function defaultPodSpec(spec: Record<string, unknown>): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= 'default';
}

const POD_UPDATE_FORBIDDEN =
  'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** podUpdateCauses refuses a pod spec change other than images, activeDeadlineSeconds, added tolerations and a negative terminationGracePeriodSeconds set to 1 (ValidatePodUpdate). */
export function podUpdateCauses(old: KubeObject, next: KubeObject): StatusCause[] {
  const o = structuredClone((old.spec ?? {}) as Record<string, unknown>);
  const n = structuredClone((next.spec ?? {}) as Record<string, unknown>);
  defaultPodSpec(n);
  if (!n.nodeName && o.nodeName) n.nodeName = o.nodeName;
  (next.spec as Record<string, unknown>) = { ...(next.spec as object), ...pick(n, ['restartPolicy', 'terminationGracePeriodSeconds', 'dnsPolicy', 'schedulerName', 'serviceAccountName', 'nodeName']) };
  for (const list of ['containers', 'initContainers'] as const) {
    const oc = o[list] as Array<Record<string, unknown>> | undefined;
    const nc = n[list] as Array<Record<string, unknown>> | undefined;
    if (Array.isArray(oc) && Array.isArray(nc) && oc.length === nc.length) nc.forEach((c, i) => c && oc[i] && (c.image = oc[i]!.image));
  }
  delete o.activeDeadlineSeconds;
  delete n.activeDeadlineSeconds;
  const ot = (o.tolerations as unknown[] | undefined) ?? [];
  const nt = (n.tolerations as unknown[] | undefined) ?? [];
  const tolerationsOk = ot.every((t) => nt.some((x) => jsonEqual(x, t)));
  delete o.tolerations;
  delete n.tolerations;
  if (typeof o.terminationGracePeriodSeconds === 'number' && o.terminationGracePeriodSeconds < 0 && n.terminationGracePeriodSeconds === 1) n.terminationGracePeriodSeconds = o.terminationGracePeriodSeconds;
  if (tolerationsOk && jsonEqual(o, n)) return [];
  return [{ reason: 'FieldValueForbidden', message: POD_UPDATE_FORBIDDEN, field: 'spec' }];
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** newFinalizerCauses refuses finalizers added to an object that is being deleted. */
export function newFinalizerCauses(old: KubeObject, next: KubeObject): StatusCause[] {
  if (!old.metadata.deletionTimestamp) return [];
  const before = new Set(old.metadata.finalizers ?? []);
  const added = (next.metadata.finalizers ?? []).filter((f) => !before.has(f));
  if (!added.length) return [];
  return [{ reason: 'FieldValueForbidden', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`, field: 'metadata.finalizers' }];
}

/** updateCauses normalizes an update of `info` in place (stringData, kept allocations, defaults) and returns what the server would refuse in it. */
export function updateCauses(info: ResourceInfo, old: KubeObject, next: KubeObject): StatusCause[] {
  const causes = newFinalizerCauses(old, next);
  if (info.id === '/secrets') mergeStringData(next);
  else if (info.id === '/services') causes.push(...keepServiceAllocation(old, next));
  else if (info.id === '/pods') causes.push(...podUpdateCauses(old, next));
  return causes;
}

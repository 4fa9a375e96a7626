/**
 * The mock API's verbs (get, list, create, update, patch, delete, deletecollection) over the Store,
 * with Kubernetes semantics: conflicts, namespaces, finalizers, graceful pod deletion, and CRD
 * registration. What controllers do (garbage collection, namespace termination, the kubelet's end of
 * a graceful pod deletion) lives in ./controllers/, background timers in ./background.ts. No HTTP
 * here; errors are thrown StatusErrors.
 */
import { parse as parseYaml } from 'yaml';
import { ResourceRegistry, type ResourceInfo } from './resources.js';
import { CRD_ID, crdResourceInfos, validateCrd } from './crd.js';
import { scaleOf } from './scale.js';
import { jsonEqual } from './json-equal.js';
import { Store, objectKey, type KubeObject, type StoredObject } from './store.js';
import { listObjects, type ListOptions, type ListResult } from './list.js';
import { StatusError, alreadyExists, badRequest, conflict, invalid, notFound, unsupportedMediaType } from './status.js';
import { jsonDepthExceeded, tooDeep, valueDepthExceeded } from './http-util.js';
import { asObject, checkTypeAndNamespace, initMetadata, nowRfc3339, randomSuffix, specProblems, validateNew } from './objects.js';
import { applyDefaults, mockNode } from './defaults.js';
import { ClusterIpAllocator, defaultService, mergeStringData, updateCauses } from './update-rules.js';
import { PATCH_TYPES, jsonPatch, mergePatch, strategicMerge } from './patch.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { NamespaceController } from './controllers/namespace.js';
import { PodTermination } from './controllers/pod-termination.js';
import { BackgroundTasks } from './background.js';
import { afterCreate, afterUpdate, apply as applyOwnership, removeAt, type ManagedFieldsEntry } from './managed-fields.js';

export { CONTINUE_EXPIRED, type ListOptions, type ListResult } from './list.js';

/** ApiOptions tunes storage and the simulated kubelet's deletion. */
export interface ApiOptions {
  /** Events kept for watches resuming from a resourceVersion (default 10000). */
  watchHistory?: number;
  /** How long the simulated kubelet takes to stop a gracefully deleted pod, in ms (capped by the grace period; default 50). */
  podTerminationMs?: number;
}

/** DeleteOptions are the options of a DELETE (query and body merged). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Dry run: everything is checked and the would-be result returned, nothing is stored. */
  dryRun?: boolean;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const NS_ID = '/namespaces';

function clone(s: StoredObject): KubeObject {
  return JSON.parse(s.json) as KubeObject;
}

/** unstored returns the would-be successor of `s` holding `obj`, with none of `s`'s cached forms (a dry run's answer: never spread a StoredObject, its cached length and views belong to its own JSON). */
function unstored(s: StoredObject, obj: KubeObject): StoredObject {
  return { key: s.key, resourceId: s.resourceId, rv: s.rv, obj, json: JSON.stringify(obj) };
}

/** MockApi implements every resource verb; it is single-threaded and all methods are synchronous. */
export class MockApi {
  readonly registry = new ResourceRegistry();
  readonly store: Store;
  /** The garbage collector: dependents of deleted owners, and the orphan and foregroundDeletion finalizers. */
  readonly gc: GarbageCollector;
  /** The namespace controller: empties a Terminating namespace, then removes it. */
  readonly namespaces: NamespaceController;
  /** The simulated kubelet's end of a graceful pod deletion. */
  readonly podTermination: PodTermination;
  private readonly background = new BackgroundTasks();
  private readonly clusterIps = new ClusterIpAllocator();

  constructor(options: ApiOptions = {}) {
    this.store = new Store(options.watchHistory ?? 10000);
    this.gc = new GarbageCollector(this);
    this.namespaces = new NamespaceController(this);
    this.podTermination = new PodTermination(this, options.podTerminationMs ?? 50);
    const nsInfo = this.registry.get('', 'v1', 'namespaces')!;
    for (const ns of DEFAULT_NAMESPACES) this.create(nsInfo, '', { metadata: { name: ns } });
    this.create(this.registry.get('', 'v1', 'nodes')!, '', mockNode());
    for (const ns of DEFAULT_NAMESPACES) {
      this.create(this.registry.get('', 'v1', 'serviceaccounts')!, ns, { metadata: { name: 'default' } });
    }
  }

  /** later runs `fn` after `ms` (ms) on this thread unless the API was closed (the controllers' and the simulation's timers). */
  later(ms: number, fn: () => void): void {
    this.background.later(ms, fn);
  }

  /** close stops every pending timer (lifecycle, deletions, controllers). */
  close(): void {
    this.background.close();
  }

  /** view returns a stored object in the form of `info`'s API (itself, unless `info` views another type's storage; converted forms are cached on the stored version). */
  view(info: ResourceInfo, s: StoredObject): StoredObject {
    const v = info.view;
    if (!v) return s;
    const cache = (s.views ??= {});
    let out = cache[info.apiVersion];
    if (!out) {
      const obj = v.fromStorage(s.obj);
      out = cache[info.apiVersion] = { key: s.key, resourceId: s.resourceId, rv: s.rv, obj, json: JSON.stringify(obj) };
    }
    return out;
  }

  /** apiForm returns a mutable copy of a stored object in `info`'s API form. */
  private apiForm(info: ResourceInfo, s: StoredObject): KubeObject {
    return info.view ? (JSON.parse(this.view(info, s).json) as KubeObject) : clone(s);
  }

  /** storageInfo returns the type whose storage `info` uses (itself unless it is a view). */
  private storageInfo(info: ResourceInfo): ResourceInfo {
    return info.view ? (this.infoById(info.id) ?? info) : info;
  }

  /** resolve returns the type at group/version/resource or throws 404. */
  resolve(group: string, version: string, resource: string): ResourceInfo {
    const info = this.registry.get(group, version, resource);
    if (!info) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    return info;
  }

  private requireNamespace(info: ResourceInfo, namespace: string, creating: boolean): void {
    if (!info.namespaced) return;
    const ns = this.store.get(NS_ID, namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (creating && ns.obj.metadata.deletionTimestamp) {
      throw new StatusError(403, 'Forbidden', `${info.resource} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        kind: info.resource,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /** get returns one object or throws 404. */
  get(info: ResourceInfo, namespace: string, name: string): StoredObject {
    const s = this.store.get(info.id, objectKey(info.namespaced ? namespace : '', name));
    if (!s) throw notFound(info.resource, info.group, name);
    return s;
  }

  /**
   * list returns one page of matching objects (all namespaces when `namespace` is empty); later pages show
   * the first page's resourceVersion (see ./list.ts).
   */
  list(info: ResourceInfo, namespace: string, opts: ListOptions = {}): ListResult {
    return listObjects(this.store, info, namespace, opts);
  }

  /** create stores a new object (422/409/404 on invalid, existing, or missing namespace). */
  create(info: ResourceInfo, namespace: string, body: unknown, dryRun = false, manager?: string, operation: 'Apply' | 'Update' = 'Update'): StoredObject {
    let obj = asObject(body, info);
    const apiVersion = info.apiVersion;
    checkTypeAndNamespace(info, obj, namespace);
    if (info.view) {
      obj = info.view.toStorage(obj);
      info = this.storageInfo(info);
    }
    const ns = info.namespaced ? namespace || obj.metadata.namespace || '' : '';
    if (info.namespaced && !ns) throw badRequest('the namespace of the object must be set for a namespaced resource');
    const generated = initMetadata(info, obj, ns);
    validateNew(info, obj);
    this.requireNamespace(info, ns, true);
    let key = objectKey(ns, obj.metadata.name!);
    // Like kube-apiserver (RetryGenerateName), a generated name that collides is drawn again a few times.
    for (let attempt = 0; attempt < 8 && generated && this.store.get(info.id, key); attempt++) {
      obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
      key = objectKey(ns, obj.metadata.name);
    }
    if (this.store.get(info.id, key)) throw alreadyExists(info.resource, info.group, obj.metadata.name!);
    if (manager) {
      const mf = afterCreate(obj, manager, operation, apiVersion, nowRfc3339());
      if (mf.length) obj.metadata.managedFields = mf;
      else delete obj.metadata.managedFields;
    }
    applyDefaults(info, obj);
    if (info.id === '/secrets') mergeStringData(obj);
    else if (info.id === '/services') defaultService(obj, this.clusterIps);
    if (info.id === CRD_ID) validateCrd(obj);
    if (dryRun) return { key, resourceId: info.id, rv: this.store.rv, obj, json: JSON.stringify(obj) };
    const stored = this.store.put(info.id, key, obj, 'ADDED');
    if (info.id === CRD_ID) this.registerCrd(obj);
    return stored;
  }

  /** update replaces an object (PUT), or only its status when `subresource` is `status`. */
  update(info: ResourceInfo, namespace: string, name: string, body: unknown, subresource = '', dryRun = false, manager?: string): StoredObject {
    const obj = asObject(body, info);
    checkTypeAndNamespace(info, obj, namespace);
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    const existing = this.get(info, namespace, name);
    const fields = manager ? { manager, apiVersion: info.apiVersion } : undefined;
    if (info.view) return this.write(this.storageInfo(info), existing, info.view.toStorage(obj), subresource, dryRun, fields);
    return this.write(info, existing, obj, subresource, dryRun, fields);
  }

  /**
   * write turns `next` (a full new object) into the stored successor of `existing`, enforcing update
   * rules. managedFields stay as they were, unless `fields` names the manager of this update (its
   * changes become its fields) or gives the new entries outright (server-side apply).
   */
  private write(info: ResourceInfo, existing: StoredObject, next: KubeObject, subresource: string, dryRun: boolean, fields?: { manager: string; apiVersion: string } | { managedFields: ManagedFieldsEntry[] }): StoredObject {
    const old = existing.obj;
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
      throw conflict(info.resource, info.group, old.metadata.name!);
    }
    let out: KubeObject;
    if (subresource === 'status') {
      out = clone(existing);
      if (next.status === undefined) delete out.status;
      else out.status = next.status;
    } else if (subresource) {
      throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${info.resource}/${subresource})`);
    } else {
      out = next;
      const m = out.metadata;
      const om = old.metadata;
      m.name = om.name;
      if (om.namespace) m.namespace = om.namespace;
      m.uid = om.uid;
      m.creationTimestamp = om.creationTimestamp;
      if (om.deletionTimestamp) {
        m.deletionTimestamp = om.deletionTimestamp;
        m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
      } else {
        delete m.deletionTimestamp;
        delete m.deletionGracePeriodSeconds;
      }
      if (!m.generateName) delete m.generateName;
      if (om.generateName && m.generateName === undefined) m.generateName = om.generateName;
      if (fields && 'managedFields' in fields) {
        if (fields.managedFields.length) m.managedFields = fields.managedFields;
        else delete m.managedFields;
      } else if (om.managedFields) m.managedFields = om.managedFields;
      else delete m.managedFields;
      out.apiVersion = info.apiVersion;
      out.kind = info.kind;
      if (info.subresources.includes('status')) {
        if (old.status === undefined) delete out.status;
        else out.status = old.status;
      }
      if (om.generation !== undefined || out.spec !== undefined) {
        const changed = !jsonEqual(out.spec, old.spec);
        m.generation = (om.generation ?? 0) + (changed ? 1 : 0);
        if (m.generation === 0) m.generation = 1;
      }
      const causes = [...updateCauses(info, old, out), ...specProblems(info, out)];
      if (causes.length) throw invalid(info.kind, info.group, om.name!, causes);
      if (info.id === CRD_ID) validateCrd(out);
    }
    out.metadata.resourceVersion = old.metadata.resourceVersion;
    // A write that changes nothing is a no-op: no new resourceVersion, no watch event (as kube-apiserver does).
    if (jsonEqual(out, old)) return existing;
    if (fields && 'manager' in fields && !subresource) {
      const mf = afterUpdate(old, out, fields.manager, fields.apiVersion, nowRfc3339());
      if (mf.length) out.metadata.managedFields = mf;
      else delete out.metadata.managedFields;
    }
    if (dryRun) return unstored(existing, out);
    if (out.metadata.deletionTimestamp && !(out.metadata.finalizers && out.metadata.finalizers.length)) {
      return this.finish(info, existing.key) ?? existing;
    }
    const stored = this.store.put(info.id, existing.key, out, 'MODIFIED');
    if (info.id === CRD_ID) this.registerCrd(out);
    if (out.metadata.deletionTimestamp) this.later(0, () => this.gc.runFinalizers(info, existing.key));
    return stored;
  }

  /** updateScale sets spec.replicas from a Scale body (its resourceVersion, when set, is a precondition) and returns the stored object. */
  updateScale(info: ResourceInfo, namespace: string, name: string, body: unknown, dryRun = false): StoredObject {
    const existing = this.get(info, namespace, name);
    const scale = body as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } } | null;
    const replicas = scale?.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer`, field: 'spec.replicas' }]);
    }
    const next = clone(existing);
    (next.spec as Record<string, unknown>).replicas = replicas;
    next.metadata.resourceVersion = scale?.metadata?.resourceVersion || existing.obj.metadata.resourceVersion;
    return this.write(info, existing, next, '', dryRun);
  }

  /** patch applies a PATCH body of `contentType`; apply-patch creates the object when missing. */
  patch(
    info: ResourceInfo,
    namespace: string,
    name: string,
    contentType: string,
    raw: string,
    opts: { subresource?: string; fieldManager?: string | null; dryRun?: boolean; force?: boolean; defaultManager?: string } = {},
  ): { stored: StoredObject; created: boolean } {
    const type = contentType.split(';')[0]!.trim().toLowerCase();
    if (!(PATCH_TYPES as readonly string[]).includes(type)) throw unsupportedMediaType(contentType);
    if (type === 'application/strategic-merge-patch+json' && !info.builtin) {
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    }
    let body: unknown;
    try {
      if (type !== 'application/apply-patch+yaml' && jsonDepthExceeded(raw)) throw tooDeep();
      body = type === 'application/apply-patch+yaml' ? parseYaml(raw) : JSON.parse(raw);
      if (type === 'application/apply-patch+yaml' && valueDepthExceeded(body)) throw tooDeep();
    } catch (err) {
      if (err instanceof StatusError) throw err;
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    const sub = opts.subresource ?? '';
    if (type === 'application/apply-patch+yaml') {
      if (!opts.fieldManager) {
        throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
      }
      const applied = asObject(body, info);
      checkTypeAndNamespace(info, applied, namespace);
      if (applied.metadata.name && applied.metadata.name !== name) {
        throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
      }
      delete applied.metadata.managedFields;
      const existing = this.store.get(info.id, objectKey(info.namespaced ? namespace : '', name));
      if (!existing) {
        applied.metadata.name = name;
        return { stored: this.create(info, namespace, applied, opts.dryRun, opts.fieldManager, 'Apply'), created: true };
      }
      const live = this.apiForm(info, existing);
      const owners = applyOwnership(live, applied, opts.fieldManager, info.apiVersion, nowRfc3339(), !!opts.force, { resource: info.resource, group: info.group, name });
      let merged = (info.builtin ? strategicMerge(live, applied) : mergePatch(live, applied)) as KubeObject;
      // Fields this manager applied before, no longer applies, and nobody else owns are removed.
      for (const p of owners.remove) removeAt(merged, p);
      if (info.view) merged = info.view.toStorage(merged);
      if (applied.metadata.resourceVersion === undefined) merged.metadata.resourceVersion = existing.obj.metadata.resourceVersion;
      return { stored: this.write(this.storageInfo(info), existing, merged, sub, !!opts.dryRun, { managedFields: owners.managedFields }), created: false };
    }
    const existing = this.get(info, namespace, name);
    if (sub === 'scale') {
      const cur = scaleOf(existing);
      const next = type === 'application/json-patch+json' ? jsonPatch(cur, body) : type === 'application/merge-patch+json' ? mergePatch(cur, body) : strategicMerge(cur, body);
      return { stored: this.updateScale(info, namespace, name, next, !!opts.dryRun), created: false };
    }
    let patched: unknown;
    const current = this.apiForm(info, existing);
    if (type === 'application/json-patch+json') patched = jsonPatch(current, body);
    else if (type === 'application/merge-patch+json') patched = mergePatch(current, body);
    else patched = strategicMerge(current, body);
    let next = asObject(patched, info);
    if (info.view) next = info.view.toStorage(next);
    const patchRv = (body as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
    if (type !== 'application/json-patch+json' && patchRv === undefined) next.metadata.resourceVersion = existing.obj.metadata.resourceVersion;
    const manager = opts.fieldManager || opts.defaultManager;
    return { stored: this.write(this.storageInfo(info), existing, next, sub, !!opts.dryRun, manager ? { manager, apiVersion: info.apiVersion } : undefined), created: false };
  }

  /** delete removes an object, or marks it with deletionTimestamp while finalizers or a pod's grace period hold it. */
  delete(info: ResourceInfo, namespace: string, name: string, opts: DeleteOptions = {}): StoredObject {
    const existing = this.get(info, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== existing.obj.metadata.uid) {
      throw new StatusError(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.obj.metadata.uid}`, { name, kind: info.resource });
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.obj.metadata.resourceVersion) {
      throw new StatusError(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.obj.metadata.resourceVersion}`, { name, kind: info.resource });
    }
    const obj = clone(existing);
    const m = obj.metadata;
    const finalizers = m.finalizers ? [...m.finalizers] : [];
    const policy = opts.propagationPolicy;
    if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw invalid('DeleteOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueNotSupported', message: `Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`, field: 'propagationPolicy' }]);
    }
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    let graceSeconds = 0;
    if (info.id === '/pods') {
      const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
      const phase = (obj.status as { phase?: string } | undefined)?.phase;
      graceSeconds = opts.gracePeriodSeconds ?? spec?.terminationGracePeriodSeconds ?? 30;
      if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') graceSeconds = 0;
      if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined) graceSeconds = Math.min(graceSeconds, m.deletionGracePeriodSeconds);
    }
    if (info.id === NS_ID) {
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = nowRfc3339();
        m.deletionGracePeriodSeconds = 0;
        obj.status = { phase: 'Terminating' };
        if (opts.dryRun) return unstored(existing, obj);
        const stored = this.store.put(info.id, existing.key, obj, 'MODIFIED');
        this.later(0, () => this.namespaces.terminate(name));
        return stored;
      }
      return existing;
    }
    if (finalizers.length === 0 && graceSeconds === 0) {
      return opts.dryRun ? existing : (this.finish(info, existing.key) ?? existing);
    }
    if (!m.deletionTimestamp || graceSeconds < (m.deletionGracePeriodSeconds ?? Infinity)) {
      m.deletionTimestamp = nowRfc3339(Date.now() + graceSeconds * 1000);
      m.deletionGracePeriodSeconds = graceSeconds;
    }
    m.finalizers = finalizers.length ? finalizers : undefined;
    if (!m.finalizers) delete m.finalizers;
    if (opts.dryRun) return unstored(existing, obj);
    const stored = this.store.put(info.id, existing.key, obj, 'MODIFIED');
    if (graceSeconds > 0) this.podTermination.podDeleting(info, existing.key, obj, graceSeconds);
    if (finalizers.length) this.later(0, () => this.gc.runFinalizers(info, existing.key));
    return stored;
  }

  /** deleteCollection deletes every object matching the list options, returning the deleted (or terminating) objects. */
  deleteCollection(info: ResourceInfo, namespace: string, list: ListOptions, opts: DeleteOptions = {}): StoredObject[] {
    const out: StoredObject[] = [];
    for (const s of this.list(info, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector }).items) {
      try {
        out.push(this.delete(info, s.obj.metadata.namespace ?? '', s.obj.metadata.name!, opts));
      } catch (err) {
        if (!(err instanceof StatusError && err.httpStatus === 404)) throw err;
      }
    }
    return out;
  }

  /** finish removes the object for good and garbage-collects its dependents in the background. */
  finish(info: ResourceInfo, key: string): StoredObject | undefined {
    const gone = this.store.remove(info.id, key);
    if (!gone) return undefined;
    if (info.id === CRD_ID) this.unregisterCrd(gone.obj);
    const uid = gone.obj.metadata.uid!;
    if (this.store.dependents(uid).length) this.later(0, () => this.gc.collectDependents(uid));
    return gone;
  }

  /** infoById returns the preferred (first registered) type stored under `resourceId`. */
  infoById(resourceId: string): ResourceInfo | undefined {
    return this.registry.all().find((r) => r.id === resourceId);
  }

  private registerCrd(obj: KubeObject): void {
    for (const info of crdResourceInfos(obj)) this.registry.add(info);
  }

  private unregisterCrd(obj: KubeObject): void {
    for (const info of crdResourceInfos(obj)) this.registry.remove(info.group, info.version, info.resource);
    const spec = obj.spec as { group: string; names: { plural: string } };
    this.store.dropType(`${spec.group}/${spec.names.plural}`);
  }
}

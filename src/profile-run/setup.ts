/**
 * A profile run's setup and cleanup against its target: the namespace, the setup objects (CRDs among
 * them), the resources every step and measurement uses; at the end, every object labelled with the run
 * deleted from each resource the run created objects of, then the namespace it created. A plain run does
 * both itself; a distributed run's coordinator does both once for all its shards. Main thread.
 */
import type { Profile, Step } from '../profile/types.js';
import { RUN_LABEL } from '../profile/types.js';
import type { ResourceRef } from '../profile/resource-ref.js';
import { formatResource } from '../profile/resource-ref.js';
import { compileTemplates } from '../profile/compile.js';
import type { Discovery } from '../kube/discovery.js';
import { ResourcePaths, type ResourceInfo } from '../kube/resource.js';
import { send, type DispatchFn } from '../kube/send.js';
import { createRequest, deleteCollectionRequest } from '../kube/requests.js';
import { TargetError } from '../errors.js';
import { resourceKey } from './profile-task.js';

/** SetupState is what setup made and resolved: resources by resourceKey, the resources the run creates objects of, and whether it created the namespace. */
export interface SetupState {
  resources: Record<string, ResourceInfo>;
  created: Map<string, ResourceInfo>;
  createdNamespace: boolean;
}

/** SetupTarget is how setup and cleanup reach the API server. */
export interface SetupTarget {
  dispatch: DispatchFn;
  pathPrefix: string;
  runId: string;
}

/** stepRefs lists every resource a profile's steps and measurements touch. */
function stepRefs(profile: Profile): ResourceRef[] {
  const refs: ResourceRef[] = [];
  for (const ph of profile.phases) for (const c of ph.components) for (const s of c.steps) if ('resource' in s) refs.push((s as Step & { resource: ResourceRef }).resource);
  for (const m of profile.measure) refs.push(m.resource);
  return refs;
}

async function resolveRef(d: Discovery, ref: ResourceRef): Promise<ResourceInfo> {
  if (ref.kind && ref.version) return d.resolveKind(ref.group ? `${ref.group}/${ref.version}` : ref.version, ref.kind);
  return d.resolve(formatResource({ resource: ref.resource, group: ref.group }));
}

/**
 * setupRun creates the namespace (when the profile asks) and the setup objects unless `setup` is false
 * (a shard), then resolves every resource the steps use (waiting briefly for CRDs to be served).
 */
export async function setupRun(profile: Profile, o: SetupTarget & { discovery: Discovery; setup: boolean }): Promise<SetupState> {
  const { dispatch, discovery, pathPrefix, runId } = o;
  const resources: Record<string, ResourceInfo> = {};
  const created = new Map<string, ResourceInfo>();
  let createdNamespace = false;
  const ns = profile.target.namespace;
  if (o.setup && profile.target.createNamespace) {
    const r = await send(dispatch, createRequest(new ResourcePaths({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false }, pathPrefix), '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { [RUN_LABEL]: runId } },
    }));
    if (r.status !== 201 && r.status !== 409) throw new TargetError(`cannot create namespace ${ns}: ${r.status} ${r.body.toString().slice(0, 200)}`);
    createdNamespace = r.status === 201;
  }
  if (o.setup) {
    const scope = { runId, profile: profile.name, phase: 'setup', component: 'setup', iteration: 0, worker: 0, namespace: ns, objects: {} };
    for (const obj of compileTemplates(profile.setup)) {
      const info = await resolveRef(discovery, obj.resource);
      const r = await send(dispatch, createRequest(new ResourcePaths(info, pathPrefix), obj.namespace(scope), obj.manifest(scope)));
      if (r.status !== 201 && r.status !== 409) throw new TargetError(`setup: cannot create ${formatResource(obj.resource)}: ${r.status} ${r.body.toString().slice(0, 300)}`);
      if (r.status === 201) created.set(resourceKey(obj.resource), info);
      if (info.resource === 'customresourcedefinitions') discovery.invalidate();
    }
  }
  for (const ref of stepRefs(profile)) {
    const key = resourceKey(ref);
    if (resources[key]) continue;
    // A CRD created in setup may take a moment to be served.
    for (let attempt = 0; ; attempt++) {
      try {
        resources[key] = await resolveRef(discovery, ref);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        discovery.invalidate();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  for (const ph of profile.phases) for (const c of ph.components) for (const s of c.steps) if (s.kind === 'create') created.set(resourceKey(s.resource), resources[resourceKey(s.resource)]!);
  return { resources, created, createdNamespace };
}

/** cleanupRun deletes every object labelled with the run from each resource it created objects of, then the namespace it created; request failures are ignored (unbounded: the caller bounds it). */
export async function cleanupRun(profile: Profile, state: SetupState, o: SetupTarget): Promise<void> {
  const ns = profile.target.namespace;
  for (const info of state.created.values()) {
    const paths = new ResourcePaths(info, o.pathPrefix);
    await send(o.dispatch, deleteCollectionRequest(paths, info.namespaced ? ns : '', { labelSelector: `${RUN_LABEL}=${o.runId}`, gracePeriodSeconds: 0 })).catch(() => {});
  }
  if (state.createdNamespace) {
    await send(o.dispatch, { method: 'DELETE', path: `${o.pathPrefix}/api/v1/namespaces/${encodeURIComponent(ns)}`, headers: { accept: 'application/json' } }).catch(() => {});
  }
}

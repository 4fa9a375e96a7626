/**
 * The resource types the mock serves: the built-in table, and a registry that CRDs extend at run time.
 */
import type { KubeObject } from './store.js';
import { coreFromEvents, eventsFieldPath, eventsFromCore } from './event-view.js';

/** ResourceInfo describes one served resource type (one group/version/resource). */
export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural lower-case name used in paths, e.g. `pods`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Subresources served, e.g. `status`, `log`, `exec`, `eviction`. */
  subresources: string[];
  /** `group/version` or `version` for the core group. */
  apiVersion: string;
  /** Stable storage id `group/resource` (storage is shared between versions, and between APIs that view one storage). */
  id: string;
  /** The API's own `group/resource` (selectors, tables); equals `id` unless the type is a view of another type's storage. */
  apiId: string;
  /** For a view of another API's storage (events.k8s.io Events over core Events): conversions to and from the stored form. */
  view?: ResourceView;
  /** Whether the type is compiled into Kubernetes (strategic merge patch is supported). */
  builtin: boolean;
}

/** ResourceView converts between a type's API form and the stored form of the type whose storage it shares. */
export interface ResourceView {
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
  /** Maps a field selector path of this API to the stored form's path. */
  fieldPath(path: string[]): string[];
}

/** VERBS are the verbs every mock resource supports. */
export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

type Spec = [group: string, version: string, resource: string, kind: string, namespaced: boolean, shortNames: string[], subresources: string[]];

const BUILTIN: Spec[] = [
  ['', 'v1', 'namespaces', 'Namespace', false, ['ns'], ['status']],
  ['', 'v1', 'pods', 'Pod', true, ['po'], ['status', 'log', 'exec', 'attach', 'eviction', 'proxy']],
  ['', 'v1', 'configmaps', 'ConfigMap', true, ['cm'], []],
  ['', 'v1', 'secrets', 'Secret', true, [], []],
  ['', 'v1', 'services', 'Service', true, ['svc'], ['status']],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa'], ['token']],
  ['', 'v1', 'events', 'Event', true, ['ev'], []],
  ['', 'v1', 'nodes', 'Node', false, ['no'], ['status']],
  ['events.k8s.io', 'v1', 'events', 'Event', true, ['ev'], []],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', true, [], []],
  ['apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['status', 'scale']],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], ['status', 'scale']],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], ['status', 'scale']],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], ['status']],
  ['batch', 'v1', 'jobs', 'Job', true, [], ['status']],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['crd', 'crds'], ['status']],
  ['authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, [], []],
  ['authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, [], []],
  ['authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, [], []],
  ['authentication.k8s.io', 'v1beta1', 'selfsubjectreviews', 'SelfSubjectReview', false, [], []],
  ['authentication.k8s.io', 'v1alpha1', 'selfsubjectreviews', 'SelfSubjectReview', false, [], []],
];

const ARGO: Spec[] = [
  ['argoproj.io', 'v1alpha1', 'workflows', 'Workflow', true, ['wf'], ['status']],
  ['argoproj.io', 'v1alpha1', 'workflowtemplates', 'WorkflowTemplate', true, ['wftmpl'], []],
  ['argoproj.io', 'v1alpha1', 'cronworkflows', 'CronWorkflow', true, ['cwf', 'cronwf'], []],
  ['argoproj.io', 'v1alpha1', 'workflowtaskresults', 'WorkflowTaskResult', true, [], []],
  ['argoproj.io', 'v1alpha1', 'clusterworkflowtemplates', 'ClusterWorkflowTemplate', false, ['clusterwftmpl', 'cwft'], []],
  ['argoproj.io', 'v1alpha1', 'workflowtasksets', 'WorkflowTaskSet', true, ['wfts'], ['status']],
  ['argoproj.io', 'v1alpha1', 'workflowartifactgctasks', 'WorkflowArtifactGCTask', true, ['wfat'], ['status']],
];

/** makeResourceInfo fills in the derived fields of a resource type. */
export function makeResourceInfo(
  r: Omit<ResourceInfo, 'apiVersion' | 'id' | 'apiId' | 'listKind' | 'singular'> & { listKind?: string; singular?: string; storageId?: string },
): ResourceInfo {
  const { storageId, ...rest } = r;
  const apiId = `${r.group}/${r.resource}`;
  return {
    ...rest,
    singular: r.singular ?? r.kind.toLowerCase(),
    listKind: r.listKind ?? `${r.kind}List`,
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
    id: storageId ?? apiId,
    apiId,
  };
}

/** EVENTS_VIEW makes events.k8s.io/v1 Events a view of the core v1 Events' storage. */
const EVENTS_VIEW: ResourceView = { toStorage: coreFromEvents, fromStorage: eventsFromCore, fieldPath: eventsFieldPath };

function fromSpec([group, version, resource, kind, namespaced, shortNames, subresources]: Spec, builtin: boolean): ResourceInfo {
  if (group === 'events.k8s.io' && resource === 'events') {
    return makeResourceInfo({ group, version, resource, kind, namespaced, shortNames, subresources, builtin, storageId: '/events', view: EVENTS_VIEW });
  }
  return makeResourceInfo({ group, version, resource, kind, namespaced, shortNames, subresources, builtin });
}

/** ResourceRegistry maps group/version/resource to its type; `version` bumps whenever a type is added or removed. */
export class ResourceRegistry {
  private readonly byGvr = new Map<string, ResourceInfo>();
  /** Increments on every change, so cached discovery documents know when to rebuild. */
  version = 0;

  constructor() {
    for (const s of BUILTIN) this.add(fromSpec(s, true));
    for (const s of ARGO) this.add(fromSpec(s, false));
  }

  /** add registers (or replaces) a resource type. */
  add(info: ResourceInfo): void {
    this.byGvr.set(`${info.group}/${info.version}/${info.resource}`, info);
    this.version++;
  }

  /** remove unregisters a resource type; returns whether it existed. */
  remove(group: string, version: string, resource: string): boolean {
    const ok = this.byGvr.delete(`${group}/${version}/${resource}`);
    if (ok) this.version++;
    return ok;
  }

  /** get returns the type served at group/version/resource, if any. */
  get(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  /** all lists every registered type in registration order. */
  all(): ResourceInfo[] {
    return [...this.byGvr.values()];
  }

  /** groupVersions lists each group with its versions, core group first. */
  groupVersions(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.byGvr.values()) {
      const vs = out.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      out.set(r.group, vs);
    }
    return out;
  }
}

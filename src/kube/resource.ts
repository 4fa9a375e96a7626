/**
 * A resolved API resource (group, version, plural name, kind, scope) and its request paths,
 * precomputed once so building a request costs a string concatenation.
 */

/** ResourceInfo identifies an API resource as discovery describes it. */
export interface ResourceInfo {
  /** API group, '' for the core group. */
  group: string;
  version: string;
  /** Plural resource name, e.g. `pods`. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Verbs the server allows, when discovery said so. */
  verbs?: readonly string[];
  /** Subresources the server serves (e.g. `status`, `log`, `exec`), when discovery said so. */
  subresources?: readonly string[];
}

/** apiVersionOf returns `v1` or `group/version`. */
export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** groupVersionPath returns `/api/v1` or `/apis/<group>/<version>` under `pathPrefix`. */
export function groupVersionPath(group: string, version: string, pathPrefix = ''): string {
  return group ? `${pathPrefix}/apis/${group}/${version}` : `${pathPrefix}/api/${version}`;
}

/** ResourcePaths builds the URL paths of one resource; namespace prefixes are cached (not thread-shared; create one per thread). */
export class ResourcePaths {
  /** `/api/v1` or `/apis/<g>/<v>` with the server's path prefix. */
  readonly base: string;
  /** Collection path across all namespaces (or of a cluster-scoped resource). */
  readonly all: string;
  private readonly byNamespace = new Map<string, string>();

  constructor(
    readonly info: ResourceInfo,
    pathPrefix = '',
  ) {
    this.base = groupVersionPath(info.group, info.version, pathPrefix);
    this.all = `${this.base}/${info.resource}`;
  }

  /** collection returns the collection path in `namespace` (ignored for cluster-scoped resources; '' means all namespaces). */
  collection(namespace = ''): string {
    if (!this.info.namespaced || !namespace) return this.all;
    let p = this.byNamespace.get(namespace);
    if (p === undefined) {
      p = `${this.base}/namespaces/${encodeURIComponent(namespace)}/${this.info.resource}`;
      if (this.byNamespace.size < 10_000) this.byNamespace.set(namespace, p);
    }
    return p;
  }

  /** item returns the path of the object `name` (optionally its `subresource`, e.g. `status`, `log`, `exec`). */
  item(namespace: string, name: string, subresource?: string): string {
    const p = `${this.collection(namespace)}/${encodeURIComponent(name)}`;
    return subresource ? `${p}/${subresource}` : p;
  }
}

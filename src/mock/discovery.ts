/**
 * Discovery documents kubectl needs (/version, /api, /apis, /api/v1, /apis/<group>/<version>),
 * serialized once per registry version.
 */
import { VERBS, type ResourceRegistry } from './resources.js';
import { REVIEW_IDS } from './access-review.js';

/** VERSION_INFO is what /version returns. */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-racerig-mock',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** ALL_CATEGORY lists the types `kubectl get all` shows (as kube-apiserver puts them in category "all"). */
const ALL_CATEGORY = new Set(['/pods', '/services', 'apps/deployments', 'apps/replicasets', 'apps/statefulsets', 'apps/daemonsets', 'batch/jobs']);

/** Discovery caches the discovery documents of a registry and rebuilds them when it changes. */
export class Discovery {
  private builtFor = -1;
  private docs = new Map<string, string>();

  constructor(private readonly registry: ResourceRegistry) {}

  /** document returns the JSON of the discovery document at `path`, or undefined when it is not one. */
  document(path: string): string | undefined {
    if (this.builtFor !== this.registry.version) this.build();
    return this.docs.get(path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path);
  }

  private build(): void {
    const docs = new Map<string, string>();
    const all = this.registry.all();
    docs.set('/version', JSON.stringify(VERSION_INFO));
    docs.set('/api', JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] }));
    const groups = [];
    for (const [group, versions] of this.registry.groupVersions()) {
      if (!group) continue;
      const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
      groups.push({ name: group, versions: vs, preferredVersion: vs[0] });
    }
    docs.set('/apis', JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups }));
    for (const g of groups) docs.set(`/apis/${g.name}`, JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...g }));
    const lists = new Map<string, unknown[]>();
    for (const r of all) {
      const gv = r.apiVersion;
      const list = lists.get(gv) ?? [];
      list.push({
        name: r.resource,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: REVIEW_IDS.has(r.id) ? ['create'] : r.id === '/namespaces' ? VERBS.filter((v) => v !== 'deletecollection') : [...VERBS],
        shortNames: r.shortNames.length ? r.shortNames : undefined,
        categories: ALL_CATEGORY.has(r.id) ? ['all'] : undefined,
      });
      for (const sub of r.subresources) {
        const verbs = sub === 'status' || sub === 'scale' ? ['get', 'patch', 'update'] : sub === 'eviction' || sub === 'token' ? ['create'] : sub === 'exec' || sub === 'attach' ? ['create', 'get'] : sub === 'proxy' ? ['create', 'delete', 'get', 'patch', 'update'] : ['get'];
        const kind = sub === 'eviction' ? 'Eviction' : sub === 'token' ? 'TokenRequest' : sub === 'exec' ? 'PodExecOptions' : sub === 'attach' ? 'PodAttachOptions' : sub === 'proxy' ? 'PodProxyOptions' : sub === 'log' ? 'Pod' : sub === 'scale' ? 'Scale' : r.kind;
        list.push({ name: `${r.resource}/${sub}`, singularName: '', namespaced: r.namespaced, kind, verbs });
      }
      lists.set(gv, list);
    }
    for (const [gv, resources] of lists) {
      const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
      docs.set(path, JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources }));
    }
    this.docs = docs;
    this.builtFor = this.registry.version;
  }
}

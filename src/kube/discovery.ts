/**
 * Discovery: resolves resource names (`pods`, `deployments.apps`, `workflows.argoproj.io`, short names,
 * kinds) and manifest apiVersion+kind to ResourceInfo through /api, /apis and /apis/<g>/<v>, with
 * every document fetched at most once until `invalidate`.
 */
import type { RigDispatchOptions } from '../http/request-options.js';
import { TargetError } from '../errors.js';
import { groupVersionPath, type ResourceInfo } from './resource.js';
import { sendJson, type DispatchFn } from './send.js';

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
}
interface GroupVersionDoc {
  resources: ApiResource[];
}
interface GroupList {
  groups: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[];
}

const VERSION_RE = /^v\d+((alpha|beta)\d+)?$/;

/** DiscoveryOptions configure where discovery sends its requests. */
export interface DiscoveryOptions {
  dispatch: DispatchFn;
  /** Server path prefix (KubeTarget.pathPrefix), default ''. */
  pathPrefix?: string;
  /** Extra dispatch options for every discovery request (e.g. `operation` for metrics). */
  requestOptions?: Partial<RigDispatchOptions>;
}

/** Discovery resolves resources against one API server; not thread-shared (one per thread), concurrent calls share fetches. */
export class Discovery {
  private readonly docs = new Map<string, Promise<ResourceInfo[]>>();
  private groups: Promise<{ name: string; versions: string[]; preferred: string }[]> | undefined;
  private readonly resolved = new Map<string, Promise<ResourceInfo>>();

  constructor(private readonly o: DiscoveryOptions) {}

  /** invalidate forgets every cached document (after creating CRDs). */
  invalidate(): void {
    this.docs.clear();
    this.resolved.clear();
    this.groups = undefined;
  }

  private get(path: string): Promise<unknown> {
    return sendJson(this.o.dispatch, { ...this.o.requestOptions, method: 'GET', path, headers: { accept: 'application/json' } });
  }

  /** groupVersion returns the resources of one group/version (subresources attached to their parents). */
  groupVersion(group: string, version: string): Promise<ResourceInfo[]> {
    const key = `${group}/${version}`;
    let p = this.docs.get(key);
    if (!p) {
      p = (this.get(groupVersionPath(group, version, this.o.pathPrefix)) as Promise<GroupVersionDoc>).then((doc) => toInfos(group, version, doc));
      p.catch(() => this.docs.delete(key));
      this.docs.set(key, p);
    }
    return p;
  }

  /** apiGroups returns every group with its versions, the core group ('') first. */
  apiGroups(): Promise<{ name: string; versions: string[]; preferred: string }[]> {
    this.groups ??= (async () => {
      const [core, named] = await Promise.all([this.get(`${this.o.pathPrefix ?? ''}/api`) as Promise<{ versions: string[] }>, this.get(`${this.o.pathPrefix ?? ''}/apis`) as Promise<GroupList>]);
      const out = [{ name: '', versions: core.versions, preferred: core.versions[0] ?? 'v1' }];
      for (const g of named.groups) {
        const versions = g.versions.map((v) => v.version);
        out.push({ name: g.name, versions, preferred: g.preferredVersion?.version ?? versions[0]! });
      }
      return out;
    })();
    this.groups.catch(() => (this.groups = undefined));
    return this.groups;
  }

  /** resolve finds a resource by name as kubectl accepts it: `pods`, `pod`, `po`, `Pod`, `deployments.apps`, `deployments.v1.apps`. */
  resolve(name: string): Promise<ResourceInfo> {
    let p = this.resolved.get(name);
    if (!p) {
      p = this.lookup(name);
      p.catch(() => this.resolved.delete(name));
      this.resolved.set(name, p);
    }
    return p;
  }

  /** resolveKind finds the resource of a manifest's apiVersion and kind (e.g. `argoproj.io/v1alpha1`, `Workflow`). */
  async resolveKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    let infos: ResourceInfo[];
    try {
      infos = await this.groupVersion(group, version);
    } catch (err) {
      throw new TargetError(`the server does not serve ${apiVersion}: ${(err as Error).message}`, 'is the CRD installed?', err);
    }
    const found = infos.find((r) => r.kind === kind);
    if (!found) throw new TargetError(`the server has no kind ${kind} in ${apiVersion}`, 'is the CRD installed?');
    return found;
  }

  private async lookup(name: string): Promise<ResourceInfo> {
    const dot = name.indexOf('.');
    const res = (dot < 0 ? name : name.slice(0, dot));
    const rest = dot < 0 ? undefined : name.slice(dot + 1);
    const groups = await this.apiGroups();
    const candidates: { group: string; version: string }[] = [];
    if (rest === undefined) {
      for (const g of groups) candidates.push({ group: g.name, version: g.preferred });
    } else {
      const g = groups.find((x) => x.name === rest);
      if (g) candidates.push({ group: g.name, version: g.preferred });
      const vdot = rest.indexOf('.');
      const maybeVersion = vdot < 0 ? rest : rest.slice(0, vdot);
      if (VERSION_RE.test(maybeVersion)) {
        const gname = vdot < 0 ? '' : rest.slice(vdot + 1);
        if (groups.some((x) => x.name === gname && x.versions.includes(maybeVersion))) candidates.push({ group: gname, version: maybeVersion });
      }
    }
    // Exact plural names win over singular, short and kind names, as kubectl's RESTMapper does.
    const docs = await Promise.all(candidates.map((c) => this.groupVersion(c.group, c.version).catch(() => [] as ResourceInfo[])));
    const lower = res.toLowerCase();
    for (const match of [(r: ResourceInfo) => r.resource === lower, (r: ResourceInfo) => ALIASES.get(r)?.includes(lower) === true]) {
      for (const infos of docs) {
        const found = infos.find(match);
        if (found) return found;
      }
    }
    throw new TargetError(`the server doesn't have a resource type "${name}"`, 'check the name (plural, e.g. pods, deployments.apps) and that its CRD is installed');
  }
}

// Singular, kind and short names per resource, kept beside (not in) the ResourceInfo that is sent to workers.
const ALIASES = new WeakMap<ResourceInfo, string[]>();

function toInfos(group: string, version: string, doc: GroupVersionDoc): ResourceInfo[] {
  const out: ResourceInfo[] = [];
  const byName = new Map<string, ResourceInfo & { subresources: string[] }>();
  for (const r of doc.resources ?? []) {
    if (r.name.includes('/')) continue;
    const info = { group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [], subresources: [] as string[] };
    ALIASES.set(info, [r.singularName, r.kind, ...(r.shortNames ?? [])].filter((x): x is string => Boolean(x)).map((x) => x.toLowerCase()));
    byName.set(r.name, info);
    out.push(info);
  }
  for (const r of doc.resources ?? []) {
    const slash = r.name.indexOf('/');
    if (slash >= 0) byName.get(r.name.slice(0, slash))?.subresources.push(r.name.slice(slash + 1));
  }
  return out;
}

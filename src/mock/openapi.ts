/**
 * The OpenAPI documents kubectl reads: /openapi/v2 (JSON, or the protobuf form client-go asks for)
 * and /openapi/v3 with one document per group/version, both with the real schemas of the served
 * built-in kinds (openapi-schemas.ts: generated from @kubernetes/client-node's models), the CRDs'
 * own openAPIV3Schema, and one PATCH operation per kind advertising the `fieldValidation`,
 * `fieldManager`, `dryRun` and `force` parameters (so kubectl validates on the server). Built-in
 * definitions are read once per process; each document is serialized on first request per registry
 * version, gzip-compressed once when a client accepts it, and served with an ETag; a v3 document
 * asked for by its current `hash` is immutable for caches.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRegistry, ResourceInfo } from './resources.js';
import { Definitions, builtinRoot, packageOf, type Schema } from './openapi-schemas.js';
import { encodeSwagger } from './openapi-proto.js';

/** CrdSchemaLookup returns the openAPIV3Schema of a custom resource's version, if its CRD has one. */
export type CrdSchemaLookup = (info: ResourceInfo) => Schema | undefined;

/** The protobuf media type served (Go's mime parser refuses the '@' of the one clients ask for). */
const PROTO_V2 = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const INFO = { title: 'Kubernetes', version: 'v1.32.0' };
const CORE_PKG = 'io.k8s.api.core.v1';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

/** Body is one served representation, serialized on first demand, with its gzip form made on first demand too. */
class Body {
  private bytes: Buffer | undefined;
  private gz: Buffer | undefined;
  private tag: string | undefined;

  constructor(
    private readonly make: () => Buffer,
    readonly contentType: string,
  ) {}

  get raw(): Buffer {
    return (this.bytes ??= this.make());
  }

  get etag(): string {
    return (this.tag ??= `"${createHash('sha256').update(this.raw).digest('hex').slice(0, 32)}"`);
  }

  gzip(): Buffer {
    return (this.gz ??= gzipSync(this.raw));
  }
}

interface Built {
  v2json: Body;
  v2proto: Body;
  v3: Map<string, { body: Body; hash: string }>;
  v3root: Body;
}

/** SHARED_DEFS holds the built-in kinds' definitions, read once per process (they never change; CRDs' go beside them per build). */
let sharedDefs: Definitions | undefined;

function patchParameters(v3: boolean): unknown[] {
  const names = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];
  return names.map((name) => (v3 ? { name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } } : { name, in: 'query', type: name === 'force' ? 'boolean' : 'string', uniqueItems: true }));
}

function gvPath(r: ResourceInfo): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

/** customSchema is the definition of a custom resource: its CRD's schema with the standard apiVersion/kind/metadata, or an open object. */
function customSchema(r: ResourceInfo, lookup: CrdSchemaLookup | undefined, list: boolean): Schema {
  if (list) {
    return {
      type: 'object',
      description: `${r.listKind} is a list of ${r.kind}`,
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: `#/definitions/${LIST_META}` },
        items: { type: 'array', items: { $ref: `#/definitions/${customName(r)}` } },
      },
    };
  }
  const own = lookup?.(r);
  const base: Schema = own && typeof own === 'object' ? structuredClone(own) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const props = (base.properties ??= {}) as Record<string, Schema>;
  props.apiVersion ??= { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
  props.kind ??= { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
  props.metadata = { $ref: `#/definitions/${OBJECT_META}`, description: "Standard object's metadata." };
  base.type ??= 'object';
  return base;
}

function customName(r: ResourceInfo, list = false): string {
  const group = r.group.split('.').reverse().join('.');
  return `${group}.${r.version}.${list ? r.listKind : r.kind}`;
}

/** refsOf collects the definition names a schema refers to. */
function refsOf(s: unknown, out: Set<string>): void {
  if (Array.isArray(s)) for (const x of s) refsOf(x, out);
  else if (s && typeof s === 'object') {
    for (const [k, v] of Object.entries(s)) {
      if (k === '$ref' && typeof v === 'string') out.add(v.slice(v.lastIndexOf('/') + 1));
      else refsOf(v, out);
    }
  }
}

/** toV3 rewrites v2 refs for components, wrapping a ref that has siblings in allOf as kube-apiserver does. */
function toV3(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV3);
  if (!s || typeof s !== 'object') return s;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) o[k] = k === '$ref' ? String(v).replace('#/definitions/', '#/components/schemas/') : toV3(v);
  if (typeof o.$ref === 'string' && Object.keys(o).length > 1) {
    const ref = o.$ref;
    delete o.$ref;
    o.allOf = [{ $ref: ref }];
  }
  return o;
}

/** OpenApi builds and serves the OpenAPI v2 and v3 documents of a registry, rebuilt when the registry changes. */
export class OpenApi {
  private builtFor = -1;
  private built: Built | undefined;
  /** Makes this server's v3 hashes differ from another's at the same registry version. */
  private readonly salt = createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16);

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly crdSchema?: CrdSchemaLookup,
  ) {}

  /** document returns the JSON at an /openapi/v2 or /openapi/v3 path (query ignored), or undefined. */
  document(path: string): string | undefined {
    const b = this.find(path, undefined);
    return b?.raw.toString('utf8');
  }

  /** invalidate makes the next request rebuild the documents (a CRD's schema changed). */
  invalidate(): void {
    this.builtFor = -1;
  }

  /** serve answers a GET of an OpenAPI path (content negotiation, gzip, ETag); returns false when `path` is not one. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const body = this.find(path, req.headers.accept);
    if (!body) return false;
    const headers: Record<string, string | number> = { 'Content-Type': body.contentType, ETag: body.etag, Vary: 'Accept, Accept-Encoding' };
    const hash = new URL(req.url ?? '/', 'http://x').searchParams.get('hash');
    headers['Cache-Control'] = hash && path.startsWith('/openapi/v3/') && `"${hash}"` !== undefined && this.hashOf(path) === hash ? 'public, immutable' : 'no-cache, private';
    if (req.headers['if-none-match'] === body.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const data = gzip ? body.gzip() : body.raw;
    if (gzip) headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = data.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
    return true;
  }

  private hashOf(path: string): string | undefined {
    return this.build().v3.get(path.replace(/\/$/, ''))?.hash;
  }

  private find(path: string, accept: string | undefined): Body | undefined {
    const b = this.build();
    const p = path.endsWith('/') ? path.slice(0, -1) : path;
    if (p === '/openapi/v2') return accept?.includes('protobuf') ? b.v2proto : b.v2json;
    if (p === '/openapi/v3') return b.v3root;
    return b.v3.get(p)?.body;
  }

  private build(): Built {
    if (this.built && this.builtFor === this.registry.version) return this.built;
    const defs = (sharedDefs ??= new Definitions());
    const all = this.registry.all();
    // Core first, so types shared with other groups (PodTemplateSpec) are named in the core package.
    const ordered = [...all].sort((a, b) => (a.group === '' ? 0 : 1) - (b.group === '' ? 0 : 1));
    // Core types that other groups embed are named in the core package, as in Kubernetes' document.
    for (const cls of ['V1PodTemplateSpec', 'V1PersistentVolumeClaim', 'V1ObjectReference']) defs.add(cls, CORE_PKG);
    const rootsByGv = new Map<string, string[]>();
    const paths2: Record<string, unknown> = {};
    const pathsByGv = new Map<string, Record<string, unknown>>();
    const extra = new Map<string, Schema>();
    for (const r of ordered) {
      const gvk = { group: r.group, version: r.version, kind: r.kind };
      const roots = rootsByGv.get(gvPath(r)) ?? [];
      rootsByGv.set(gvPath(r), roots);
      const pkg = packageOf(r.group, r.version);
      const root = r.builtin ? builtinRoot(r.group, r.version, r.kind) : undefined;
      let name: string | undefined;
      let listName: string | undefined;
      if (root && pkg) {
        name = defs.add(root.cls, pkg, root.def);
        const listRoot = builtinRoot(r.group, r.version, r.listKind);
        listName = listRoot ? defs.add(listRoot.cls, pkg, listRoot.def) : undefined;
      } else if (!r.builtin) {
        name = customName(r);
        listName = customName(r, true);
        extra.set(name, customSchema(r, this.crdSchema, false));
        extra.set(listName, customSchema(r, this.crdSchema, true));
      }
      for (const [n, kind] of [[name, r.kind], [listName, r.listKind]] as const) {
        if (!n) continue;
        const s = defs.schemas.get(n) ?? extra.get(n)!;
        s['x-kubernetes-group-version-kind'] = [{ group: r.group, kind, version: r.version }];
        if (!roots.includes(n)) roots.push(n);
      }
      const base = `/${gvPath(r)}/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.resource}/{name}`;
      const op = (v3: boolean) => ({
        operationId: `patch${r.group ? '' : 'Core'}${r.version[0]!.toUpperCase()}${r.version.slice(1)}${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: patchParameters(v3),
        ...(v3
          ? { requestBody: { required: true, content: Object.fromEntries(['application/json-patch+json', 'application/merge-patch+json', ...(r.builtin ? ['application/strategic-merge-patch+json'] : []), 'application/apply-patch+yaml'].map((t) => [t, { schema: { type: 'object' } }])) } }
          : {}),
        responses: { '200': { description: 'OK' } },
      });
      paths2[base] = { patch: op(false) };
      const p3 = pathsByGv.get(gvPath(r)) ?? {};
      p3[base] = { patch: op(true) };
      pathsByGv.set(gvPath(r), p3);
    }
    // Custom resources refer to ObjectMeta and ListMeta even when no built-in does.
    defs.add('V1ObjectMeta', CORE_PKG);
    defs.add('V1ListMeta', CORE_PKG);
    const definitions: Record<string, Schema> = {};
    for (const [n, s] of [...defs.schemas, ...extra].sort(([a], [b]) => (a < b ? -1 : 1))) definitions[n] = s;
    const v2 = { swagger: '2.0', info: INFO, paths: paths2, definitions };
    const v3 = new Map<string, { body: Body; hash: string }>();
    const rootPaths: Record<string, { serverRelativeURL: string }> = {};
    for (const [gv, roots] of rootsByGv) {
      const closure = new Set<string>();
      const queue = [...roots];
      while (queue.length) {
        const n = queue.pop()!;
        if (closure.has(n) || !definitions[n]) continue;
        closure.add(n);
        const refs = new Set<string>();
        refsOf(definitions[n], refs);
        queue.push(...refs);
      }
      const make = () => {
        const schemas: Record<string, unknown> = {};
        for (const n of [...closure].sort()) schemas[n] = toV3(definitions[n]);
        return Buffer.from(JSON.stringify({ openapi: '3.0.0', info: INFO, paths: pathsByGv.get(gv) ?? {}, components: { schemas } }));
      };
      // The hash names this build of the document (it changes with the registry), so it is known before the document is made.
      const hash = createHash('sha512').update(`${this.salt}/${this.registry.version}/${gv}`).digest('hex').slice(0, 128).toUpperCase();
      v3.set(`/openapi/v3/${gv}`, { body: new Body(make, 'application/json'), hash });
      rootPaths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
    }
    this.built = {
      v2json: new Body(() => Buffer.from(JSON.stringify(v2)), 'application/json'),
      v2proto: new Body(() => encodeSwagger(v2 as unknown as Record<string, unknown>), PROTO_V2),
      v3,
      v3root: new Body(() => Buffer.from(JSON.stringify({ paths: rootPaths })), 'application/json'),
    };
    this.builtFor = this.registry.version;
    return this.built;
  }
}

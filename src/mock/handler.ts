/**
 * The mock's HTTP request handler: routes non-resource paths (discovery, health, metrics, admin) and
 * resource requests to the API, records metrics, and turns every failure into a metav1.Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockApi, DeleteOptions } from './api.js';
import type { Discovery } from './discovery.js';
import type { OpenApi } from './openapi.js';
import type { MockMetrics, RequestLabels, RequestSeries } from './metrics.js';
import type { ResourceInfo } from './resources.js';
import type { StoredObject } from './store.js';
import { StatusError, badRequest, methodNotAllowed, SUCCESS_STATUS } from './status.js';
import { PRETTY, parseJsonBody, readBody, readBodyBytes, sendJson, sendStatus, sendText } from './http-util.js';
import { servePodProxy } from './pod-proxy.js';
import { getVersion, listVersion, validateWatchOptions, wantsPretty, writeOptions } from './query-options.js';
import { EMPTY_QUERY, isTrue, parseQuery, parseResourcePath, splitUrl, type Query, type RequestInfo } from './request-info.js';
import { UNAUTHORIZED } from './auth.js';
import { decodeProtobufObject, isProtobuf } from './protobuf.js';
import { renderTable, wantsTable } from './table.js';
import { scaleOf } from './scale.js';
import { MOCK_ADMIN, REVIEW_IDS, review, tokenRequest, type IssuedTokens } from './access-review.js';
import { partialJson, partialListJson, wantsMetadata } from './partial.js';
import { serveWatch, type WatchOptions } from './watch/serve.js';
import type { WatchHub } from './watch/hub.js';

/** GateContext is what a gate knows about the request. */
export interface GateContext {
  ri: RequestInfo;
  labels: RequestLabels;
  longRunning: boolean;
}

/** RequestGate runs before a request is served (auth, faults); it calls `next` or answers the request itself. */
export type RequestGate = (req: IncomingMessage, res: ServerResponse, ctx: GateContext, next: () => void) => void;

/** SubresourceHandler serves a GET subresource such as pods/log. */
export type SubresourceHandler = (info: ResourceInfo, stored: StoredObject, query: Query, req: IncomingMessage, res: ServerResponse) => void;

/** HandlerDeps is what the request handler uses. */
export interface HandlerDeps {
  api: MockApi;
  discovery: Discovery;
  openapi: OpenApi;
  metrics: MockMetrics;
  hub: WatchHub;
  watch: Omit<WatchOptions, 'represent' | 'representation'>;
  /** Largest accepted request body, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Gates run in order before every resource request. */
  gates: RequestGate[];
  /** Whether the gates have anything to do right now (skipped entirely when false, keeping the fast path lean). */
  gatesActive?: () => boolean;
  /** ServiceAccount tokens the mock issued (`create token`): accepted as bearer tokens, and their user is who `auth whoami` names. */
  tokens: IssuedTokens;
  /** GET subresource handlers by name (log). */
  subresources: Record<string, SubresourceHandler>;
  /** With TLS: tells whether a request is authenticated (401 otherwise). */
  authenticate?: (req: IncomingMessage, path: string) => boolean;
  /** Admin endpoint under /racerig/ (returns false when the path is not one of its own). */
  admin?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
}

const VERB_LABEL: Record<string, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETECOLLECTION',
};

/** ParsedRequest is the per-URL work cached for repeated GETs. */
interface ParsedRequest {
  ri: RequestInfo;
  query: Query;
  labels: RequestLabels;
  series: RequestSeries;
  longRunning: boolean;
  readOnly: boolean;
}

const PARSED_CACHE_LIMIT = 4096;
const NO_GATES: RequestGate[] = [];

const NOT_FOUND_JSON = JSON.stringify(new StatusError(404, 'NotFound', 'the server could not find the requested resource', {}).toStatus());

/** labelsFor returns the metric labels of a resource request. */
export function labelsFor(ri: RequestInfo, contentType?: string): RequestLabels {
  let verb = VERB_LABEL[ri.verb] ?? ri.verb.toUpperCase();
  if (ri.subresource === 'exec' || ri.subresource === 'attach' || ri.subresource === 'portforward') verb = 'CONNECT';
  if (verb === 'PATCH' && contentType?.startsWith('application/apply-patch')) verb = 'APPLY';
  const scope = ri.name ? 'resource' : ri.namespace ? 'namespace' : 'cluster';
  return { verb, group: ri.group, version: ri.version, resource: ri.resource, subresource: ri.subresource, scope };
}

const NON_RESOURCE: RequestLabels = { verb: 'GET', group: '', version: '', resource: '', subresource: '', scope: '' };

/** fieldManager is the manager a write is recorded under in managedFields: the fieldManager parameter, else (like kube-apiserver) the User-Agent up to its first '/'. */
export function fieldManager(query: Query, req: IncomingMessage): string | undefined {
  const explicit = query.get('fieldManager');
  if (explicit) return explicit;
  const ua = req.headers['user-agent'];
  if (!ua) return undefined;
  const slash = ua.indexOf('/');
  return (slash < 0 ? ua : ua.slice(0, slash)).slice(0, 128) || undefined;
}

/** isLongRunning tells whether a request is exempt from max-inflight (watch, exec, proxy, follow logs). */
export function isLongRunning(ri: RequestInfo, query: Query): boolean {
  return ri.verb === 'watch' || ri.subresource === 'exec' || ri.subresource === 'attach' || ri.subresource === 'proxy' || (ri.subresource === 'log' && isTrue(query.get('follow')));
}

function listJson(info: ResourceInfo, items: StoredObject[], rv: number, cont?: string, remaining?: number): string {
  let meta = `"resourceVersion":"${rv}"`;
  if (cont) meta += `,"continue":"${cont}"`;
  if (remaining !== undefined) meta += `,"remainingItemCount":${remaining}`;
  let body = `{"kind":"${info.listKind}","apiVersion":"${info.apiVersion}","metadata":{${meta}},"items":[`;
  for (let i = 0; i < items.length; i++) body += (i ? ',' : '') + items[i]!.json;
  return body + ']}';
}

function sendObject(res: ServerResponse, code: number, s: StoredObject): void {
  if ((res as { [PRETTY]?: boolean })[PRETTY]) {
    sendJson(res, code, s.json);
    return;
  }
  // The cached length belongs to this very `json` (StoredObjects are never copied with their caches).
  res.writeHead(code, ['Content-Type', 'application/json', 'Content-Length', String((s.bytes ??= Buffer.byteLength(s.json)))]);
  res.end(s.json);
}

function intParam(q: Query, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid ${name}: ${v}`);
  return n;
}

/** deleteOptions merges a DELETE's query and DeleteOptions body (an Eviction's `deleteOptions` too), validating dryRun as the server does. */
function deleteOptions(q: Query, body: string | unknown): DeleteOptions {
  const opts: DeleteOptions = {};
  let bodyDryRun: string[] = [];
  if (typeof body !== 'string' || body.trim()) {
    let b = (typeof body === 'string' ? parseJsonBody(body) : body) as Record<string, unknown> | null;
    if (b && typeof b === 'object' && b.kind === 'Eviction') b = (b.deleteOptions ?? null) as Record<string, unknown> | null;
    if (b && typeof b === 'object') {
      if (Array.isArray(b.dryRun)) bodyDryRun = b.dryRun.map(String);
      if (typeof b.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = b.gracePeriodSeconds;
      if (typeof b.propagationPolicy === 'string') opts.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
      if (b.orphanDependents === true) opts.propagationPolicy = 'Orphan';
      if (b.preconditions && typeof b.preconditions === 'object') opts.preconditions = b.preconditions as DeleteOptions['preconditions'];
    }
  }
  const g = intParam(q, 'gracePeriodSeconds');
  if (g !== undefined) opts.gracePeriodSeconds = g;
  const p = q.get('propagationPolicy');
  if (p) opts.propagationPolicy = p as DeleteOptions['propagationPolicy'];
  if (writeOptions('DeleteOptions', q, bodyDryRun)) opts.dryRun = true;
  return opts;
}

/** createHandler returns the node:http request listener of the mock. */
export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { api, discovery, metrics } = deps;
  const readObject = async (req: IncomingMessage): Promise<unknown> => {
    const raw = await readBodyBytes(req, deps.maxBodyBytes);
    const ct = req.headers['content-type'];
    if (ct !== undefined && ct.includes('protobuf')) {
      if (!isProtobuf(raw)) throw badRequest('protobuf body without the k8s envelope');
      return decodeProtobufObject(raw);
    }
    return parseJsonBody(raw.toString('utf8'));
  };

  const observe = (labels: RequestLabels, start: number, res: ServerResponse) => {
    metrics.observe(labels, res.statusCode, (performance.now() - start) / 1000);
  };

  const fail = (res: ServerResponse, err: unknown) => {
    if (err instanceof StatusError) sendStatus(res, err);
    else sendStatus(res, new StatusError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`));
  };

  const serveNonResource = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const start = performance.now();
    res.once('finish', () => observe(NON_RESOURCE, start, res));
    if (path === '/healthz' || path === '/readyz' || path === '/livez' || path.startsWith('/healthz/') || path.startsWith('/readyz/') || path.startsWith('/livez/')) {
      sendText(res, 200, 'ok');
      return;
    }
    if (path === '/metrics') {
      sendText(res, 200, metrics.render(), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      return;
    }
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && path.startsWith('/openapi/') && deps.openapi.serve(req, res, path)) return;
    const doc = !get ? undefined : discovery.document(path);
    if (doc !== undefined) {
      sendJson(res, 200, doc);
      return;
    }
    sendJson(res, 404, NOT_FOUND_JSON);
  };

  const serveResource = (req: IncomingMessage, res: ServerResponse, ri: RequestInfo, query: Query): Promise<void> | void => {
    if (ri.subresource === 'proxy' && ri.group === '' && ri.resource === 'pods' && ri.name) {
      servePodProxy(api, ri, splitUrl(req.url ?? '/').query, req, res);
      return;
    }
    const info = api.resolve(ri.group, ri.version, ri.resource);
    if (info.namespaced === false && ri.namespace && ri.resource !== 'namespaces') {
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    }
    const sub = ri.subresource;
    if (sub && !info.subresources.includes(sub)) {
      throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${ri.verb} ${ri.resource}/${sub})`);
    }
    const ns = info.namespaced ? ri.namespace : '';
    if (REVIEW_IDS.has(info.id) && ri.verb !== 'create') throw methodNotAllowed(ri.verb);
    switch (ri.verb) {
      case 'get': {
        if (query !== EMPTY_QUERY) getVersion(query, api.store.rv);
        const s = api.get(info, ns, ri.name);
        if (sub && sub !== 'status' && sub !== 'scale') {
          const h = deps.subresources[sub];
          if (!h) throw badRequest(`Upgrade request required`);
          h(info, s, query, req, res);
          return;
        }
        const v = api.view(info, s);
        if (sub === 'scale') sendJson(res, 200, JSON.stringify(scaleOf(s)));
        else if (wantsTable(req.headers.accept)) sendJson(res, 200, renderTable(info, [v], v.rv, query.get('includeObject')));
        else if (wantsMetadata(req.headers.accept)) sendJson(res, 200, partialJson(v));
        else sendObject(res, 200, v);
        return;
      }
      case 'list': {
        const version = query === EMPTY_QUERY ? undefined : listVersion(query, api.store.rv);
        const r = api.list(info, ns, {
          exactRv: version?.match === 'Exact' ? version.rv : undefined,
          labelSelector: query.get('labelSelector'),
          fieldSelector: query.get('fieldSelector'),
          limit: intParam(query, 'limit'),
          continueToken: query.get('continue'),
        });
        if (info.view) r.items = r.items.map((s) => api.view(info, s));
        if (wantsTable(req.headers.accept)) sendJson(res, 200, renderTable(info, r.items, r.rv, query.get('includeObject'), r.continueToken));
        else if (wantsMetadata(req.headers.accept)) sendJson(res, 200, partialListJson(r.items, r.rv, r.continueToken));
        else sendJson(res, 200, listJson(info, r.items, r.rv, r.continueToken, r.remainingItemCount));
        return;
      }
      case 'watch': {
        validateWatchOptions(query);
        const accept = req.headers.accept;
        const represent = wantsTable(accept)
          ? (i: ResourceInfo, s: StoredObject) => renderTable(i, [s], s.rv, query.get('includeObject'))
          : wantsMetadata(accept)
            ? (_i: ResourceInfo, s: StoredObject) => partialJson(s)
            : undefined;
        const labels = labelsFor(ri);
        metrics.longRunningDelta(labels, 1);
        const representation = wantsTable(accept) ? `table;includeObject=${query.get('includeObject') ?? ''}` : represent ? 'metadata' : '';
        serveWatch(api, deps.hub, info, ns, query, req, res, represent ? { ...deps.watch, represent, representation } : deps.watch, () => metrics.longRunningDelta(labels, -1));
        return;
      }
      default:
        return serveWrite(req, res, ri, query, info, ns, sub);
    }
  };

  const serveWrite = async (req: IncomingMessage, res: ServerResponse, ri: RequestInfo, query: Query, info: ResourceInfo, ns: string, sub: string): Promise<void> => {
    switch (ri.verb) {
      case 'create': {
        const body = await readObject(req);
        if (sub === 'eviction') {
          api.delete(info, ns, ri.name, deleteOptions(query, body));
          sendJson(res, 201, JSON.stringify(SUCCESS_STATUS));
          return;
        }
        if (sub === 'token') {
          const sa = api.get(info, ns, ri.name).obj.metadata;
          sendJson(res, 201, tokenRequest(deps.tokens, ns, { name: sa.name!, uid: sa.uid! }, body));
          return;
        }
        if (sub) throw methodNotAllowed('create');
        if (ri.name) throw methodNotAllowed('POST on a named resource');
        if (REVIEW_IDS.has(info.id)) {
          sendJson(res, 201, review(info.id, info.apiVersion, body, deps.tokens.userOf(req.headers.authorization) ?? MOCK_ADMIN));
          return;
        }
        const dryRun = writeOptions('CreateOptions', query);
        const s = api.create(info, ns, body, dryRun, fieldManager(query, req));
        sendObject(res, 201, api.view(info, s));
        return;
      }
      case 'update': {
        const body = await readObject(req);
        const dryRun = writeOptions('UpdateOptions', query);
        if (sub === 'scale') sendJson(res, 200, JSON.stringify(scaleOf(api.updateScale(info, ns, ri.name, body, dryRun))));
        else sendObject(res, 200, api.view(info, api.update(info, ns, ri.name, body, sub, dryRun, fieldManager(query, req))));
        return;
      }
      case 'patch': {
        const raw = await readBody(req, deps.maxBodyBytes);
        const dryRun = writeOptions('PatchOptions', query);
        const ct = req.headers['content-type'] ?? '';
        const r = api.patch(info, ns, ri.name, ct, raw, { subresource: sub, fieldManager: query.get('fieldManager'), dryRun, force: isTrue(query.get('force')), defaultManager: fieldManager(query, req) });
        if (sub === 'scale') sendJson(res, 200, JSON.stringify(scaleOf(r.stored)));
        else sendObject(res, r.created ? 201 : 200, api.view(info, r.stored));
        return;
      }
      case 'delete': {
        const raw = await readBody(req, deps.maxBodyBytes);
        const s = api.delete(info, ns, ri.name, deleteOptions(query, raw));
        sendObject(res, 200, api.view(info, s));
        return;
      }
      case 'deletecollection': {
        if (info.id === '/namespaces') throw methodNotAllowed('deletecollection');
        const raw = await readBody(req, deps.maxBodyBytes);
        const opts = deleteOptions(query, raw);
        const items = api.deleteCollection(info, ns, { labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector') }, opts);
        sendJson(res, 200, listJson(info, items.map((s) => api.view(info, s)), api.store.rv));
        return;
      }
      default:
        throw methodNotAllowed(ri.verb);
    }
  };

  const parsedCache = new Map<string, ParsedRequest>();
  return (req, res) => {
    const url = req.url ?? '/';
    const { path, query: rawQuery } = splitUrl(url);
    if (deps.authenticate && !deps.authenticate(req, path)) {
      sendStatus(res, UNAUTHORIZED);
      return;
    }
    if (path.startsWith('/racerig/') && deps.admin && deps.admin(req, res, path)) return;
    if (!path.startsWith('/api/') && !path.startsWith('/apis/')) {
      serveNonResource(req, res, path);
      return;
    }
    const gates = deps.gatesActive && !deps.gatesActive() ? NO_GATES : deps.gates;
    const method = req.method ?? 'GET';
    const cacheKey = method + url;
    let parsed = parsedCache.get(cacheKey);
    if (parsed === undefined) {
      try {
        const query = parseQuery(rawQuery);
        const ri = parseResourcePath(method, path, isTrue(query.get('watch')));
        if (ri) {
          const labels = labelsFor(ri, req.headers['content-type']);
          parsed = { ri, query, labels, series: metrics.seriesFor(labels), longRunning: isLongRunning(ri, query), readOnly: ri.verb === 'get' || ri.verb === 'list' || ri.verb === 'watch' };
          // Only GETs repeat often enough to cache; PATCH labels depend on the content type.
          if (method === 'GET' && !parsed.longRunning) {
            if (parsedCache.size >= PARSED_CACHE_LIMIT) parsedCache.clear();
            parsedCache.set(cacheKey, parsed);
          }
        }
      } catch {
        sendStatus(res, badRequest('malformed request path or query'));
        return;
      }
      if (!parsed) {
        serveNonResource(req, res, path);
        return;
      }
    }
    const { ri, query, labels, series, longRunning, readOnly } = parsed;
    if (query !== EMPTY_QUERY && !longRunning && wantsPretty(query)) (res as { [PRETTY]?: boolean })[PRETTY] = true;
    const start = performance.now();
    if (!longRunning) {
      if (readOnly) metrics.inflightReadOnly++;
      else metrics.inflightMutating++;
    }
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      if (!longRunning) {
        if (readOnly) metrics.inflightReadOnly--;
        else metrics.inflightMutating--;
      }
      // A reset connection was never answered: nothing to count.
      if (res.headersSent) series.observe(res.statusCode, (performance.now() - start) / 1000);
    };
    const serve = () => {
      try {
        const p = serveResource(req, res, ri, query);
        if (p) p.catch((err: unknown) => fail(res, err));
      } catch (err) {
        fail(res, err);
      }
      // Synchronous answers are counted at once; others when the response closes.
      if (res.writableEnded) done();
      else if (gates.length === 0) res.once('close', done);
    };
    if (gates.length === 0) {
      serve();
      return;
    }
    res.once('close', done);
    let i = 0;
    const gateCtx: GateContext = { ri, labels, longRunning };
    const next = () => {
      const g = gates[i++];
      if (g) g(req, res, gateCtx, next);
      else serve();
    };
    next();
  };
}

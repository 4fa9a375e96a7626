/**
 * Parses an API path and method into the request's group, version, resource, namespace, name,
 * subresource and verb, without regular expressions or URL objects (this runs on every request).
 */

/** RequestInfo is what a resource request addresses; `verb` uses Kubernetes's lower-case verbs. */
export interface RequestInfo {
  group: string;
  version: string;
  resource: string;
  namespace: string;
  name: string;
  subresource: string;
  verb: string;
  /** The path after a `proxy` subresource (`/metrics` of `…/pods/p:9090/proxy/metrics`), still percent-encoded; absent otherwise. */
  subpath?: string;
}

/** splitUrl separates the path from the raw query string (without '?'). */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** parseResourcePath returns the request info of a /api or /apis resource path, or undefined for other (or malformed) paths; it never throws. */
export function parseResourcePath(method: string, path: string, isWatch: boolean): RequestInfo | undefined {
  const parts = path.split('/');
  // parts[0] is '' (leading slash); drop a trailing empty segment
  if (parts[parts.length - 1] === '') parts.pop();
  let i: number;
  let group: string;
  let version: string;
  if (parts[1] === 'api') {
    if (parts.length < 4) return undefined;
    group = '';
    version = parts[2]!;
    i = 3;
  } else if (parts[1] === 'apis') {
    if (parts.length < 5) return undefined;
    group = parts[2]!;
    version = parts[3]!;
    i = 4;
  } else {
    return undefined;
  }
  let watchPath = false;
  if (parts[i] === 'watch') {
    watchPath = true;
    i++;
  }
  let namespace = '';
  const rest = parts.length - i;
  if (rest >= 3 && parts[i] === 'namespaces' && parts[i + 2] !== 'status' && parts[i + 2] !== 'finalize') {
    namespace = parts[i + 1]!;
    i += 2;
  }
  const resource = parts[i] ?? '';
  const name = parts[i + 1] ?? '';
  const subresource = parts[i + 2] ?? '';
  // Only a proxy subresource has a path of its own (…/pods/<name>:<port>/proxy/<path>); its trailing slash is kept.
  const subpath = subresource === 'proxy' ? `/${parts.slice(i + 3).join('/')}${parts.length > i + 3 && path.endsWith('/') ? '/' : ''}` : undefined;
  if (!resource || (parts.length > i + 3 && subpath === undefined)) return undefined;
  if (resource === 'namespaces' && name && !namespace) namespace = '';
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = watchPath || isWatch ? 'watch' : name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  const decoded = safeDecode(name);
  if (decoded === undefined) return undefined;
  return subpath === undefined ? { group, version, resource, namespace, name: decoded, subresource, verb } : { group, version, resource, namespace, name: decoded, subresource, verb, subpath };
}

/** safeDecode percent-decodes a path segment, or returns undefined when it is malformed. */
function safeDecode(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Query is the parsed query string; only the first value of each key except `command`. */
export type Query = URLSearchParams;

/** EMPTY_QUERY is shared by requests without a query string. */
export const EMPTY_QUERY: Query = new URLSearchParams();

/** parseQuery parses a raw query string, returning a shared empty instance when there is none. */
export function parseQuery(raw: string): Query {
  return raw ? new URLSearchParams(raw) : EMPTY_QUERY;
}

/**
 * isTrue interprets a boolean query parameter as apimachinery's conversion does: absent, `0` and
 * `false` (in any case) are false, anything else (`True`, `t`, `1`, `yes`, even an empty value) is true.
 */
export function isTrue(v: string | null): boolean {
  if (v === null) return false;
  if (v === 'true') return true;
  return !(v === '0' || v.toLowerCase() === 'false');
}

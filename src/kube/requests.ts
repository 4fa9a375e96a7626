/**
 * Request builders for every API operation racerig drives: method, path with query, headers and body,
 * ready for `dispatch` (through the wrappers) or to be frozen once into a load worker's request list.
 */
import type { ResourcePaths } from './resource.js';
import { deleteQuery, encodeQuery, listQuery, writeQuery, type DeleteOptions, type ListOptions, type WriteOptions } from './query.js';
import { PATCH_CONTENT_TYPES, type PatchType } from './patch-type.js';

/** KubeRequest is one API request; a structural subset of undici's dispatch options. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Set for exec: the request is a WebSocket upgrade. */
  upgrade?: 'websocket';
}

/** Body is an object serialized as JSON, or text already serialized (YAML for apply patches). */
export type Body = string | object;

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ accept: 'application/json' });
const bodyText = (b: Body): string => (typeof b === 'string' ? b : JSON.stringify(b));
const withContentType = (ct: string): Record<string, string> => ({ accept: 'application/json', 'content-type': ct });
const JSON_BODY = 'application/json';

/** getRequest reads one object. */
export function getRequest(p: ResourcePaths, namespace: string, name: string): KubeRequest {
  return { method: 'GET', path: p.item(namespace, name), headers: JSON_HEADERS as Record<string, string> };
}

/** listRequest lists a collection ('' namespace: all namespaces). */
export function listRequest(p: ResourcePaths, namespace: string, options?: ListOptions): KubeRequest {
  return { method: 'GET', path: p.collection(namespace) + listQuery(options), headers: JSON_HEADERS as Record<string, string> };
}

/** watchRequest opens a watch on a collection (`watch=true`); events arrive as JSON lines. */
export function watchRequest(p: ResourcePaths, namespace: string, options?: ListOptions): KubeRequest {
  return { method: 'GET', path: p.collection(namespace) + listQuery(options, true), headers: JSON_HEADERS as Record<string, string> };
}

/** createRequest creates an object in a collection. */
export function createRequest(p: ResourcePaths, namespace: string, body: Body, options?: WriteOptions): KubeRequest {
  return { method: 'POST', path: p.collection(namespace) + writeQuery(options), headers: withContentType(JSON_BODY), body: bodyText(body) };
}

/** updateRequest replaces an object (PUT; a stale resourceVersion gets 409 Conflict); `subresource` e.g. `status`. */
export function updateRequest(p: ResourcePaths, namespace: string, name: string, body: Body, options?: WriteOptions, subresource?: string): KubeRequest {
  return { method: 'PUT', path: p.item(namespace, name, subresource) + writeQuery(options), headers: withContentType(JSON_BODY), body: bodyText(body) };
}

/** patchRequest patches an object with the content type of `type`; apply patches need `options.fieldManager`. */
export function patchRequest(p: ResourcePaths, namespace: string, name: string, type: PatchType, body: Body, options?: WriteOptions, subresource?: string): KubeRequest {
  return { method: 'PATCH', path: p.item(namespace, name, subresource) + writeQuery(options), headers: withContentType(PATCH_CONTENT_TYPES[type]), body: bodyText(body) };
}

/** deleteRequest deletes one object (grace period and propagation as query parameters). */
export function deleteRequest(p: ResourcePaths, namespace: string, name: string, options?: DeleteOptions): KubeRequest {
  return { method: 'DELETE', path: p.item(namespace, name) + deleteQuery(options), headers: JSON_HEADERS as Record<string, string> };
}

/** deleteCollectionRequest deletes every object of a collection matching the selectors. */
export function deleteCollectionRequest(p: ResourcePaths, namespace: string, options: ListOptions & DeleteOptions = {}): KubeRequest {
  const q = deleteQuery(options);
  const l = listQuery({ labelSelector: options.labelSelector, fieldSelector: options.fieldSelector });
  return { method: 'DELETE', path: p.collection(namespace) + q + (l ? (q ? '&' : '?') + l.slice(1) : ''), headers: JSON_HEADERS as Record<string, string> };
}

/** getStatusRequest reads an object's status subresource. */
export function getStatusRequest(p: ResourcePaths, namespace: string, name: string): KubeRequest {
  return { method: 'GET', path: p.item(namespace, name, 'status'), headers: JSON_HEADERS as Record<string, string> };
}

/** LogOptions are the query parameters of pods/log. */
export interface LogOptions {
  container?: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  limitBytes?: number;
  previous?: boolean;
}

/** logRequest reads (or follows) a pod's log; the body is plain text. */
export function logRequest(p: ResourcePaths, namespace: string, name: string, o: LogOptions = {}): KubeRequest {
  const q = encodeQuery({ container: o.container, follow: o.follow, tailLines: o.tailLines, sinceSeconds: o.sinceSeconds, timestamps: o.timestamps, limitBytes: o.limitBytes, previous: o.previous });
  return { method: 'GET', path: p.item(namespace, name, 'log') + q, headers: { accept: '*/*' } };
}

/** ExecOptions are the query parameters of pods/exec. */
export interface ExecOptions {
  command: readonly string[];
  container?: string;
  /** Open stdin (default false). */
  stdin?: boolean;
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  tty?: boolean;
}

/** EXEC_SUBPROTOCOLS are offered in this order: v5 (adds the stdin close signal), then v4. */
export const EXEC_SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** execPath returns the pods/exec path with its query (command repeated per argument). */
export function execPath(p: ResourcePaths, namespace: string, name: string, o: ExecOptions): string {
  return (
    p.item(namespace, name, 'exec') +
    encodeQuery({ command: o.command, container: o.container, stdin: o.stdin ? 'true' : undefined, stdout: o.stdout === false ? 'false' : 'true', stderr: o.stderr === false ? 'false' : 'true', tty: o.tty ? 'true' : undefined })
  );
}

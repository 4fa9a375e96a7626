/**
 * The pods/proxy subresource (`/api/v1/namespaces/<ns>/pods/<[scheme:]name[:port]>/proxy/<path>`), as
 * kube-apiserver serves it: the request (any method, its query and body, without the caller's
 * Authorization) goes to the pod's IP and port, and the pod's answer comes back as it is. The mock's pods
 * have made-up IPs, so it forwards only for pods annotated `racerig.dev/proxy-to-loopback: "true"`, to
 * 127.0.0.1:<port>; any other pod is unreachable and answered 503 ServiceUnavailable, as kube-apiserver
 * answers when it cannot reach a pod. A pod without an IP yet is 400 (kube-apiserver: "address not allowed").
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import type { MockApi } from './api.js';
import type { RequestInfo } from './request-info.js';
import { StatusError } from './status.js';
import { sendStatus } from './http-util.js';

/** PROXY_TO_LOOPBACK is the pod annotation that makes the mock's pods/proxy forward to 127.0.0.1 instead of the pod's (unreachable) made-up IP. */
export const PROXY_TO_LOOPBACK = 'racerig.dev/proxy-to-loopback';

/** PROXY_TIMEOUT_MS bounds a proxied request: connecting and waiting for the response headers, and each pause of its body, in ms. */
export const PROXY_TIMEOUT_MS = 30_000;

/** HOP_BY_HOP headers are not forwarded either way (RFC 9110 §7.6.1), nor is the caller's Authorization (kube-apiserver drops it after authenticating). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host', 'authorization']);

/** ProxyId is a parsed `[scheme:]name[:port]` pods/proxy name. */
export interface ProxyId {
  scheme: string;
  name: string;
  /** Empty when not given: the first declared container port is used. */
  port: string;
}

/** parseProxyId splits `name`, `name:port` or `scheme:name:port` as kube-apiserver does (utilnet.SplitSchemeNamePort); undefined when malformed. */
export function parseProxyId(id: string): ProxyId | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme, name, port };
}

/** firstContainerPort is the first containerPort any container of the pod declares, or ''. */
function firstContainerPort(spec: unknown): string {
  for (const c of (spec as { containers?: Array<{ ports?: Array<{ containerPort?: number }> }> } | undefined)?.containers ?? []) {
    const p = c.ports?.[0]?.containerPort;
    if (p !== undefined) return String(p);
  }
  return '';
}

function unavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}

/** forwardHeaders copies the request's end-to-end headers for the pod. */
function forwardHeaders(req: IncomingMessage, host: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { host };
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

/**
 * servePodProxy answers one pods/proxy request: it resolves the pod (404 when missing, 400 for a malformed
 * name or a pod without an IP), then forwards to 127.0.0.1:<port> for a loopback-annotated pod and streams the
 * answer back, or answers 503 when the pod cannot be reached (not annotated, https, nothing listening, a timeout).
 * Throws StatusError before anything is written; later failures end the response.
 */
export function servePodProxy(api: MockApi, ri: RequestInfo, rawQuery: string, req: IncomingMessage, res: ServerResponse): void {
  const id = parseProxyId(ri.name);
  if (!id) throw new StatusError(400, 'BadRequest', `invalid pod request "${ri.name}"`);
  const info = api.resolve('', ri.version, 'pods');
  const pod = api.get(info, ri.namespace, id.name).obj;
  const port = id.port || firstContainerPort(pod.spec);
  const podIP = (pod.status as { podIP?: string } | undefined)?.podIP;
  if (!podIP) throw new StatusError(400, 'BadRequest', 'address not allowed');
  const target = port ? `${podIP}:${port}` : podIP;
  if (pod.metadata.annotations?.[PROXY_TO_LOOPBACK] !== 'true') {
    throw unavailable(`error trying to reach service: dial tcp ${target}: i/o timeout (the racerig mock's pod IPs are not real: annotate the pod ${PROXY_TO_LOOPBACK}: "true" to proxy to 127.0.0.1:${port || 80})`);
  }
  if (id.scheme === 'https') throw unavailable(`error trying to reach service: the racerig mock proxies to pods over http only`);
  const loopPort = Number(port || 80);
  if (!Number.isInteger(loopPort) || loopPort < 1 || loopPort > 65535) throw new StatusError(400, 'BadRequest', `invalid port "${port}"`);
  const path = (ri.subpath ?? '/') + (rawQuery ? `?${rawQuery}` : '');
  const upstream = httpRequest({ host: '127.0.0.1', port: loopPort, method: req.method, path, headers: forwardHeaders(req, `${podIP}:${loopPort}`), timeout: PROXY_TIMEOUT_MS });
  let answered = false;
  const fail = (message: string) => {
    if (answered || res.headersSent) {
      res.destroy();
      return;
    }
    answered = true;
    sendStatus(res, unavailable(`error trying to reach service: ${message}`));
  };
  upstream.on('timeout', () => upstream.destroy(new Error(`dial tcp 127.0.0.1:${loopPort}: i/o timeout`)));
  upstream.on('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ECONNREFUSED' ? `dial tcp 127.0.0.1:${loopPort}: connect: connection refused` : err.message));
  upstream.on('response', (up) => {
    if (answered) {
      up.destroy();
      return;
    }
    answered = true;
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    res.writeHead(up.statusCode ?? 502, headers);
    up.on('error', () => res.destroy());
    up.pipe(res);
  });
  // The caller going away ends the proxied request too.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.on('error', () => upstream.destroy());
  req.pipe(upstream);
}

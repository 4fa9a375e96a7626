/**
 * The auth wrapper: adds the credentials' headers (Authorization, impersonation) to each request in a
 * new options object, never writing the one it was given; headers the request already carries win.
 * A 401 answer makes refreshable credentials (exec plugins) refresh in the background.
 * Created per dispatcher; per-request state lives only in its handler; works for upgrades too.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Credentials } from '../../kube/credentials.js';
import type { RigDispatchOptions } from '../request-options.js';
import { withRole } from './compose.js';

/** AuthInterceptorOptions configure the auth wrapper. */
export interface AuthInterceptorOptions {
  credentials: Credentials;
}

type Headers = Dispatcher.DispatchOptions['headers'];

function hasHeader(h: Record<string, unknown>, lowerName: string): boolean {
  if (lowerName in h) return true;
  for (const k in h) if (k.length === lowerName.length && k.toLowerCase() === lowerName) return true;
  return false;
}

/** withHeaders returns `headers` plus every entry of `extra` it does not already have (case-insensitive), as a new value. */
export function withHeaders(headers: Headers, extra: Readonly<Record<string, string>>): Headers {
  if (headers == null) return extra as Record<string, string>;
  if (Array.isArray(headers)) {
    const out = headers.slice() as string[];
    for (const k in extra) {
      let has = false;
      for (let i = 0; i < out.length; i += 2) if (String(out[i]).toLowerCase() === k) has = true;
      if (!has) out.push(k, extra[k]!);
    }
    return out;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of headers as Iterable<[string, string | string[] | undefined]>) if (v !== undefined) out[k.toLowerCase()] = v;
    return withHeaders(out, extra);
  }
  const h = headers as Record<string, string | string[] | undefined>;
  const out: Record<string, string | string[] | undefined> = { ...h };
  for (const k in extra) if (!hasHeader(h, k)) out[k] = extra[k];
  return out as Headers;
}

class AuthHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly credentials: Credentials,
  ) {}
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode === 401) this.credentials.invalidate();
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.inner.onResponseError?.(controller, err);
  }
}

/** authInterceptor returns an undici interceptor that adds the credentials' headers to every request (options copied, never written). */
export function authInterceptor(options: AuthInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const credentials = options.credentials;
  // Merged headers per (frozen) headers object of the caller, for the credentials they were merged with:
  // load loops reuse a few request templates, so the merge happens once per template, not per request.
  let cacheFor: Readonly<Record<string, string>> | undefined;
  let cache = new WeakMap<object, Headers>();
  return withRole('auth', (dispatch) =>
    function authDispatch(opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      if (credentials.refreshable) credentials.maybeRefresh();
      const extra = credentials.headers;
      let any = false;
      for (const _ in extra) {
        any = true;
        break;
      }
      if (!any) return dispatch(opts, credentials.refreshable ? new AuthHandler(handler, credentials) : handler);
      if (cacheFor !== extra) {
        cacheFor = extra;
        cache = new WeakMap();
      }
      const h = opts.headers;
      let merged: Headers;
      if (h != null && typeof h === 'object' && Object.isFrozen(h)) {
        merged = cache.get(h);
        if (merged === undefined) {
          merged = Object.freeze(withHeaders(h, extra)) as Headers;
          cache.set(h, merged);
        }
      } else merged = withHeaders(h, extra);
      return dispatch({ ...opts, headers: merged }, credentials.refreshable ? new AuthHandler(handler, credentials) : handler);
    });
}

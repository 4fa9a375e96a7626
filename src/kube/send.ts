/**
 * send: one request through a dispatcher (and whatever wrappers it was composed with), with the
 * whole response body collected. For setup, discovery and tests; the load loop uses its own handlers.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { RigDispatchOptions } from '../http/request-options.js';
import { KubeApiError, parseStatus } from './status.js';

/** KubeResponse is a complete response: status, headers and body bytes. */
export interface KubeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** DispatchFn is a dispatcher's `dispatch`, possibly composed with racerig's wrappers. */
export type DispatchFn = (opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler) => boolean;

class CollectHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  constructor(
    private readonly resolve: (r: KubeResponse) => void,
    private readonly reject: (e: Error) => void,
  ) {}
  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  onResponseEnd(): void {
    this.resolve({ status: this.status, headers: this.headers, body: Buffer.concat(this.chunks) });
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.reject(err);
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, _s: number, _h: IncomingHttpHeaders, socket: { destroy(): void }): void {
    socket.destroy();
    this.reject(new Error('unexpected protocol upgrade'));
  }
}

/** send dispatches one request and resolves with the complete response (any status); rejects on transport errors. */
export function send(dispatch: DispatchFn, opts: RigDispatchOptions): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    try {
      dispatch(opts, new CollectHandler(resolve, reject));
    } catch (err) {
      reject(err as Error);
    }
  });
}

/** sendJson sends a request and parses a 2xx JSON body; any other status throws a KubeApiError with the parsed Status. */
export async function sendJson<T = unknown>(dispatch: DispatchFn, opts: RigDispatchOptions): Promise<T> {
  const r = await send(dispatch, opts);
  if (r.status < 200 || r.status >= 300) throw new KubeApiError(parseStatus(r.status, r.body), `${opts.method} ${opts.path}`);
  return JSON.parse(r.body.toString('utf8')) as T;
}

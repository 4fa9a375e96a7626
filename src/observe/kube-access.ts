/**
 * The observers' own connection to the target API server: a pool without body timeout (followed logs and
 * watches stay open for the whole run) behind the auth wrapper, on the main thread.
 */
import type { Dispatcher } from 'undici';
import { authInterceptor } from '../http/interceptors/auth.js';
import { createCredentials, staticCredentials } from '../kube/credentials.js';
import { rotatingIfRefreshable } from '../kube/rotating-dispatcher.js';
import { composeDispatch, createTargetDispatcher } from '../kube/target-dispatcher.js';
import type { KubeTarget, TargetConnect } from '../kube/target.js';
import type { DispatchFn } from '../kube/send.js';

/** ObserveTarget is the API server the observers read (a profile run's target: origin, path prefix, headers, TLS, and the kubeconfig target when its credentials refresh). */
export interface ObserveTarget {
  origin: string;
  pathPrefix: string;
  headers: Record<string, string>;
  connect?: TargetConnect;
  kube?: KubeTarget;
}

/** KubeAccess is a dispatch to the target with its path prefix; `close` ends every connection. */
export interface KubeAccess {
  /** For streams (followed logs, watches): no headers or body timeout. */
  dispatch: DispatchFn;
  /** For single requests (the API server's /metrics): headers and body timeout REQUEST_TIMEOUT_MS. */
  requestDispatch: DispatchFn;
  pathPrefix: string;
  close(): Promise<void>;
}

/** OBSERVE_CONNECTIONS caps the observers' connections (each followed log and each watch holds one). */
export const OBSERVE_CONNECTIONS = 256;

/** REQUEST_TIMEOUT_MS bounds a single request of the observers (headers and body), ms. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** openKubeAccess returns a dispatch to `target` through the auth wrapper, on a pool of up to OBSERVE_CONNECTIONS connections without timeouts. */
export function openKubeAccess(target: ObserveTarget): KubeAccess {
  const credentials = target.kube ? createCredentials(target.kube) : staticCredentials(target.headers);
  const connectOf = (c: TargetConnect | undefined) => ({ origin: target.origin, connect: c ?? target.connect ?? ({ rejectUnauthorized: true } as TargetConnect) });
  const pool: Dispatcher = rotatingIfRefreshable(credentials, (c) => createTargetDispatcher(connectOf(c), { connections: OBSERVE_CONNECTIONS, timeoutMs: 0 }));
  const requests: Dispatcher = rotatingIfRefreshable(credentials, (c) => createTargetDispatcher(connectOf(c), { connections: 2, timeoutMs: REQUEST_TIMEOUT_MS }));
  return {
    dispatch: composeDispatch(pool, [authInterceptor({ credentials })]),
    requestDispatch: composeDispatch(requests, [authInterceptor({ credentials })]),
    pathPrefix: target.pathPrefix,
    close: async () => {
      await Promise.all([pool.destroy(), requests.destroy()]);
    },
  };
}

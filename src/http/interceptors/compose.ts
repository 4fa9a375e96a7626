/**
 * composeWrappers: the one place racerig's wrappers are put around a dispatcher, in one order.
 *
 * A request passes retry-after ▸ auth ▸ rate-limit ▸ logging ▸ metrics ▸ the client. Metrics sits
 * next to the client so it speaks the raw handler interface to it (RawHandler) with no adapter in
 * between; logging sits just outside metrics, inside the limiter, so each line carries the outcome
 * and latency metrics recorded for that request.
 */
import type { Dispatcher } from 'undici';
import type { RigDispatchOptions } from '../request-options.js';

/** WrapperRole names a racerig wrapper; WRAPPER_ORDER ranks them. */
export type WrapperRole = 'metrics' | 'logging' | 'rate-limit' | 'auth' | 'retry-after';

/** WRAPPER_ORDER lists the roles in `Dispatcher.compose` order: first the one next to the client, last the one a request meets first. */
export const WRAPPER_ORDER: readonly WrapperRole[] = ['metrics', 'logging', 'rate-limit', 'auth', 'retry-after'];

/** WrappedDispatch is a dispatcher's `dispatch` with racerig's wrappers around it. */
export type WrappedDispatch = (opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler) => boolean;

const roles = new WeakMap<Dispatcher.DispatcherComposeInterceptor, WrapperRole>();

/** withRole marks an interceptor as racerig's wrapper `role`, so composeWrappers can check where it is put; returns it. */
export function withRole(role: WrapperRole, interceptor: Dispatcher.DispatcherComposeInterceptor): Dispatcher.DispatcherComposeInterceptor {
  roles.set(interceptor, role);
  return interceptor;
}

/** roleOf returns the role withRole gave an interceptor (undefined for any other interceptor). */
export function roleOf(interceptor: Dispatcher.DispatcherComposeInterceptor): WrapperRole | undefined {
  return roles.get(interceptor);
}

/**
 * composeWrappers composes `interceptors` onto `dispatcher` and returns its bound dispatch. The list is
 * in `Dispatcher.compose` order, as undici users read it: the first is next to the dispatcher, the last
 * sees each request first. racerig's wrappers must come in WRAPPER_ORDER (others may sit anywhere);
 * a list that breaks it throws, so no caller can put logging and metrics the other way round.
 */
export function composeWrappers(dispatcher: Dispatcher, interceptors: readonly Dispatcher.DispatcherComposeInterceptor[]): WrappedDispatch {
  let rank = -1;
  let prev: WrapperRole | undefined;
  for (const i of interceptors) {
    const role = roles.get(i);
    if (role === undefined) continue;
    const r = WRAPPER_ORDER.indexOf(role);
    if (r <= rank) throw new Error(`internal: wrapper ${role} composed after ${prev} (the order is ${WRAPPER_ORDER.join(', ')}, client first)`);
    rank = r;
    prev = role;
  }
  const composed = dispatcher.compose(...interceptors);
  return composed.dispatch.bind(composed) as WrappedDispatch;
}

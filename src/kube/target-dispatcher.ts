/**
 * undici dispatchers for a KubeTarget: its TLS connect options on a Client or Pool; racerig's wrappers
 * go around them with composeWrappers (src/http/interceptors/compose.ts), in its one order.
 */
import { Client, Pool } from 'undici';
import type { KubeTarget } from './target.js';
import { pinnedLookup } from '../http/resolve-target.js';
import { composeWrappers } from '../http/interceptors/compose.js';

/** undiciConnect returns undici `connect` options for a target (a new object; the target is not changed). */
export function undiciConnect(target: Pick<KubeTarget, 'connect' | 'origin'>): Record<string, unknown> | undefined {
  const c = target.connect;
  // Checked addresses of the server's name: every connection (requests, watches, exec upgrades) goes only to them.
  const pinned = c?.addresses ? { lookup: pinnedLookup(c.addresses) } : undefined;
  if (!target.origin.startsWith('https:')) return pinned;
  const out: Record<string, unknown> = { rejectUnauthorized: c.rejectUnauthorized, ...pinned };
  if (c.ca) out.ca = c.ca;
  if (c.cert) out.cert = c.cert;
  if (c.key) out.key = c.key;
  if (c.servername) out.servername = c.servername;
  return out;
}

/** TargetDispatcherOptions size the connection pool and set timeouts (ms). */
export interface TargetDispatcherOptions {
  /** Connections (default 1: a single Client). */
  connections?: number;
  pipelining?: number;
  /** Headers and body timeout, ms (default 30000; 0 disables, needed for long watches). */
  timeoutMs?: number;
}

/** createTargetDispatcher returns a Client (one connection) or Pool for the target's origin with its TLS options. */
export function createTargetDispatcher(target: Pick<KubeTarget, 'connect' | 'origin'>, o: TargetDispatcherOptions = {}): Client | Pool {
  const timeout = o.timeoutMs ?? 30_000;
  const common = { connect: undiciConnect(target), headersTimeout: timeout, bodyTimeout: timeout, pipelining: o.pipelining ?? 1 };
  return (o.connections ?? 1) <= 1 ? new Client(target.origin, common) : new Pool(target.origin, { ...common, connections: o.connections! });
}

/** composeDispatch is composeWrappers (list in `Dispatcher.compose` order: the client's neighbour first), under the name kube callers import. */
export const composeDispatch = composeWrappers;

/**
 * Resolving a target host before any connection: every address a name resolves to is checked
 * (loopback unless --allow-remote), and connections then go only to those checked addresses (a
 * `lookup` for net/tls.connect that answers from them and never asks DNS again), so a name cannot
 * pass the check and then lead elsewhere (`evil.localhost` → a private address).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { isLoopbackHost } from './loopback.js';

/** ResolvedAddress is one checked address of a target host (plain data: it crosses to worker threads). */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolver answers every address of a host name (dns.lookup with all: true by default). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

let resolver: Resolver = systemResolver;

/** useResolver replaces the resolver of this thread (tests use one they control) and returns a function restoring the previous one. */
export function useResolver(r: Resolver): () => void {
  const prev = resolver;
  resolver = r;
  return () => {
    resolver = prev;
  };
}

/** isLoopbackAddress tells whether an IP address (not a name) is loopback: 127.0.0.0/8 or ::1 (also IPv4-mapped). */
export function isLoopbackAddress(address: string): boolean {
  return isIP(address) !== 0 && isLoopbackHost(address);
}

/** ResolvedTarget is a host's checked addresses (undefined for an IP literal, which needs no lookup). */
export interface ResolvedTarget {
  addresses?: ResolvedAddress[];
}

/**
 * resolveTarget resolves `hostname` (a URL hostname, brackets allowed) and, unless `allowRemote`,
 * throws `refuse(message)` when any address is not loopback; an IP literal is checked as it is.
 */
export async function resolveTarget(hostname: string, allowRemote: boolean, refuse: (message: string) => Error): Promise<ResolvedTarget> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    if (!allowRemote && !isLoopbackAddress(host)) throw refuse(`${host} is not a loopback address`);
    return {};
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolver(host);
  } catch (err) {
    throw refuse(`cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (addresses.length === 0) throw refuse(`${host} resolves to no address`);
  const remote = addresses.filter((a) => !isLoopbackAddress(a.address));
  if (!allowRemote && remote.length > 0) {
    throw refuse(`${host} resolves to ${remote.map((a) => a.address).join(', ')}, not a loopback address`);
  }
  return { addresses };
}

/**
 * pinnedLookup returns a `lookup` for net.connect / tls.connect (and undici's connector options) that
 * answers only from `addresses`, in their order, without asking DNS: connections go to the checked
 * addresses whatever the name resolves to later. `onLookup` sees every host asked for (tests).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[], onLookup?: (hostname: string) => void): LookupFunction {
  return ((hostname: string, options: { family?: number | string; all?: boolean } | number, callback: (...args: unknown[]) => void) => {
    onLookup?.(hostname);
    const opts = typeof options === 'number' ? { family: options } : (options ?? {});
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    const fit = addresses.filter((a) => family === 0 || a.family === family);
    const list = fit.length > 0 ? fit : [];
    if (list.length === 0) {
      const err = Object.assign(new Error(`no checked address of ${hostname} for IPv${family}`), { code: 'ENOTFOUND' });
      return process.nextTick(() => (opts.all ? callback(err, []) : callback(err, '', 0)));
    }
    if (opts.all) process.nextTick(() => callback(null, list.map((a) => ({ address: a.address, family: a.family }))));
    else process.nextTick(() => callback(null, list[0]!.address, list[0]!.family));
  }) as unknown as LookupFunction;
}

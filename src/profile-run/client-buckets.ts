/**
 * Where the shared token buckets of a profile phase live: one per component with its own `qps`, and one per named
 * client (`clients:`) shared by every component that names it, like one client-go clientset shared by the components
 * of a controller. Each bucket has a limiter-wait operation; the slots sit in the layout's extra area.
 */
import type { Component, Phase, Profile } from '../profile/types.js';
import { RATELIMIT_OPERATION_PREFIX } from '../http/interceptors/rate-limit.js';
import type { ComponentSlots } from './profile-task.js';

/** limiterKey names the bucket a component's requests take tokens from: `client <name>`, its own name (qps), or undefined. */
export function limiterKey(c: Component): string | undefined {
  if (c.client) return `client ${c.client.name}`;
  return c.qps ? c.name : undefined;
}

/** limiterOf returns the qps and burst of a component's bucket, or undefined when it has none. */
export function limiterOf(c: Component): { qps: number; burst: number } | undefined {
  if (c.client) return { qps: c.client.qps, burst: c.client.burst };
  return c.qps ? { qps: c.qps, burst: c.burst ?? Math.max(1, Math.ceil(c.qps)) } : undefined;
}

/** addLimiterOperations appends one `ratelimit wait <key>` operation per bucket of the profile to `operations` and returns key → operation index. */
export function addLimiterOperations(profile: Pick<Profile, 'phases'>, operations: string[]): Map<string, number> {
  const waitOps = new Map<string, number>();
  for (const ph of profile.phases) {
    for (const c of ph.components) {
      const key = limiterKey(c);
      if (key !== undefined && !waitOps.has(key)) {
        waitOps.set(key, operations.length);
        operations.push(`${RATELIMIT_OPERATION_PREFIX}${key}`);
      }
    }
  }
  return waitOps;
}

/** layoutComponentSlots places each component's ticket and (shared) bucket in the extra area from slot 0; returns the slots and how many are used. */
export function layoutComponentSlots(phase: Pick<Phase, 'components'>, waitOps: ReadonlyMap<string, number>): { slots: ComponentSlots[]; used: number } {
  let slot = 0;
  const buckets = new Map<string, number>();
  const slots = phase.components.map((c) => {
    const s: ComponentSlots = { ticket: slot++ };
    const key = limiterKey(c);
    if (key !== undefined) {
      let b = buckets.get(key);
      if (b === undefined) {
        if (slot % 2 === 1) slot++; // token buckets use an 8-byte aligned cell
        b = slot;
        slot += 4;
        buckets.set(key, b);
      }
      s.bucket = b;
      s.waitOperation = waitOps.get(key)!;
    }
    return s;
  });
  return { slots, used: slot };
}

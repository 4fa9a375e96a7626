import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentArrivals } from './profile-worker.js';
import type { Component } from '../profile/types.js';

const comp = (over: Partial<Component>): Component =>
  ({ name: 'c', load: { kind: 'rate', perSecond: 100 }, delayMs: 0, mode: 'scenario', steps: [], at: { file: 'p.yaml', line: 1, column: 1 }, ...over }) as Component;

/** unclaimedArrivals is what LoadEngine counts as dropped for a component: planned by `endMs` and not claimed. */
const unclaimedArrivals = (c: Component, phaseMs: number, endMs: number, claimed: number): number => {
  const p = componentArrivals(c, phaseMs);
  return p.open ? Math.max(0, p.plannedBy(endMs) - claimed) : 0;
};

test('only arrivals due before the end or the stop and never started count as dropped', () => {
  // 100/s over a 30 s phase; stopped (Ctrl-C) at 2 s with 200 started; the last iteration ended at 3.5 s.
  assert.equal(unclaimedArrivals(comp({}), 30_000, Math.min(3_500, 2_000), 200), 0);
  // Stopped at 2 s with 190 started: the 10 due before the stop were dropped.
  assert.equal(unclaimedArrivals(comp({}), 30_000, 2_000, 190), 10);
  // A phase that ran to its end: every planned arrival was due.
  assert.equal(unclaimedArrivals(comp({}), 30_000, 31_000, 2_990), 10);
  // A component delayed 1 s: by the stop at 2 s only 1 s of its arrivals were due.
  assert.equal(unclaimedArrivals(comp({ delayMs: 1_000 }), 30_000, 2_000, 100), 0);
  assert.equal(unclaimedArrivals(comp({ delayMs: 1_000 }), 30_000, 500, 0), 0);
  // A closed-model component plans nothing.
  assert.equal(unclaimedArrivals(comp({ load: { kind: 'concurrency', workers: 4 } }), 30_000, 2_000, 0), 0);
});

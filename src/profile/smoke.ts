/** smokeProfile: the same profile shortened so CI can run every shipped profile in a few seconds. */
import type { Component, ComponentLoad, Profile, Step } from './types.js';

/** SMOKE_LIMITS are the caps smokeProfile applies (durations in ms, rates per second). */
export const SMOKE_LIMITS = {
  phaseMs: 2000,
  iterations: 3,
  rate: 10,
  concurrency: 2,
  watches: 2,
  stepMs: 1000,
  sleepMs: 100,
  lifecycleMs: 200,
} as const;

const cap = (v: number | undefined, max: number): number => Math.min(v ?? max, max);

function smokeLoad(load: ComponentLoad): ComponentLoad {
  switch (load.kind) {
    case 'rate':
      return { kind: 'rate', perSecond: Math.min(load.perSecond, SMOKE_LIMITS.rate) };
    case 'ramp':
      return { kind: 'ramp', from: Math.min(load.from, SMOKE_LIMITS.rate), to: Math.min(load.to, SMOKE_LIMITS.rate) };
    case 'concurrency':
      return { kind: 'concurrency', workers: Math.min(load.workers, SMOKE_LIMITS.concurrency) };
  }
}

function smokeStep(original: Step): Step {
  const step = original.delayMs === undefined ? original : { ...original, delayMs: Math.min(original.delayMs, SMOKE_LIMITS.sleepMs) };
  switch (step.kind) {
    case 'watch':
      return { ...step, count: Math.min(step.count, SMOKE_LIMITS.watches), ...(step.forMs !== undefined ? { forMs: Math.min(step.forMs, SMOKE_LIMITS.phaseMs) } : {}) };
    case 'logs':
      return step.followMs === undefined ? step : { ...step, followMs: Math.min(step.followMs, SMOKE_LIMITS.stepMs) };
    case 'sleep':
      return { ...step, durationMs: Math.min(step.durationMs, SMOKE_LIMITS.sleepMs) };
    default:
      return step;
  }
}

function smokeComponent(c: Component): Component {
  return {
    ...c,
    load: smokeLoad(c.load),
    iterations: cap(c.iterations, SMOKE_LIMITS.iterations),
    delayMs: Math.min(c.delayMs, SMOKE_LIMITS.phaseMs / 4),
    steps: c.steps.map(smokeStep),
  };
}

/** smokeProfile returns a copy with every phase ≤ 2 s and ≤ 3 iterations per component, rates ≤ 10/s, ≤ 2 workers or watches, sleeps and step delays ≤ 100 ms, and mock workflow run times and start delays ≤ 200 ms (pod run times are kept: steps may need running pods). */
export function smokeProfile(profile: Profile): Profile {
  const lc = profile.mock.lifecycle;
  const ms = SMOKE_LIMITS.lifecycleMs;
  return {
    ...profile,
    smoke: true,
    mock: {
      ...profile.mock,
      ...(lc
        ? {
            lifecycle: {
              ...lc,
              ...(lc.podStartDelayMs !== undefined ? { podStartDelayMs: Math.min(lc.podStartDelayMs, ms) } : {}),
              ...(lc.workflowStartDelayMs !== undefined ? { workflowStartDelayMs: Math.min(lc.workflowStartDelayMs, ms) } : {}),
              workflowRunDurationMs: cap(lc.workflowRunDurationMs, ms),
            },
          }
        : { lifecycle: { workflowRunDurationMs: ms } }),
    },
    phases: profile.phases.map((ph) => ({
      ...ph,
      durationMs: cap(ph.durationMs, SMOKE_LIMITS.phaseMs),
      iterations: cap(ph.iterations, SMOKE_LIMITS.iterations),
      components: ph.components.map(smokeComponent),
    })),
  };
}

/**
 * Runs the steps of one profile iteration against the API through the worker's wrapped dispatcher,
 * each step by its kind's module (`steps/<kind>.ts`, looked up in `steps/registry.ts`). Each request
 * carries its step's operation (for the metrics wrapper); the first request of an open-model iteration
 * carries the iteration's intended start, so its latency counts from it.
 */
import type { Step } from '../profile/types.js';
import { STEP_MODULES } from './steps/registry.js';
import type { CompiledStep, Iteration, StepContext } from './steps/step-module.js';

export { StepFailure } from '../errors.js';
export type { CompiledStep, Iteration, StepContext } from './steps/step-module.js';

/** AnyStepModule is a step kind's module taken by its step's own kind (the registry's type guarantees they match). */
interface AnyStepModule {
  prepare?(step: Step): Step;
  run(ctx: StepContext, step: CompiledStep, it: Iteration): Promise<void>;
}

const kindOf = (kind: Step['kind']): AnyStepModule => STEP_MODULES[kind] as unknown as AnyStepModule;

/** prepareStep applies its kind's once-per-worker rewrite to a normalized step (call before compiling its templates). */
export function prepareStep(step: Step): Step {
  const k = kindOf(step.kind);
  return k.prepare ? k.prepare(step) : step;
}

/** runStep executes one step of an iteration; it throws StepFailure when the iteration cannot go on. */
export function runStep(ctx: StepContext, step: CompiledStep, it: Iteration): Promise<void> {
  return kindOf(step.kind).run(ctx, step, it);
}

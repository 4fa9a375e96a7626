/**
 * The interface every step kind implements, and what a step gets from its worker: one module per kind
 * (`create.ts`, `wait.ts`, …), each an object `{ kind, prepare?, run }`, mapped by `registry.ts`.
 */
import type { Compiled } from '../../profile/compile.js';
import type { Step } from '../../profile/types.js';
import type { TemplateScope } from '../../profile/template.js';
import type { ResourcePaths } from '../../kube/resource.js';
import type { DispatchFn } from '../../kube/send.js';
import type { WatchStats } from '../../kube/watch-client.js';

/** CompiledStep is a profile step with its templates compiled to render functions. */
export type CompiledStep = Compiled<Step>;

/** StepOf is the normalized step of one kind, e.g. `StepOf<'create'>` is a CreateStep. */
export type StepOf<K extends Step['kind']> = Extract<Step, { kind: K }>;

/** StepContext is what steps need from the worker; one per component and worker thread. */
export interface StepContext {
  dispatch: DispatchFn;
  /** Dispatch for long-running requests (watches, followed logs): no body timeout. */
  longDispatch: DispatchFn;
  /** Dispatch for execs: the same wrappers without the client-side limiter (default: dispatch). */
  execDispatch?: DispatchFn;
  /** This worker's memory across iterations of the component: optimistic updates' last copies, recorded events (default: none kept). */
  cache?: Map<string, unknown>;
  /** Resolved paths of a step's resource (by the step's resource key). */
  paths: (step: { resource: { resource: string; group: string; version?: string; subresource?: string } }) => ResourcePaths;
  /** Run-clock ms. */
  clock: () => number;
  /** Resolves when the phase ends (for watches held for the phase). */
  phaseEnd: Promise<void>;
  /** Whether the run is stopping (steps that wait give up). */
  stopping: () => boolean;
  runId: string;
  /** Records one watch event's delivery lag (ms) under the watch step's lag operation, when it has one. */
  recordLag?: (watchOperation: number, lagMs: number) => void;
  /** The counters (events by type, relists, 410s, re-watches) of a watch step's operation in the shared metrics. */
  watchStats?: (watchOperation: number) => WatchStats;
  /** The operation recording the durations of a stream step's streams (watches, waits, followed logs, exec sessions), when the run has one. */
  streamOperation?: (operation: number) => number | undefined;
  /** Whether every iteration that could cause events (of components holding no watch, all workers) has ended: held watches wait for it after the phase. */
  workDone?: () => boolean;
  /** Whether the run is aborting (second Ctrl-C): nothing waits any more. */
  aborting?: () => boolean;
}

/** Iteration carries one iteration's template scope and its intended start (used by the first request only). */
export interface Iteration {
  scope: TemplateScope;
  intendedAt: number | undefined;
}

/**
 * StepModule is one kind of profile step. `run` executes one step of an iteration and throws StepFailure
 * when the iteration cannot go on; it may run concurrently for many iterations of a worker. `prepare`
 * (optional) rewrites a normalized step once per worker before its templates are compiled.
 */
export interface StepModule<K extends Step['kind']> {
  readonly kind: K;
  prepare?(step: StepOf<K>): StepOf<K>;
  run(ctx: StepContext, step: Compiled<StepOf<K>>, it: Iteration): Promise<void>;
}

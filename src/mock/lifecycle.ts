/**
 * The mock's simulation of what runs beside an API server (like kwok): the kubelet
 * (./controllers/kubelet.ts: pods Pending → Running → Succeeded/Failed, with the scheduler's and
 * kubelet's Events) and the workflow controller (./controllers/workflow.ts: workflows Pending →
 * Running → Succeeded), after delays with jitter that annotations (./simulation.ts) can override.
 */
import type { MockApi } from './api.js';
import { startKubelet } from './controllers/kubelet.js';
import { startWorkflowController } from './controllers/workflow.js';
import { startProcessRunner, type RunImages } from './process-runner.js';

/** LifecycleOptions sets the simulated timings in ms; `jitter` is a fraction (0.2 = ±20%). */
export interface LifecycleOptions {
  /** Turn the simulation off entirely (objects stay as created). */
  disabled?: boolean;
  /** Simulate the workflow controller (default true); false leaves Workflows to a real controller while pods still run through the simulated kubelet. */
  workflows?: boolean;
  podStartDelayMs?: number;
  podRunDurationMs?: number;
  workflowStartDelayMs?: number;
  workflowRunDurationMs?: number;
  jitter?: number;
  /** Record the scheduler's and kubelet's Events for each pod (Scheduled, Pulled, Created, Started, Killing; default true). */
  podEvents?: boolean;
  /** Images whose containers run as local processes (image → command line; see process-runner.ts): their exits, not timers, end them. */
  runImages?: RunImages;
  /** The kubeconfig file run-image processes get as KUBECONFIG (unless their container sets it): the process runner's stand-in for the pod's service account. */
  runKubeconfig?: string;
}

export { ANNOTATIONS, MIN_RESTART_INTERVAL_MS, ignoresSignal, parseContainerExits } from './simulation.js';
export { exitContainers } from './container-state.js';

/** startLifecycle subscribes the simulation to the API's store and returns its stop function. */
export function startLifecycle(api: MockApi, options: LifecycleOptions = {}): () => void {
  if (options.disabled) return () => {};
  const jitter = options.jitter ?? 0.2;
  const runner = options.runImages && Object.keys(options.runImages).length ? startProcessRunner(api, options.runImages, options.runKubeconfig) : undefined;
  const offPods = startKubelet(api, {
    podStartDelayMs: options.podStartDelayMs ?? 50,
    podRunDurationMs: options.podRunDurationMs ?? 1000,
    jitter,
    podEvents: options.podEvents ?? true,
    runner,
  });
  const offWf =
    options.workflows === false
      ? () => {}
      : startWorkflowController(api, { workflowStartDelayMs: options.workflowStartDelayMs ?? 50, workflowRunDurationMs: options.workflowRunDurationMs ?? 1000, jitter });
  return () => {
    offPods();
    offWf();
    runner?.stop();
  };
}

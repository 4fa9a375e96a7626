/**
 * The simulated Argo workflow controller: a new Workflow goes Pending → Running → Succeeded (or
 * Failed with racerig.dev/exit-code) after delays with jitter that annotations can override.
 */
import type { MockApi } from '../api.js';
import type { KubeObject, StoreEvent } from '../store.js';
import { nowRfc3339 } from '../objects.js';
import { ANNOTATIONS, jittered, override, updateLive } from '../simulation.js';

const WORKFLOWS_ID = 'argoproj.io/workflows';

/** WorkflowControllerOptions are the simulated workflow controller's timings in ms; `jitter` is a fraction (0.2 = ±20%). */
export interface WorkflowControllerOptions {
  workflowStartDelayMs: number;
  workflowRunDurationMs: number;
  jitter: number;
}

/** startWorkflowController subscribes the simulated workflow controller to the API's Workflows and returns its stop function. */
export function startWorkflowController(api: MockApi, options: WorkflowControllerOptions): () => void {
  const { jitter } = options;
  const wfStart = options.workflowStartDelayMs;
  const wfRun = options.workflowRunDurationMs;
  const onWorkflow = (ev: StoreEvent) => {
    if (ev.type !== 'ADDED') return;
    const { key, obj } = ev.stored;
    const uid = obj.metadata.uid!;
    const startIn = jittered(override(obj, ANNOTATIONS.startDelay, wfStart), jitter);
    const runFor = jittered(override(obj, ANNOTATIONS.runDuration, wfRun), jitter);
    const exitCode = override(obj, ANNOTATIONS.exitCode, 0);
    const setPhase = (o: KubeObject, phase: string) => {
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'workflows.argoproj.io/phase': phase };
      const st = (o.status ??= {}) as Record<string, unknown>;
      st.phase = phase;
    };
    api.later(startIn, () => {
      updateLive(api, WORKFLOWS_ID, key, uid, (o) => {
        setPhase(o, 'Running');
        const st = o.status as Record<string, unknown>;
        st.startedAt = nowRfc3339();
        st.progress = '0/1';
        return true;
      });
      api.later(runFor, () =>
        updateLive(api, WORKFLOWS_ID, key, uid, (o) => {
          if ((o.status as { phase?: string }).phase !== 'Running') return false;
          setPhase(o, exitCode === 0 ? 'Succeeded' : 'Failed');
          o.metadata.labels!['workflows.argoproj.io/completed'] = 'true';
          const st = o.status as Record<string, unknown>;
          st.finishedAt = nowRfc3339();
          st.progress = exitCode === 0 ? '1/1' : '0/1';
          if (exitCode !== 0) st.message = `exit code ${exitCode}`;
          return true;
        }),
      );
    });
  };
  return api.store.subscribe(WORKFLOWS_ID, onWorkflow);
}

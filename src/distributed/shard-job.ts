/**
 * The Indexed Job of a distributed run and what the coordinator reads of its pods: the labels that mark a
 * run's objects, the Job whose pods run one shard each, and why a shard's pod is not running.
 */
import { ResourcePaths } from '../kube/resource.js';
import { BUNDLE_ENV } from './bundle.js';
import type { CoordinatorOptions } from './coordinator.js';

/** RUN_LABEL marks every object the coordinator creates (and, in a profile run, every object the shards create). */
export const RUN_LABEL = 'racerig.io/run';
/** ROLE_LABEL tells the Job, its pods and ConfigMap (`shard`) from the objects a profile run creates under the same run label. */
export const ROLE_LABEL = 'racerig.io/role';

export const jobs = (prefix: string) => new ResourcePaths({ group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true }, prefix);
export const pods = (prefix: string) => new ResourcePaths({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true }, prefix);
export const configMaps = (prefix: string) => new ResourcePaths({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true }, prefix);

/** PodView is the part of a Pod the coordinator reads. */
export interface PodView {
  metadata: { name: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string }; terminated?: { exitCode?: number; reason?: string } } }>;
  };
}

/** shardJob builds the Indexed Job of a distributed run. */
export function shardJob(name: string, runId: string, o: CoordinatorOptions, startAtMs: number): Record<string, unknown> {
  // A profile shard reads its bundle from the ConfigMap, targets the cluster it runs in (which the
  // coordinator's own target check accepted: its in-cluster address is not loopback) and labels what it
  // creates with the coordinator's run id, so one cleanup finds every shard's objects.
  const what = o.profile ? [o.profile.bundlePath, '--bundle', BUNDLE_ENV, '--in-cluster', '--allow-remote', '--run-id', runId] : [o.url!];
  const args = ['run', ...what, ...o.shardArgs, '--shard', `$(JOB_COMPLETION_INDEX)/${o.shards}`, '--start-at', String(startAtMs), '--progress', 'ndjson'];
  const labels = { [RUN_LABEL]: runId, 'app.kubernetes.io/name': 'racerig', [ROLE_LABEL]: 'shard' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.shards,
      // One index per shard, never retried (a retried shard would start late with a fresh count); a failing
      // shard fails only its index, the others run to the end (Job reason FailedIndexes). Kubernetes 1.28+.
      backoffLimitPerIndex: 0,
      maxFailedIndexes: o.shards,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 30,
          ...(Object.keys(o.nodeSelector).length ? { nodeSelector: o.nodeSelector } : {}),
          ...(o.serviceAccount ? { serviceAccountName: o.serviceAccount } : {}),
          containers: [
            {
              name: 'racerig',
              image: o.image,
              args,
              env: [
                { name: 'RACERIG_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'RACERIG_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                ...(o.profile ? [{ name: BUNDLE_ENV, valueFrom: { configMapKeyRef: { name, key: 'bundle' } } }] : []),
              ],
              ...(Object.keys(o.resources).length ? { resources: { requests: o.resources } } : {}),
            },
          ],
        },
      },
    },
  };
}

/** podProblem says why a pod is not running, from its conditions and container states (undefined: no known problem). */
export function podProblem(p: PodView): string | undefined {
  const st = p.status ?? {};
  const sched = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched) return `cannot be scheduled: ${sched.reason ?? ''}${sched.message ? ` (${sched.message})` : ''}`;
  const waiting = st.containerStatuses?.find((c) => c.state?.waiting?.reason && c.state.waiting.reason !== 'ContainerCreating')?.state?.waiting;
  if (waiting) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  const term = st.containerStatuses?.find((c) => c.state?.terminated)?.state?.terminated;
  if (st.phase === 'Failed') return `pod failed${st.reason ? ` (${st.reason})` : ''}${term ? `: exit code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}` : ''}`;
  return undefined;
}

/**
 * The mock's Job controller: runs a Job's pods (owned by it, labelled `batch.kubernetes.io/job-name`
 * and `batch.kubernetes.io/controller-uid`) up to `parallelism` at once until `completions` pods have
 * succeeded, in NonIndexed mode (completions unset: until one succeeds) or Indexed mode (each pod
 * has its index in the `batch.kubernetes.io/job-completion-index` annotation and label and in
 * JOB_COMPLETION_INDEX; each index succeeds once). More failed pods than `backoffLimit` fail the
 * Job (BackoffLimitExceeded). With `backoffLimitPerIndex` (Indexed only, as in Kubernetes 1.28+) the
 * backoff limit counts per index instead: an index whose pods failed more often than that is failed
 * (listed in `status.failedIndexes`, not retried) while the other indexes keep running; more failed
 * indexes than `maxFailedIndexes` fail the Job at once (MaxFailedIndexesExceeded, its active pods
 * deleted), else once every index has succeeded or failed the Job fails with reason FailedIndexes.
 * Retried pods carry `batch.kubernetes.io/job-index-failure-count`. A Job's pod deleted before it
 * succeeded counts as failed, as Kubernetes' finalizer-based tracking counts it. Status: active, ready,
 * succeeded, failed, startTime, completionTime, completedIndexes, failedIndexes, and the
 * SuccessCriteriaMet/Complete or FailureTarget/Failed conditions. The pod lifecycle simulation runs
 * the pods (restartPolicy Never/OnFailure) to completion.
 */
import type { MockApi } from '../api.js';
import type { KubeObject, StoreEvent, StoredObject } from '../store.js';
import { nowRfc3339 } from '../objects.js';
import { condition, controllerRef, isPodReady, podPhase, update, workQueue, type Condition } from './workqueue.js';

const JOBS_ID = 'batch/jobs';
const PODS_ID = '/pods';

/** COMPLETION_INDEX is the annotation and label carrying an Indexed Job pod's index. */
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** INDEX_FAILURE_COUNT is the annotation with how often an index failed before this pod (backoffLimitPerIndex). */
export const INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';

interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  completionMode?: string;
  backoffLimit?: number;
  backoffLimitPerIndex?: number | null;
  maxFailedIndexes?: number | null;
  suspend?: boolean;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { containers?: Array<Record<string, unknown>> } & Record<string, unknown> };
}

/** formatIndexes renders a set of indexes as kube does in completedIndexes: ranges like "0-2,4". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function indexOf(p: StoredObject): number {
  return Number(p.obj.metadata.annotations?.[COMPLETION_INDEX] ?? -1);
}

const FAILURE_MESSAGES: Record<string, string> = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  MaxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
  FailedIndexes: 'Job has failed indexes',
};

/** isFinished tells whether a Job has its Complete or Failed condition. */
function isFinished(job: KubeObject): boolean {
  return !!(job.status as { conditions?: Condition[] } | undefined)?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** startJobController subscribes the controller to the API's store and returns its stop function. */
export function startJobController(api: MockApi): () => void {
  const podInfo = api.registry.get('', 'v1', 'pods')!;
  /** Per Job uid: the indexes (-1 when NonIndexed) of its pods deleted from the store, failed or succeeded. */
  const gone = new Map<string, { failed: number[]; succeeded: number[] }>();

  const reconcile = (key: string) => {
    const job = api.store.get(JOBS_ID, key);
    if (!job || job.obj.metadata.deletionTimestamp || isFinished(job.obj)) return;
    const spec = job.obj.spec as JobSpec | undefined;
    if (!spec?.template?.spec) return;
    const ns = job.obj.metadata.namespace!;
    const uid = job.obj.metadata.uid!;
    const name = job.obj.metadata.name!;
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions ?? null;
    const indexed = spec.completionMode === 'Indexed';
    const perIndex = indexed && typeof spec.backoffLimitPerIndex === 'number' ? spec.backoffLimitPerIndex : undefined;
    const maxFailedIndexes = perIndex !== undefined && typeof spec.maxFailedIndexes === 'number' ? spec.maxFailedIndexes : undefined;
    const backoffLimit = perIndex !== undefined ? Number.MAX_SAFE_INTEGER : (spec.backoffLimit ?? 6);
    const lost = gone.get(uid);
    const pods = api.store.list(PODS_ID, ns).filter((p) => controllerRef(p.obj)?.uid === uid);
    const succeededPods = pods.filter((p) => podPhase(p.obj) === 'Succeeded');
    // A pod being deleted before it succeeded has failed (Kubernetes counts it so), whatever its phase yet.
    const failedPods = pods.filter((p) => podPhase(p.obj) === 'Failed' || (p.obj.metadata.deletionTimestamp && podPhase(p.obj) !== 'Succeeded'));
    const failed = failedPods.length + (lost?.failed.length ?? 0);
    const active = pods.filter((p) => !p.obj.metadata.deletionTimestamp && podPhase(p.obj) !== 'Succeeded' && podPhase(p.obj) !== 'Failed');
    const doneIndexes = new Set(indexed ? [...succeededPods.map(indexOf), ...(lost?.succeeded ?? [])].filter((i) => i >= 0) : []);
    const succeeded = indexed ? doneIndexes.size : succeededPods.length + (lost?.succeeded.length ?? 0);
    // Per index: how often it failed (its failed pods, kept or deleted); beyond backoffLimitPerIndex it is failed for good.
    const failuresOf = new Map<number, number>();
    for (const i of [...failedPods.map(indexOf), ...(lost?.failed ?? [])]) if (i >= 0) failuresOf.set(i, (failuresOf.get(i) ?? 0) + 1);
    const failedIndexes = new Set(perIndex === undefined ? [] : [...failuresOf].filter(([i, n]) => n > perIndex && !doneIndexes.has(i)).map(([i]) => i));
    const complete = completions === null ? succeeded > 0 && active.length === 0 : succeeded >= completions;
    const tooManyIndexes = maxFailedIndexes !== undefined && failedIndexes.size > maxFailedIndexes;
    const allIndexesDone = completions !== null && doneIndexes.size + failedIndexes.size >= completions && active.length === 0;
    const failureReason = complete
      ? undefined
      : failed > backoffLimit
        ? 'BackoffLimitExceeded'
        : tooManyIndexes
          ? 'MaxFailedIndexesExceeded'
          : failedIndexes.size > 0 && allIndexesDone
            ? 'FailedIndexes'
            : undefined;
    const failedNow = failureReason !== undefined;
    if (!complete && !failedNow && !spec.suspend) {
      const remaining = completions === null ? (succeeded > 0 ? 0 : parallelism) : completions - succeeded - failedIndexes.size;
      const target = Math.min(parallelism, remaining);
      const busy = new Set(active.map(indexOf));
      const free = indexed ? [...Array(completions ?? 0).keys()].filter((i) => !doneIndexes.has(i) && !failedIndexes.has(i) && !busy.has(i)) : [];
      for (let n = active.length; n < target; n++) {
        const idx = indexed ? free.shift() : undefined;
        if (indexed && idx === undefined) break;
        createPod(ns, name, uid, spec, idx, perIndex !== undefined && idx !== undefined ? (failuresOf.get(idx) ?? 0) : undefined);
      }
    }
    if (failedNow) {
      for (const p of active) {
        try {
          api.delete(podInfo, ns, p.obj.metadata.name!);
        } catch {
          /* gone meanwhile */
        }
      }
    }
    const stillActive = api.store.list(PODS_ID, ns).filter((p) => controllerRef(p.obj)?.uid === uid && !p.obj.metadata.deletionTimestamp && podPhase(p.obj) !== 'Succeeded' && podPhase(p.obj) !== 'Failed');
    const now = nowRfc3339();
    update(api, JOBS_ID, key, (o) => {
      const prev = (o.status ?? {}) as { startTime?: string; conditions?: Condition[]; completionTime?: string };
      const conditions: Condition[] = [];
      if (complete) {
        conditions.push(condition(prev.conditions, { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }, now, false));
        conditions.push(condition(prev.conditions, { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }, now, false));
      } else if (failedNow) {
        const message = FAILURE_MESSAGES[failureReason]!;
        conditions.push(condition(prev.conditions, { type: 'FailureTarget', status: 'True', reason: failureReason, message }, now, false));
        conditions.push(condition(prev.conditions, { type: 'Failed', status: 'True', reason: failureReason, message }, now, false));
      }
      for (const c of conditions) c.lastProbeTime = now;
      o.status = {
        ...(prev.startTime || pods.length || stillActive.length ? { startTime: prev.startTime ?? now } : {}),
        ...(stillActive.length ? { active: stillActive.length } : {}),
        ready: stillActive.filter((p) => isPodReady(p.obj)).length,
        ...(succeeded ? { succeeded } : {}),
        ...(failed ? { failed } : {}),
        terminating: 0,
        ...(indexed && doneIndexes.size ? { completedIndexes: formatIndexes(doneIndexes) } : {}),
        ...(perIndex !== undefined ? { failedIndexes: formatIndexes(failedIndexes) } : {}),
        uncountedTerminatedPods: {},
        ...(conditions.length ? { conditions } : {}),
        ...(complete ? { completionTime: prev.completionTime ?? now } : {}),
      };
    });
  };

  const createPod = (ns: string, job: string, uid: string, spec: JobSpec, index: number | undefined, failureCount: number | undefined) => {
    const t = spec.template!;
    const podSpec = structuredClone(t.spec!);
    const labels: Record<string, string> = { ...(t.metadata?.labels ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': job, 'controller-uid': uid, 'job-name': job };
    const annotations: Record<string, string> = { ...(t.metadata?.annotations ?? {}) };
    if (index !== undefined) {
      labels[COMPLETION_INDEX] = String(index);
      annotations[COMPLETION_INDEX] = String(index);
      if (failureCount !== undefined) annotations[INDEX_FAILURE_COUNT] = String(failureCount);
      for (const c of podSpec.containers ?? []) c.env = [...((c.env as unknown[] | undefined) ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } }];
    }
    api.create(podInfo, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: index !== undefined ? `${job}-${index}-` : `${job}-`,
        labels,
        annotations,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job, uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: podSpec,
    });
  };

  const enqueue = workQueue(api, reconcile);
  const offJobs = api.store.subscribe(JOBS_ID, (ev: StoreEvent) => {
    if (ev.type !== 'DELETED') enqueue(ev.stored.key);
    else gone.delete(ev.stored.obj.metadata.uid!);
  });
  const offPods = api.store.subscribe(PODS_ID, (ev: StoreEvent) => {
    const ref = controllerRef(ev.stored.obj);
    if (ref?.kind !== 'Job' || !ref.name) return;
    if (ev.type === 'DELETED' && ref.uid) {
      // The pod is gone from the store: keep counting it (a pod deleted before it succeeded failed).
      const g = gone.get(ref.uid) ?? { failed: [], succeeded: [] };
      gone.set(ref.uid, g);
      (podPhase(ev.stored.obj) === 'Succeeded' ? g.succeeded : g.failed).push(indexOf(ev.stored));
    }
    enqueue(`${ev.stored.obj.metadata.namespace}/${ref.name}`);
  });
  return () => {
    offJobs();
    offPods();
  };
}

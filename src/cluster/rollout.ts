/**
 * Rollout state of a Deployment, as `kubectl rollout status` judges it (kubectl's
 * polymorphichelpers/rollout_status.go): the controller observed the latest generation, every replica is
 * updated, no old replica remains, and every updated replica is available.
 */

/** DeploymentLike is the part of a Deployment the rollout check reads. */
export interface DeploymentLike {
  metadata: { name?: string; namespace?: string; generation?: number };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** RolloutState is the verdict: done, still waiting (with kubectl's message), or failed (progress deadline exceeded). */
export interface RolloutState {
  done: boolean;
  failed: boolean;
  message: string;
}

/** rolloutState judges one Deployment. */
export function rolloutState(d: DeploymentLike): RolloutState {
  const name = d.metadata.name ?? '';
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { done: false, failed: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline` };
  const want = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const replicas = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want) return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
  if (replicas > updated) return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...` };
  if (available < updated) return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { done: true, failed: false, message: `deployment "${name}" successfully rolled out` };
}

/** selectorOf turns a Deployment's `matchLabels` into a label selector string ('' when it has none). */
export function selectorOf(d: DeploymentLike): string {
  return Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

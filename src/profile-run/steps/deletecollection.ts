/** The `deletecollection` step: deletes the run's objects matching its selectors. */
import { deleteCollectionRequest } from '../../kube/requests.js';
import { RUN_LABEL } from '../../profile/types.js';
import { call } from './request.js';
import type { StepModule } from './step-module.js';

/** deleteCollectionStep DELETEs the collection; the run label is always part of the label selector, so only this run's objects go. */
export const deleteCollectionStep: StepModule<'deletecollection'> = {
  kind: 'deletecollection',
  async run(ctx, step, it) {
    const scope = it.scope;
    const selector = [`${RUN_LABEL}=${ctx.runId}`, step.labelSelector?.(scope)].filter(Boolean).join(',');
    const fieldSelector = step.fieldSelector?.(scope);
    await call(
      ctx,
      step,
      deleteCollectionRequest(ctx.paths(step), step.namespace(scope), {
        labelSelector: selector,
        ...(fieldSelector ? { fieldSelector } : {}),
        ...(step.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: step.gracePeriodSeconds } : {}),
        ...(step.propagationPolicy ? { propagationPolicy: step.propagationPolicy } : {}),
      }),
      it,
    );
  },
};

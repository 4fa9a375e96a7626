/** The `delete` step: deletes one object. */
import { deleteRequest } from '../../kube/requests.js';
import { call } from './request.js';
import type { StepModule } from './step-module.js';

/** deleteStep DELETEs one object with its grace period and propagation policy; `ignoreNotFound` takes a 404 as success. */
export const deleteStep: StepModule<'delete'> = {
  kind: 'delete',
  async run(ctx, step, it) {
    const scope = it.scope;
    await call(
      ctx,
      step,
      deleteRequest(ctx.paths(step), step.namespace(scope), step.name(scope), {
        ...(step.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: step.gracePeriodSeconds } : {}),
        ...(step.propagationPolicy ? { propagationPolicy: step.propagationPolicy } : {}),
      }),
      it,
      step.ignoreNotFound ? [200, 202, 404] : undefined,
    );
  },
};

/** The `get` step: reads one object. */
import { getRequest } from '../../kube/requests.js';
import { call, json } from './request.js';
import type { StepModule } from './step-module.js';

/** getStep GETs one object; `as` stores it. */
export const getStep: StepModule<'get'> = {
  kind: 'get',
  async run(ctx, step, it) {
    const scope = it.scope;
    const res = await call(ctx, step, getRequest(ctx.paths(step), step.namespace(scope), step.name(scope)), it);
    if (step.as) scope.objects[step.as] = json(res);
  },
};

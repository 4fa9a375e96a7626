/** The `patch` step: merge, strategic merge (both stamped with the send time), JSON or apply patches. */
import { patchRequest } from '../../kube/requests.js';
import { stampPatch, withSentAtPlaceholder } from '../sent-at.js';
import { call, json } from './request.js';
import type { StepModule } from './step-module.js';

/** patchStep sends its patch (apply patches with field manager `racerig` unless named); `as` stores the patched object. */
export const patchStep: StepModule<'patch'> = {
  kind: 'patch',
  prepare: (step) => (step.type === 'merge' || step.type === 'strategic' ? { ...step, body: withSentAtPlaceholder(step.body) ?? step.body } : step),
  async run(ctx, step, it) {
    const scope = it.scope;
    let body = step.body(scope);
    if (step.type === 'merge' || step.type === 'strategic') body = stampPatch(body);
    const res = await call(
      ctx,
      step,
      patchRequest(
        ctx.paths(step),
        step.namespace(scope),
        step.name(scope),
        step.type,
        body,
        {
          ...(step.fieldManager ? { fieldManager: step.fieldManager } : step.type === 'apply' ? { fieldManager: 'racerig' } : {}),
          ...(step.force ? { force: true } : {}),
        },
        step.resource.subresource,
      ),
      it,
    );
    if (step.as) scope.objects[step.as] = json(res);
  },
};

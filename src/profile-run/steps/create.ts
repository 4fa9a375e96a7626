/** The `create` step: POSTs its manifest, stamped with the send time (sent-at). */
import { createRequest } from '../../kube/requests.js';
import { stampManifest, withSentAtPlaceholder } from '../sent-at.js';
import { call, json } from './request.js';
import type { StepModule } from './step-module.js';

/** createStep creates the object of its manifest; `as` stores the created object. */
export const createStep: StepModule<'create'> = {
  kind: 'create',
  prepare: (step) => ({ ...step, manifest: withSentAtPlaceholder(step.manifest) ?? step.manifest }),
  async run(ctx, step, it) {
    const scope = it.scope;
    const res = await call(ctx, step, createRequest(ctx.paths(step), step.namespace(scope), stampManifest(step.manifest(scope))), it);
    if (step.as) scope.objects[step.as] = json(res);
  },
};

/** The `update` step: read, set fields, PUT back (stamped with the send time), retrying conflicts. */
import { send } from '../../kube/send.js';
import { getRequest, updateRequest } from '../../kube/requests.js';
import { writeField } from '../../profile/field-path.js';
import { stampObject } from '../sent-at.js';
import { call, failure, json, requestOptions } from './request.js';
import type { StepModule } from './step-module.js';

/**
 * updateStep GETs the object, sets its fields and PUTs it; a 409 Conflict GETs again, up to
 * `retryOnConflict` times. `optimistic`: PUT this worker's last copy first; its 409 falls back to GET+PUT.
 */
export const updateStep: StepModule<'update'> = {
  kind: 'update',
  async run(ctx, step, it) {
    const scope = it.scope;
    const paths = ctx.paths(step);
    const ns = step.namespace(scope);
    const name = step.name(scope);
    const key = `update ${step.operationIndex} ${ns}/${name}`;
    let cached = step.optimistic ? (ctx.cache?.get(key) as Record<string, unknown> | undefined) : undefined;
    for (let attempt = cached ? -1 : 0; ; attempt++) {
      const current = cached ?? (json(await call(ctx, step, getRequest(paths, ns, name), it)) as Record<string, unknown>);
      cached = undefined;
      for (const s of step.set) writeField(current, s.path, JSON.parse(s.value(scope)));
      stampObject(current);
      const res = await send(ctx.dispatch, requestOptions(updateRequest(paths, ns, name, current, undefined, step.resource.subresource), step.operationIndex, it));
      if (res.status === 409 && attempt < step.retryOnConflict) continue;
      if (res.status < 200 || res.status >= 300) {
        ctx.cache?.delete(key);
        throw failure(step.operation, res);
      }
      const written = step.optimistic || step.as ? json(res) : undefined;
      if (step.optimistic) ctx.cache?.set(key, written);
      if (step.as) scope.objects[step.as] = step.optimistic ? structuredClone(written) : written;
      return;
    }
  },
};

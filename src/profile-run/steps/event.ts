/** The `event` step: records an Event the way client-go's event recorder does. */
import { send } from '../../kube/send.js';
import { createRequest, patchRequest } from '../../kube/requests.js';
import { RUN_LABEL } from '../../profile/types.js';
import { call, failure, requestOptions } from './request.js';
import type { StepModule } from './step-module.js';

/** EVENT_CACHE_MAX bounds the events a worker remembers per component for PATCHing repeats (client-go's event cache holds 4096). */
const EVENT_CACHE_MAX = 4096;

const eventTime = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * eventStep records an Event: the first time a POST of a new Event named `<object>.<hex ns timestamp>`
 * with count 1; when the same event (object, reason, message, type, component) repeats in this worker,
 * a strategic merge PATCH of its count, message and lastTimestamp; a PATCH answered 404 creates it again.
 */
export const eventStep: StepModule<'event'> = {
  kind: 'event',
  async run(ctx, step, it) {
    const scope = it.scope;
    const ns = step.namespace(scope);
    const io = step.involvedObject;
    const involved = { apiVersion: io.apiVersion, kind: io.kind, name: io.name(scope), namespace: io.namespace ? io.namespace(scope) : ns, ...(io.uid ? { uid: io.uid(scope) } : {}) };
    const reason = step.reason(scope);
    const message = step.message(scope);
    const key = `event ${JSON.stringify([involved, reason, message, step.type, step.component])}`;
    const seen = ctx.cache?.get(key) as { name: string; count: number; first: string } | undefined;
    const now = eventTime();
    const paths = ctx.paths(step);
    if (seen) {
      seen.count++;
      const body = JSON.stringify({ count: seen.count, lastTimestamp: now, message });
      const res = await send(ctx.dispatch, requestOptions(patchRequest(paths, ns, seen.name, 'strategic', body), step.operationIndex, it));
      if (res.status >= 200 && res.status < 300) return;
      ctx.cache!.delete(key);
      if (res.status !== 404) throw failure(step.operation, res);
    }
    const name = `${involved.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns, labels: { [RUN_LABEL]: ctx.runId } },
      involvedObject: involved,
      reason,
      message,
      type: step.type,
      source: { component: step.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: step.component,
    };
    await call(ctx, step, createRequest(paths, ns, JSON.stringify(event)), it);
    if (ctx.cache) {
      if (ctx.cache.size >= EVENT_CACHE_MAX) {
        for (const k of ctx.cache.keys()) {
          if (k.startsWith('event ')) {
            ctx.cache.delete(k);
            break;
          }
        }
      }
      ctx.cache.set(key, { name, count: 1, first: now });
    }
  },
};

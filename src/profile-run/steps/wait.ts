/** The `wait` step: waits until a condition holds on one object, by GET then watch (never by polling). */
import { send } from '../../kube/send.js';
import { getRequest, watchRequest } from '../../kube/requests.js';
import type { Compiled } from '../../profile/compile.js';
import { StepFailure } from '../../errors.js';
import { conditionHolds } from '../condition-holds.js';
import { failure, json, requestOptions } from './request.js';
import { WaitWatchHandler, type WaitEnd } from './wait-watch.js';
import type { Iteration, StepContext, StepModule, StepOf } from './step-module.js';

/** STOP_CHECK_MS is how often a waiting step checks whether the run is stopping. */
const STOP_CHECK_MS = 200;
/** MAX_ROUNDS bounds the GET+watch rounds of one wait (each re-GET follows a 410 or a stream the server ended). */
const MAX_ROUNDS = 10_000;

/** waitStep waits until `until` holds on the object (failing after `timeoutMs`, or when the run stops); `as` stores the object that met it. */
export const waitStep: StepModule<'wait'> = {
  kind: 'wait',
  async run(ctx, step, it) {
    const obj = await waitFor(ctx, step, it);
    if (step.as) it.scope.objects[step.as] = obj;
  },
};

/**
 * waitFor waits until the step's condition holds on its object: a GET (the object may already qualify;
 * its resourceVersion starts the watch), then a watch of that one object (fieldSelector
 * metadata.name=<name>) until an event meets the condition. A 410 Expired (or a stream the server
 * ended) re-GETs and watches again; those 410s and re-watches are counted in the operation's watch
 * counters. Every GET and watch request counts under the step's operation.
 */
async function waitFor(ctx: StepContext, step: Compiled<StepOf<'wait'>>, it: Iteration): Promise<unknown> {
  const scope = it.scope;
  const paths = ctx.paths(step);
  const ns = step.namespace(scope);
  const name = step.name(scope);
  const deadline = ctx.clock() + step.timeoutMs;
  const timeout = () => new StepFailure(`${step.operation}: timeout`, `${step.operation}: condition ${step.until.field} not met within ${step.timeoutMs} ms`);
  const stopped = () => new StepFailure(`${step.operation}: stopped`, `${step.operation}: the run stopped before condition ${step.until.field} was met`);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const res = await send(ctx.dispatch, requestOptions(getRequest(paths, ns, name), step.operationIndex, it));
    let resourceVersion: string | undefined;
    if (res.status === 200) {
      const obj = json(res) as { metadata?: { resourceVersion?: string } };
      if (conditionHolds(obj, step.until)) return obj;
      resourceVersion = obj.metadata?.resourceVersion;
    } else if (res.status !== 404) throw failure(step.operation, res);
    // 404: not created yet; a watch without resourceVersion first sends the object as ADDED if it appears meanwhile.
    const remaining = deadline - ctx.clock();
    if (remaining <= 0) throw timeout();
    if (ctx.stopping()) throw stopped();
    const end = await new Promise<WaitEnd>((resolve) => {
      const handler = new WaitWatchHandler(step.until, (e) => {
        clearTimeout(timer);
        clearInterval(stopCheck);
        resolve(e);
      });
      const timer = setTimeout(() => handler.stop({ kind: 'timeout' }), remaining);
      const stopCheck = setInterval(() => ctx.stopping() && handler.stop({ kind: 'stopped' }), STOP_CHECK_MS);
      const req = watchRequest(paths, ns, {
        fieldSelector: `metadata.name=${name}`,
        ...(resourceVersion ? { resourceVersion } : {}),
        timeoutSeconds: Math.max(1, Math.ceil(remaining / 1000)),
      });
      try {
        ctx.longDispatch(requestOptions(req, step.operationIndex, it, ctx.streamOperation?.(step.operationIndex)), handler);
      } catch (err) {
        handler.stop({ kind: 'error', error: err as Error });
      }
    });
    switch (end.kind) {
      case 'met':
        return end.object;
      case 'timeout':
        throw timeout();
      case 'stopped':
        throw stopped();
      case 'failed':
        throw failure(step.operation, end.res);
      case 'error':
        throw new StepFailure(`${step.operation}: ${end.error.message.slice(0, 60)}`, `${step.operation}: watch failed: ${end.error.message}`);
      case 'expired':
        ctx.watchStats?.(step.operationIndex).expired();
        ctx.watchStats?.(step.operationIndex).rewatch();
        continue; // re-GET: the version expired
      case 'ended':
        ctx.watchStats?.(step.operationIndex).rewatch();
        continue; // re-GET: the server ended the stream
    }
  }
  throw timeout();
}

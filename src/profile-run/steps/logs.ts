/** The `logs` step: reads pods/log once, or follows it for a while. */
import { logRequest, type KubeRequest } from '../../kube/requests.js';
import { StepFailure } from '../../errors.js';
import { call, requestOptions, type StepOperation } from './request.js';
import type { Iteration, StepContext, StepModule } from './step-module.js';

/** logsStep GETs the pod's log; with `followMs` it follows the stream that long, then ends it (success when the answer was 2xx). */
export const logsStep: StepModule<'logs'> = {
  kind: 'logs',
  async run(ctx, step, it) {
    const scope = it.scope;
    const follow = step.followMs !== undefined;
    const req = logRequest(ctx.paths(step), step.namespace(scope), step.pod(scope), {
      ...(step.container ? { container: step.container(scope) } : {}),
      ...(step.tailLines !== undefined ? { tailLines: step.tailLines } : {}),
      ...(step.timestamps ? { timestamps: true } : {}),
      ...(follow ? { follow: true } : {}),
    });
    if (!follow) {
      await call(ctx, step, req, it);
      return;
    }
    await followFor(ctx, step, req, it, step.followMs!);
  },
};

/**
 * followFor holds a streaming request for `ms` from its establishment (the response headers: on a slow
 * server the follow is not cut short, the request's timeout bounds the wait for them), then aborts it;
 * the metrics wrapper counts the stream when it ends.
 */
async function followFor(ctx: StepContext, step: StepOperation, req: KubeRequest, it: Iteration, ms: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let controller: { abort(reason?: Error): void } | undefined;
    let status = 0;
    let timer: NodeJS.Timeout | undefined;
    ctx.longDispatch(requestOptions(req, step.operationIndex, it, ctx.streamOperation?.(step.operationIndex)), {
      onRequestStart(c) {
        controller = c;
      },
      onResponseStart(_c, s) {
        status = s;
        timer = setTimeout(() => controller?.abort(new Error('follow time over')), ms);
      },
      onResponseData() {},
      onResponseEnd() {
        clearTimeout(timer);
        if (status >= 200 && status < 300) resolve();
        else reject(new StepFailure(`${step.operation}: ${status}`, `${step.operation} answered ${status}`));
      },
      onResponseError(_c, err) {
        clearTimeout(timer);
        // Ending the follow ourselves is success.
        if (status >= 200 && status < 300) resolve();
        else reject(new StepFailure(`${step.operation}: ${err.message.slice(0, 40)}`, err.message));
      },
    });
  });
}

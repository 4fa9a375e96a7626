/** What the request-sending step kinds share: dispatch options of a step's request, sending with a status check, failures, JSON bodies. */
import { send, type KubeResponse } from '../../kube/send.js';
import type { KubeRequest } from '../../kube/requests.js';
import { parseStatus } from '../../kube/status.js';
import type { RigDispatchOptions } from '../../http/request-options.js';
import { StepFailure } from '../../errors.js';
import type { Iteration, StepContext } from './step-module.js';

/** StepOperation is the part of a step naming its metrics operation. */
export interface StepOperation {
  operationIndex: number;
  operation: string;
}

/** requestOptions returns a step request's dispatch options; the first request of an iteration takes (and clears) its intended start. */
export function requestOptions(req: KubeRequest, operation: number, it: Iteration, streamOperation?: number): RigDispatchOptions {
  const o: RigDispatchOptions = { method: req.method, path: req.path, headers: req.headers, operation };
  if (streamOperation !== undefined) o.streamOperation = streamOperation;
  if (req.body !== undefined) o.body = req.body;
  if (it.intendedAt !== undefined) {
    o.intendedAt = it.intendedAt;
    it.intendedAt = undefined; // later requests of the iteration are timed from when they are sent
  }
  return o;
}

/** call sends one request of a step; an answer outside `okStatuses` (default: any 2xx) throws StepFailure. */
export async function call(ctx: StepContext, step: StepOperation, req: KubeRequest, it: Iteration, okStatuses?: readonly number[]): Promise<KubeResponse> {
  const res = await send(ctx.dispatch, requestOptions(req, step.operationIndex, it));
  const ok = okStatuses && okStatuses.length ? okStatuses.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!ok) throw failure(step.operation, res);
  return res;
}

/** failure describes an unexpected answer by its code and metav1 Status reason, e.g. `create pods: 409 AlreadyExists`. */
export function failure(operation: string, res: KubeResponse): StepFailure {
  const st = parseStatus(res.status, res.body);
  return new StepFailure(`${operation}: ${res.status} ${st.reason}`, `${operation} answered ${res.status} ${st.reason}: ${st.message.slice(0, 300)}`);
}

/** json parses a response body. */
export function json(res: KubeResponse): unknown {
  return JSON.parse(res.body.toString('utf8'));
}

/** sleep resolves after `ms`, or as soon as `until` resolves. */
export function sleep(ms: number, until?: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void until?.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** streamOf returns `{ [key]: the stream step's duration operation }`, or nothing when the run records none. */
export function streamOf<K extends 'streamOperation' | 'watchStreamOperation'>(ctx: StepContext, operation: number, key: K): Partial<Record<K, number>> {
  const s = ctx.streamOperation?.(operation);
  return s === undefined ? {} : ({ [key]: s } as Partial<Record<K, number>>);
}

/** The `http` step: a raw request to the target. */
import type { KubeRequest } from '../../kube/requests.js';
import { call } from './request.js';
import type { StepModule } from './step-module.js';

/** httpStep sends its method, path, headers and body (a JSON body as application/json unless a content-type is set); success is `expectStatus`, or any 2xx. */
export const httpStep: StepModule<'http'> = {
  kind: 'http',
  async run(ctx, step, it) {
    const scope = it.scope;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.headers)) headers[k.toLowerCase()] = v(scope);
    let body: string | undefined;
    if (step.body && 'text' in step.body) body = step.body.text(scope);
    else if (step.body && 'json' in step.body) {
      body = step.body.json(scope);
      headers['content-type'] ??= 'application/json';
    }
    const req: KubeRequest = { method: step.method as KubeRequest['method'], path: step.path(scope), headers, ...(body !== undefined ? { body } : {}) };
    await call(ctx, step, req, it, step.expectStatus);
  },
};

/** The `list` step: lists objects, one page or every page (continue tokens). */
import { listRequest } from '../../kube/requests.js';
import { call, json } from './request.js';
import type { StepModule } from './step-module.js';

/** MAX_PAGES bounds the pages one `allPages` list follows. */
const MAX_PAGES = 10_000;

/** listStep lists with its selectors and limit, following continue tokens when `allPages`; `as` stores the first page. */
export const listStep: StepModule<'list'> = {
  kind: 'list',
  async run(ctx, step, it) {
    const scope = it.scope;
    const labelSelector = step.labelSelector?.(scope);
    const fieldSelector = step.fieldSelector?.(scope);
    let cont: string | undefined;
    let pages = 0;
    do {
      const res = await call(
        ctx,
        step,
        listRequest(ctx.paths(step), step.allNamespaces ? '' : step.namespace(scope), {
          ...(labelSelector ? { labelSelector } : {}),
          ...(fieldSelector ? { fieldSelector } : {}),
          ...(step.limit ? { limit: step.limit } : {}),
          ...(cont ? { continue: cont } : {}),
          ...(step.resourceVersion !== undefined && !cont ? { resourceVersion: step.resourceVersion } : {}),
        }),
        it,
      );
      // Parsed only when something reads it: a stored list, or the continue token of the next page.
      if (!step.as && !step.allPages) break;
      const list = json(res) as { metadata?: { continue?: string } };
      if (step.as && pages === 0) scope.objects[step.as] = list;
      cont = step.allPages ? list.metadata?.continue || undefined : undefined;
      pages++;
    } while (cont && pages < MAX_PAGES);
  },
};

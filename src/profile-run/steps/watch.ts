/** The `watch` step: holds watches (like informers) for a while or for the phase, counting events and timing racerig's own writes. */
import { WatchClient } from '../../kube/watch-client.js';
import { sleep, streamOf } from './request.js';
import type { StepContext, StepModule } from './step-module.js';

/** Longest a held watch waits after the phase for the iterations still in flight, ms (they are bounded by their own timeouts). */
const DRAIN_WORK_MAX_MS = 60_000;
/** After that work ended, a held watch closes once no event came for QUIET_MS, and at most DRAIN_QUIET_MAX_MS later. */
const QUIET_MS = 250;
const DRAIN_QUIET_MAX_MS = 2_000;
const DRAIN_POLL_MS = 20;

/**
 * watchStep holds `count` watches (from `resourceVersion`, else from every existing object as ADDED)
 * for `forMs`, or until the phase ends and the events of its work arrived (`drainAfterPhase`).
 */
export const watchStep: StepModule<'watch'> = {
  kind: 'watch',
  async run(ctx, step, it) {
    const scope = it.scope;
    const labelSelector = step.labelSelector?.(scope);
    const fieldSelector = step.fieldSelector?.(scope);
    // From the given version (an earlier list's, like an informer); unset, the server first sends every existing object as ADDED.
    const resourceVersion = step.resourceVersion?.(scope) || undefined;
    const stats = ctx.watchStats?.(step.operationIndex);
    const clients: WatchClient[] = [];
    let lastEventAt = ctx.clock();
    for (let i = 0; i < step.count; i++) {
      clients.push(
        new WatchClient({
          dispatch: ctx.longDispatch,
          paths: ctx.paths(step),
          namespace: step.allNamespaces ? '' : step.namespace(scope),
          list: { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) },
          allowWatchBookmarks: step.allowBookmarks,
          listOperation: step.operationIndex,
          watchOperation: step.operationIndex,
          ...streamOf(ctx, step.operationIndex, 'watchStreamOperation'),
          initialList: false,
          ...(resourceVersion ? { resourceVersion } : {}),
          ...(stats ? { stats } : {}),
          onEvent: (_ev: unknown, lagMs: number | undefined) => {
            lastEventAt = ctx.clock();
            if (lagMs !== undefined) ctx.recordLag?.(step.operationIndex, lagMs);
          },
        }),
      );
    }
    await Promise.all(clients.map((c) => c.start()));
    if (step.forMs !== undefined) await sleep(step.forMs, ctx.phaseEnd);
    else {
      await ctx.phaseEnd;
      await drainAfterPhase(ctx, () => lastEventAt);
    }
    await Promise.all(clients.map((c) => c.stop()));
  },
};

/**
 * drainAfterPhase keeps a watch held for the phase open past the phase's end until the iterations that
 * cause events (every component holding no watch, all workers) have ended and the events they caused
 * had time to arrive (no event for QUIET_MS): so the watch counts every event of the phase's work,
 * instead of losing those of the iterations still in flight when the phase timer fired. Bounded; an
 * abort ends it at once.
 */
async function drainAfterPhase(ctx: StepContext, lastEventAt: () => number): Promise<void> {
  if (!ctx.workDone) return;
  const workDeadline = ctx.clock() + DRAIN_WORK_MAX_MS;
  while (!ctx.workDone() && !ctx.aborting?.() && ctx.clock() < workDeadline) await sleep(DRAIN_POLL_MS);
  const quietDeadline = ctx.clock() + DRAIN_QUIET_MAX_MS;
  while (!ctx.aborting?.() && ctx.clock() - lastEventAt() < QUIET_MS && ctx.clock() < quietDeadline) await sleep(DRAIN_POLL_MS);
}

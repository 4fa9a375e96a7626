/**
 * Runs a `run <url>` load plan on the main thread: engine and live view under the shared run lifecycle
 * (run-lifecycle.ts: signals, result file, summary, exit code), plus the --hgrm file.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CliContext } from './context.js';
import { RunLifecycle, STOP_GRACE_MS } from './run-lifecycle.js';
import { writeWithFallback } from '../results/output-path.js';
import type { ResolvedAddress } from '../http/resolve-target.js';
import type { RunPlan } from './run-options.js';
import { LoadEngine, spread } from '../engine/engine.js';
import type { RequestSpec, WorkerTask } from '../engine/worker-task.js';
import { createPacer } from '../engine/load-model.js';
import { GlobalSlot } from '../metrics/layout.js';
import { LiveView } from '../report/live.js';
import { buildResult } from '../results/build-result.js';
import { defaultResultPath } from '../results/write-result.js';
import { renderHgrm } from '../report/hgrm.js';
import type { RunResult, TargetInfo } from '../results/model.js';
import { NdjsonProgress, shardInfo } from '../distributed/progress.js';

export { exitCodeOf, STOP_GRACE_MS } from './run-lifecycle.js';

/** share splits `total` over `workers`, returning worker `index`'s part. */
const share = (total: number, workers: number, index: number): number => Math.floor(total / workers) + (index < total % workers ? 1 : 0);

/** RunWorkload is what to send: operation names and the requests that use them. */
export interface RunWorkload {
  operations: string[];
  requests: RequestSpec[];
  target: TargetInfo;
  resultsDir: string;
  /** The target host's checked addresses, when it is a name (connections go only to them). */
  addresses?: ResolvedAddress[];
}

/** executeRun runs `workload` with `plan`'s load settings under the shared run lifecycle and returns the process exit code. */
export async function executeRun(workload: RunWorkload, plan: RunPlan, ctx: CliContext): Promise<number> {
  const live = new LiveView({ out: ctx.stdout, quiet: plan.quiet, title: workload.target.url, durationMs: plan.durationMs });
  const progress = plan.progress === 'ndjson' ? new NdjsonProgress(ctx.stdout, plan.shard) : undefined;
  if (plan.log) {
    mkdirSync(dirname(plan.log), { recursive: true });
    writeFileSync(plan.log, '');
  }
  const pacer = createPacer(plan.model, plan.maxRequests);
  const engine = new LoadEngine({
    workers: plan.workers,
    operations: workload.operations,
    durationMs: plan.durationMs,
    // Each worker gets the plan unchanged, its share of the connections, and the requests built from the plan (the plan already caps workers at one per connection).
    task: (index, workers, layout, buffer): WorkerTask => ({
      index,
      workers,
      layout,
      buffer,
      plan,
      connections: share(plan.connections, workers, index),
      requests: workload.requests,
      operations: workload.operations,
      ...(workload.addresses ? { addresses: workload.addresses } : {}),
    }),
    // Arrivals nobody claimed by the end are dropped, spread over the request kinds in the order they would have been sent.
    arrivals: () => (pacer.open ? [{ pacer, ticketSlot: GlobalSlot.TICKET, drop: (r, n) => spread(workload.requests, n, (op, count) => r.dropped(op, count)) }] : []),
    // Requests of workers that never reported after an abort count as aborted.
    abortedInFlight: (r, n) =>
      spread(workload.requests, n, (op, count) => {
        for (let i = 0; i < count; i++) r.failure(op, 'aborted', 0);
      }),
    rateAt: (ms) => pacer.rateAt(ms),
    // Whatever the target does (trickling, endless bodies), the run ends by duration + one --timeout.
    endGraceMs: plan.timeoutMs,
    ...(plan.startAtMs !== undefined ? { startAtWallMs: plan.startAtMs } : {}),
    onTick: (t) => {
      live.update(t);
      progress?.tick(t);
    },
    onStarting: (ready, workers) => live.setup(`starting workers ${ready}/${workers} (warming up, connecting)`),
  });

  const lifecycle = new RunLifecycle(ctx, { quiet: plan.quiet, stopGraceMs: STOP_GRACE_MS, work: 'requests' });
  try {
    const outcome = await lifecycle.run(engine);
    live.close();
    const result = buildResult(outcome, {
      name: plan.name,
      labels: plan.labels,
      target: workload.target,
      openModel: plan.model.kind !== 'closed',
      config: configOf(plan),
      plannedDurationMs: plan.durationMs,
      ...(plan.shard ? { shard: shardInfo(plan.shard, plan.startAtMs, outcome.startLatenessMs) } : {}),
    });
    for (const e of outcome.workerErrors) ctx.stderr.write(`racerig: worker error: ${e.code}: ${e.message}\n`);
    return lifecycle.finish(result, {
      out: plan.out ?? defaultResultPath(workload.resultsDir, plan.shard ? `${plan.name}-shard-${plan.shard.index}-of-${plan.shard.count}` : plan.name, new Date(result.startedAt)),
      fallbackDirs: [workload.resultsDir],
      extraOutputs: (resultPath) => {
        const fellBack = plan.hgrm ? writeHgrm(ctx, plan.hgrm, result, resultPath) : false;
        // --progress ndjson: the whole result is the last line on stdout (the run is quiet otherwise).
        progress?.result(result);
        return fellBack;
      },
    });
  } finally {
    lifecycle.close();
  }
}

/** writeHgrm writes the --hgrm file (falling back beside the result, said on stderr); returns whether it fell back. */
function writeHgrm(ctx: CliContext, path: string, result: RunResult, resultPath: string): boolean {
  const text = renderHgrm(result, result.operations.length === 1 ? result.operations[0]!.name : undefined);
  const w = writeWithFallback(path, (p) => {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }, [dirname(resultPath)]);
  if (w.failed) ctx.stderr.write(`racerig: cannot write the --hgrm to ${path} (${w.failed.message}); written to ${w.path} instead\n`);
  return w.failed !== undefined;
}

/** configOf returns the effective options stored in the result file. */
function configOf(plan: RunPlan): Record<string, unknown> {
  const model =
    plan.model.kind === 'closed'
      ? 'closed model'
      : plan.model.kind === 'constant'
        ? `open model, ${plan.model.rate}/s`
        : `open model, ramp ${plan.model.from}→${plan.model.to}/s`;
  return {
    model,
    loadModel: { ...plan.model, durationMs: Number.isFinite(plan.durationMs) ? plan.durationMs : null },
    method: plan.method,
    url: plan.url,
    headers: plan.headers,
    bodyBytes: plan.body?.byteLength ?? 0,
    connections: plan.connections,
    workers: plan.workers,
    durationMs: Number.isFinite(plan.durationMs) ? plan.durationMs : null,
    requests: Number.isFinite(plan.maxRequests) ? plan.maxRequests : null,
    pipelining: plan.pipelining,
    httpClient: plan.httpClient,
    maxInFlight: plan.maxInFlight || null,
    maxLagMs: plan.maxLagMs,
    gatherMs: plan.gatherMs,
    timeoutMs: plan.timeoutMs,
  };
}

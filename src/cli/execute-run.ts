/**
 * Runs a load plan end to end on the main thread: engine, live view, Ctrl-C handling (first: stop
 * gracefully, second: abort at once), result file, hgrm file, summary, exit code.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CliContext } from './context.js';
import type { RunPlan } from './run-options.js';
import { ExitCode } from './exit-codes.js';
import { LoadEngine } from '../engine/engine.js';
import type { RequestSpec } from '../engine/worker-task.js';
import { LiveView } from '../report/live.js';
import { buildResult } from '../results/build-result.js';
import { defaultResultPath, writeResult } from '../results/write-result.js';
import { renderSummary } from '../report/summary.js';
import { renderHgrm } from '../report/hgrm.js';
import type { RunResult, TargetInfo } from '../results/model.js';

/** RunWorkload is what to send: operation names and the requests that use them. */
export interface RunWorkload {
  operations: string[];
  requests: RequestSpec[];
  target: TargetInfo;
  resultsDir: string;
}

/** executeRun runs `workload` with `plan`'s load settings and returns the process exit code. */
export async function executeRun(workload: RunWorkload, plan: RunPlan, ctx: CliContext): Promise<number> {
  const live = new LiveView({ out: ctx.stdout, quiet: plan.quiet, title: workload.target.url, durationMs: plan.durationMs });
  if (plan.log) {
    mkdirSync(dirname(plan.log), { recursive: true });
    writeFileSync(plan.log, '');
  }
  const engine = new LoadEngine({
    workers: plan.workers,
    connections: plan.connections,
    operations: workload.operations,
    requests: workload.requests,
    origin: plan.origin,
    pipelining: plan.pipelining,
    httpClient: plan.httpClient,
    timeoutMs: plan.timeoutMs,
    maxInFlight: plan.maxInFlight,
    model: plan.model,
    maxRequests: plan.maxRequests,
    durationMs: plan.durationMs,
    maxLagMs: plan.maxLagMs,
    gatherMs: plan.gatherMs,
    ...(plan.log ? { log: { path: plan.log, sample: plan.logSample, operations: workload.operations } } : {}),
    rejectUnauthorized: !plan.insecure,
    onTick: (t) => live.update(t),
    onStarting: (ready, workers) => live.setup(`starting workers ${ready}/${workers} (warming up, connecting)`),
  });

  let interrupts = 0;
  const onSignal = (sig: string) => () => {
    interrupts++;
    if (interrupts === 1) {
      if (!plan.quiet) ctx.stderr.write(`\n${sig}: stopping — waiting for requests in flight (press Ctrl-C again to abort at once)\n`);
      engine.stop('interrupted');
    } else {
      if (!plan.quiet) ctx.stderr.write(`\n${sig}: aborting\n`);
      engine.abort('interrupted');
    }
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  ctx.signals.on('SIGINT', onInt);
  ctx.signals.on('SIGTERM', onTerm);
  let result: RunResult;
  try {
    const outcome = await engine.start();
    live.close();
    result = buildResult(outcome, {
      name: plan.name,
      labels: plan.labels,
      target: workload.target,
      openModel: plan.model.kind !== 'closed',
      config: configOf(plan),
    });
    for (const e of outcome.workerErrors) ctx.stderr.write(`racerig: worker error: ${e.code}: ${e.message}\n`);
  } finally {
    ctx.signals.off('SIGINT', onInt);
    ctx.signals.off('SIGTERM', onTerm);
  }

  const out = plan.out ?? defaultResultPath(workload.resultsDir, plan.name, new Date(result.startedAt));
  writeResult(out, result);
  if (plan.hgrm) {
    mkdirSync(dirname(plan.hgrm), { recursive: true });
    writeFileSync(plan.hgrm, renderHgrm(result, result.operations.length === 1 ? result.operations[0]!.name : undefined));
  }
  if (!plan.quiet) {
    ctx.stdout.write('\n' + renderSummary(result));
    ctx.stdout.write(`\nresult: ${out}${result.partial ? ' (partial)' : ''}\n`);
  }
  if (result.partial && result.stoppedBy === 'interrupted') return ExitCode.Interrupted;
  const responses = result.operations.reduce((a, o) => a + Object.values(o.status).reduce((x, y) => x + y, 0), 0);
  if (result.totals.requests > 0 && responses === 0) {
    ctx.stderr.write(`racerig: every request failed without a response (${Object.entries(result.operations[0]?.errorKinds ?? {}).map(([k, n]) => `${k}×${n}`).join(', ')}); is the target up?\n`);
    return ExitCode.TargetFailed;
  }
  return ExitCode.Ok;
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
    url: plan.url.href,
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

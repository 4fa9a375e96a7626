/**
 * Runs a load plan end to end on the main thread: engine, live view, stop signals (Ctrl-C, SIGTERM,
 * SIGHUP; first: stop, waiting at most STOP_GRACE_MS for requests in flight; second: abort at once;
 * both still write the result; third: exit at once), result file, hgrm file, summary, exit code.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { onStopSignals, type CliContext } from './context.js';
import { writeWithFallback } from '../results/output-path.js';
import type { ResolvedAddress } from '../http/resolve-target.js';
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
import { NdjsonProgress, shardInfo } from '../distributed/progress.js';

/** RunWorkload is what to send: operation names and the requests that use them. */
export interface RunWorkload {
  operations: string[];
  requests: RequestSpec[];
  target: TargetInfo;
  resultsDir: string;
  /** The target host's checked addresses, when it is a name (connections go only to them). */
  addresses?: ResolvedAddress[];
}

/** STOP_GRACE_MS is how long the first stop signal waits for requests in flight before they are aborted, ms. */
export const STOP_GRACE_MS = 1000;

/** executeRun runs `workload` with `plan`'s load settings and returns the process exit code. */
export async function executeRun(workload: RunWorkload, plan: RunPlan, ctx: CliContext): Promise<number> {
  const live = new LiveView({ out: ctx.stdout, quiet: plan.quiet, title: workload.target.url, durationMs: plan.durationMs });
  const progress = plan.progress === 'ndjson' ? new NdjsonProgress(ctx.stdout, plan.shard) : undefined;
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
    ...(workload.addresses ? { addresses: workload.addresses } : {}),
    // Whatever the target does (trickling, endless bodies), the run ends by duration + one --timeout.
    endGraceMs: plan.timeoutMs,
    ...(plan.startAtMs !== undefined ? { startAtWallMs: plan.startAtMs } : {}),
    onTick: (t) => {
      live.update(t);
      progress?.tick(t);
    },
    onStarting: (ready, workers) => live.setup(`starting workers ${ready}/${workers} (warming up, connecting)`),
  });

  let written = false;
  const offSignals = onStopSignals(ctx, (sig, count) => {
    if (count === 1) {
      if (!plan.quiet) ctx.stderr.write(`\n${sig}: stopping — waiting up to ${STOP_GRACE_MS / 1000} s for requests in flight (press Ctrl-C again to abort at once)\n`);
      engine.stop('interrupted', STOP_GRACE_MS);
    } else if (count === 2) {
      if (!plan.quiet) ctx.stderr.write(`\n${sig}: aborting — writing what was measured (press Ctrl-C a third time to exit without it)\n`);
      engine.abort('interrupted');
    } else {
      ctx.stderr.write(`\n${sig}: exiting now; ${written ? 'the result file was written' : 'no result file was written'}\n`);
      ctx.exit?.(130);
    }
  });
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
      plannedDurationMs: plan.durationMs,
      ...(plan.shard ? { shard: shardInfo(plan.shard, plan.startAtMs, outcome.startLatenessMs) } : {}),
    });
    for (const e of outcome.workerErrors) ctx.stderr.write(`racerig: worker error: ${e.code}: ${e.message}\n`);
  } catch (err) {
    offSignals();
    throw err;
  }

  try {
    const requested = plan.out ?? defaultResultPath(workload.resultsDir, plan.shard ? `${plan.name}-shard-${plan.shard.index}-of-${plan.shard.count}` : plan.name, new Date(result.startedAt));
    let fellBack = false;
    const saved = writeOutput(ctx, 'result', requested, (p) => writeResult(p, result), [workload.resultsDir]);
    fellBack ||= saved.failed !== undefined;
    written = true;
    if (plan.hgrm) {
      const hgrm = plan.hgrm;
      const text = renderHgrm(result, result.operations.length === 1 ? result.operations[0]!.name : undefined);
      const w = writeOutput(ctx, '--hgrm', hgrm, (p) => {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, text);
      }, [dirname(saved.path)]);
      fellBack ||= w.failed !== undefined;
    }
    progress?.result(result);
    if (!plan.quiet) {
      ctx.stdout.write('\n' + renderSummary(result));
      ctx.stdout.write(`\nresult: ${saved.path}${result.partial ? ' (partial)' : ''}\n`);
    }
    return exitCodeOf(result, fellBack, ctx);
  } finally {
    offSignals();
  }
}

/** writeOutput writes one output with writeWithFallback and says on stderr where it went when not where asked. */
function writeOutput(ctx: CliContext, what: string, path: string, write: (p: string) => void, fallbackDirs: string[]): { path: string; failed?: Error } {
  const w = writeWithFallback(path, write, fallbackDirs);
  if (w.failed) ctx.stderr.write(`racerig: cannot write the ${what} to ${path} (${w.failed.message}); written to ${w.path} instead\n`);
  return w;
}

/** exitCodeOf maps a written run result to its documented exit code (see exit-codes.ts), explaining the failures on stderr. */
export function exitCodeOf(result: RunResult, fellBack: boolean, ctx: CliContext): number {
  if (result.partial && result.stoppedBy === 'interrupted') return ExitCode.Interrupted;
  if (fellBack) return ExitCode.OutputFallback;
  if (result.stoppedBy === 'worker failure') {
    ctx.stderr.write('racerig: a worker thread failed; the result holds what the others measured\n');
    return ExitCode.WorkerFailed;
  }
  if (result.totals.requests === 0) {
    ctx.stderr.write(`racerig: the run sent no request (${result.totals.dropped} planned ${result.totals.dropped === 1 ? 'arrival was' : 'arrivals were'} dropped)\n`);
    return ExitCode.NothingSent;
  }
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

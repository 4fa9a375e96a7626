/**
 * The main-thread side of `racerig run <profile>`: picks the target (embedded mock unless a
 * kubeconfig, context or cluster is given), resolves resources, creates the namespace and setup
 * objects, runs each phase on the worker pool, cleans up the run's objects (also after Ctrl-C),
 * evaluates thresholds and writes the result. As one shard of a distributed run (`--shard i/N`) it
 * runs its share of each phase from `--start-at`, with neither setup, cleanup nor thresholds (its
 * coordinator's), and may print NDJSON progress and its result (`--progress ndjson`).
 */
import { join } from 'node:path';
import type { CliContext } from '../cli/context.js';
import type { ProfilePlan } from '../cli/run-options.js';
import { ExitCode } from '../exit-codes.js';
import { loadProfile } from '../profile/loader.js';
import { RUN_LABEL } from '../profile/types.js';
import { compileTemplates } from '../profile/compile.js';
import type { MockServer } from '../mock/server.js';
import { startMockServerThread } from '../mock/thread.js';
import { loadTarget } from '../kube/target.js';
import { createTargetDispatcher, composeDispatch } from '../kube/target-dispatcher.js';
import { rotatingIfRefreshable } from '../kube/rotating-dispatcher.js';
import type { TargetConnect } from '../kube/target.js';
import { authInterceptor } from '../http/interceptors/auth.js';
import { createCredentials, staticCredentials } from '../kube/credentials.js';
import { Discovery } from '../kube/discovery.js';
import { ResourcePaths } from '../kube/resource.js';
import { send, type DispatchFn } from '../kube/send.js';
import { LoadEngine, type EngineOutcome } from '../engine/engine.js';
import { Snapshot } from '../metrics/snapshot.js';
import { GlobalSlot } from '../metrics/layout.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import { newHistogram } from '../metrics/histogram.js';
import { wallMs } from '../engine/clock.js';
import { LiveView } from '../report/live.js';
import { buildResult, END_BOUND } from '../results/build-result.js';
import { defaultResultPath } from '../results/write-result.js';
import { RunLifecycle } from '../cli/run-lifecycle.js';
import { TargetError } from '../errors.js';
import type { TimeSeriesPoint } from '../results/model.js';
import { componentArrivals, newRunId, type ProfileWorkerReport } from './profile-worker.js';
import { resourceKey, type ProfileTarget } from './profile-task.js';
import { layoutComponentSlots } from './client-buckets.js';
import { evaluateThresholds } from './evaluate-thresholds.js';
import { LifecycleWatch } from './lifecycle-watch.js';
import { checkIntegrity, hasRawHttp, minus, parseRequestTotals, runCounts } from './integrity.js';
import { runOperations } from './run-operations.js';
import { FindingsCollector } from '../observe/findings.js';
import type { Observation } from '../observe/observation.js';
import { prepareObservation } from './observation-setup.js';
import { withClusterKubeconfig } from '../cluster/cluster-target.js';
import { NdjsonProgress, shardInfo } from '../distributed/progress.js';
import { cleanupRun, setupRun, type SetupState } from './setup.js';

/**
 * SHARD_PHASE_GAP_MS is the time a shard leaves between one phase's planned end and the next phase's
 * agreed start (every earlier phase having a duration), so every shard starts each phase at the same
 * wall-clock time despite their workers' start-up, ms.
 */
export const SHARD_PHASE_GAP_MS = 2000;

export { LAG_SUFFIX } from './run-operations.js';

/** runProfile runs a profile end to end and returns the exit code. */
export async function runProfile(o: ProfilePlan, ctx: CliContext): Promise<number> {
  // --cluster: the run (and its SUT) get the kind cluster's kubeconfig as if given with --kubeconfig/--context.
  if (o.cluster !== undefined) return withClusterKubeconfig(o.cluster, ctx, (kubeconfig, context) => runProfile({ ...o, cluster: undefined, kubeconfig, context }, ctx));
  const profile = await loadProfile(o.file, { cwd: ctx.cwd, smoke: o.smoke });
  const shard = o.shard;
  const runId = o.runId ?? newRunId();
  const say = (s: string) => !o.quiet && ctx.stdout.write(s);
  const progress = o.progress === 'ndjson' ? new NdjsonProgress(ctx.stdout, shard) : undefined;
  const out = o.out ?? defaultResultPath(join(ctx.cwd, 'results'), shard ? `${profile.name}-shard-${shard.index}-of-${shard.count}` : profile.name, new Date());
  const findings = new FindingsCollector();

  let mock: MockServer | undefined;
  let target: ProfileTarget;
  let targetKind: string;
  let serverVersion: string | undefined;
  const kubeconfig = o.kubeconfig ?? profile.target.kubeconfig;
  const context = o.context ?? profile.target.context;
  if (kubeconfig !== undefined || context !== undefined || o.inCluster) {
    const t = await loadTarget({ ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}), ...(o.inCluster ? { inCluster: true } : {}), allowRemote: o.allowRemote });
    target = { origin: t.origin, pathPrefix: t.pathPrefix, connect: t.connect, headers: t.headers, ...(t.refreshable ? { kube: t } : {}) };
    targetKind = 'cluster';
    say(`racerig: target ${t.server} (context ${t.context}, user ${t.user})\n`);
  } else {
    mock = await startMockServerThread(profile.mock);
    target = { origin: mock.url, pathPrefix: '', headers: {} };
    targetKind = 'mock';
    say(`racerig: embedded mock API server at ${mock.url}\n`);
  }

  const credentials = target.kube ? createCredentials(target.kube) : staticCredentials(target.headers);
  const targetWith = (connect: TargetConnect | undefined) => ({ origin: target.origin, connect: connect ?? target.connect ?? ({} as never) });
  // A refreshed exec-plugin client certificate moves new requests to a new pool (cleanup after a long run too).
  const pool = rotatingIfRefreshable(credentials, (c) => createTargetDispatcher(targetWith(c), { connections: 8, timeoutMs: o.timeoutMs }));
  const dispatch: DispatchFn = composeDispatch(pool, [authInterceptor({ credentials })]);
  const cleanups: (() => Promise<void>)[] = [];
  let cleanupTimedOut = false;
  let exit: number = ExitCode.Ok;
  let cleanedUp = false;
  // A worker failure ends the run after its phase; a phase cut by its end bound marks the result partial.
  let failed: string | undefined;
  let cut = false;
  // Kept until the result is written and cleanup has run: a first signal waits at most one --timeout
  // for iterations in flight, a second skips waiting; both still write the result and clean up; only a
  // third exits at once, saying what it leaves behind.
  const lifecycle = new RunLifecycle(ctx, {
    quiet: o.quiet,
    stopGraceMs: o.timeoutMs,
    work: 'iterations',
    ...(o.keep ? {} : { thenAlso: 'cleanup' }),
    leftBehind: () => (cleanedUp || o.keep ? undefined : `objects labelled ${RUN_LABEL}=${runId} may remain`),
  });
  const stopped = () => lifecycle.stoppedBy ?? failed;
  try {
    const versionRes = await send(dispatch, { method: 'GET', path: `${target.pathPrefix}/version`, headers: { accept: 'application/json' } }).catch((err: Error) => {
      throw new TargetError(`cannot reach the API server at ${target.origin}: ${err.message}`, 'is the cluster running?', err);
    });
    if (versionRes.status === 200) serverVersion = (JSON.parse(versionRes.body.toString()) as { gitVersion?: string }).gitVersion;
    // Checked before anything starts (watches, pools, the live view). The mock's /metrics: the embedded one's directly; a racerig mock behind a kubeconfig over HTTP, when asked.
    let readMetrics: (() => Promise<string>) | undefined = mock ? () => mock!.metrics() : undefined;
    if (!mock && o.integrity) {
      if (!serverVersion?.includes('racerig-mock')) {
        throw new TargetError(`--integrity needs a racerig mock as the target; ${target.origin} reports version ${serverVersion ?? '(none)'}`, "a real API server's /metrics counts every client's requests, not only the run's");
      }
      readMetrics = async () => {
        const r = await send(dispatch, { method: 'GET', path: `${target.pathPrefix}/metrics`, headers: { accept: 'text/plain' } });
        if (r.status !== 200) throw new TargetError(`--integrity: GET /metrics answered ${r.status}`);
        return r.body.toString('utf8');
      };
    }
    const discovery = new Discovery({ dispatch, pathPrefix: target.pathPrefix });
    // A shard runs neither setup nor cleanup: its coordinator does both, once for every shard.
    const state: SetupState = await setupRun(profile, { dispatch, discovery, pathPrefix: target.pathPrefix, runId, setup: !shard });
    const { resources } = state;
    const ns = profile.target.namespace;
    const scope = { runId, profile: profile.name, phase: 'setup', component: 'setup', iteration: 0, worker: 0, namespace: ns, objects: {} };
    if (shard) say(`racerig: shard ${shard.index}/${shard.count}: setup and cleanup are the coordinator's\n`);
    else if (o.keep) say(`racerig: --keep: objects labelled ${RUN_LABEL}=${runId} stay after the run\n`);
    else if (profile.cleanup.enabled) {
      cleanups.push(async () => {
        const work = cleanupRun(profile, state, { dispatch, pathPrefix: target.pathPrefix, runId });
        // cleanup.timeout bounds it: a stuck server must not hold the run's end (the pool is then destroyed).
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<true>((r) => (timer = setTimeout(() => r(true), profile.cleanup.timeoutMs)));
        cleanupTimedOut = await Promise.race([work.then(() => false), late]);
        clearTimeout(timer);
        if (cleanupTimedOut) ctx.stderr.write(`racerig: cleanup did not finish within ${profile.cleanup.timeoutMs} ms: objects labelled ${RUN_LABEL}=${runId} may remain\n`);
      });
    }

    // Operations: the profile's, then delivery lag per watch step, stream durations, limiter waits per rate-limited component.
    const { operations, lagOperations, streamOperations, waitOperations: waitOps, measurementOperations } = runOperations(profile);

    const live = new LiveView({
      out: ctx.stdout,
      quiet: o.quiet,
      title: `${profile.name}${o.smoke ? ' (smoke)' : ''}`,
      durationMs: profile.phases.reduce((a, p) => a + (p.durationMs ?? Infinity), 0),
      findings: () => findingsLine(findings),
    });

    // Lifecycle measurements watch the run's objects for the whole run.
    const longPool = rotatingIfRefreshable(credentials, (c) => createTargetDispatcher(targetWith(c), { connections: Math.max(1, profile.measure.length), timeoutMs: 0 }));
    const longDispatch: DispatchFn = composeDispatch(longPool, [authInterceptor({ credentials })]);
    // A shard measures nothing: its coordinator watches every shard's objects (one run id) once.
    const lifecycles = (shard && shard.count > 1 ? [] : profile.measure).map(
      (m) => new LifecycleWatch(m, longDispatch, new ResourcePaths(resources[resourceKey(m.resource)]!, target.pathPrefix), compileTemplates(m.namespace)(scope), runId),
    );
    cleanups.unshift(async () => {
      // Also on early failures: a watch left running retries forever and keeps the process alive.
      await Promise.all(lifecycles.map((l) => l.stop().catch(() => {})));
      await longPool.destroy().catch(() => {});
    });
    await Promise.all(lifecycles.map((l) => l.start()));

    // The system under test and its observers start after setup (the objects it needs exist), before the first phase.
    // A shard observes nothing: its coordinator runs the system under test and the observers, once.
    const observation: Observation | undefined = shard && shard.count > 1 ? undefined : await prepareObservation({ profile, options: o, ctx, target, mock, runId, out, findings, dispatch, say });
    if (observation) {
      cleanups.unshift(async () => {
        await observation.stop();
      });
      findings.onFinding((f, isNew) => {
        if (isNew) live.note(`racerig: finding: ${f.kind} — ${f.message}\n`);
      });
      if (readMetrics && o.integrity !== true) {
        // The SUT's and the observers' own requests reach the same server: the run's counts cannot match its /metrics.
        readMetrics = undefined;
        say('racerig: integrity check off: the system under test and the observers send requests to the same server\n');
      }
      await observation.start();
    }

    const byResource = !hasRawHttp(profile);
    const serverBefore = readMetrics ? parseRequestTotals(await readMetrics(), byResource) : undefined;

    const outcomes: EngineOutcome[] = [];
    const iterations = { completed: 0, failed: 0, failures: {} as Record<string, number>, byComponent: {} as Record<string, { completed: number; failed: number }> };
    const retries = { retries: 0, exhausted: 0 };
    let offsetMs = 0;
    const timeSeries: TimeSeriesPoint[] = [];
    const startedWallMs = wallMs();
    // --start-at: the first phase starts then; a later one SHARD_PHASE_GAP_MS after the previous one's planned end, while every phase so far has a duration.
    let phaseStartAt = o.startAtMs;
    let startLatenessMs: number | undefined;
    try {
      for (let p = 0; p < profile.phases.length && !stopped(); p++) {
        const phase = profile.phases[p]!;
        say(`racerig: phase ${p + 1}/${profile.phases.length} "${phase.name}"\n`);
        await observation?.phase(phase.name, 'start');
        const { slots, used: slot } = layoutComponentSlots(phase, waitOps);
        const bucketEpochWallMs = wallMs();
        const phaseMs = phase.durationMs ?? Infinity;
        const engine = new LoadEngine({
          workers: o.workers,
          operations,
          measurementOperations,
          streamOperations,
          durationMs: phaseMs,
          extraSlots: slot + 8,
          // The phase ends by its duration + one --timeout whatever the server does: iterations still in flight are aborted.
          endGraceMs: o.timeoutMs,
          // Planned open-model iterations no worker started by the end are dropped work, counted on the first step's operation.
          ...(phaseStartAt !== undefined ? { startAtWallMs: phaseStartAt } : {}),
          arrivals: (layout) =>
            phase.components.flatMap((c, i) => {
              const first = c.steps.find((s) => s.operationIndex >= 0);
              const pacer = componentArrivals(c, phaseMs, shard);
              return first && pacer.open ? [{ pacer, ticketSlot: layout.extraBase + slots[i]!.ticket, drop: (r: MetricsRecorder, n: number) => r.dropped(first.operationIndex, n) }] : [];
            }),
          onTick: (t) => {
            const tick = { ...t, elapsedMs: t.elapsedMs + offsetMs };
            live.update(tick);
            progress?.tick(tick);
          },
          onStarting: (ready, workers) => live.setup(`phase "${phase.name}": starting workers ${ready}/${workers} (loading the profile, warming up, connecting)`),
          task: (index, workers, layout, buffer) => ({
            kind: 'profile',
            index,
            workers,
            layout,
            buffer,
            plan: o,
            cwd: ctx.cwd,
            phaseIndex: p,
            runId,
            target,
            resources,
            lagOperations,
            streamOperations,
            components: slots.map((s) => ({ ...s, ticket: layout.extraBase + s.ticket, ...(s.bucket !== undefined ? { bucket: layout.extraBase + s.bucket } : {}) })),
            bucketEpochWallMs,
          }),
        });
        const outcome = await lifecycle.run(engine);
        for (const r of outcome.reports as ProfileWorkerReport[]) {
          if (!r.iterations) continue;
          retries.retries += r.retries?.retries ?? 0;
          retries.exhausted += r.retries?.exhausted ?? 0;
          iterations.completed += r.iterations.completed;
          iterations.failed += r.iterations.failed;
          for (const [k, n] of Object.entries(r.iterations.failures)) iterations.failures[k] = (iterations.failures[k] ?? 0) + n;
          for (const [k, n] of Object.entries(r.iterations.byComponent ?? {})) {
            const into = (iterations.byComponent[k] ??= { completed: 0, failed: 0 });
            into.completed += n.completed;
            into.failed += n.failed;
          }
        }
        for (const e of outcome.workerErrors) ctx.stderr.write(`racerig: worker error: ${e.code}: ${e.message}\n`);
        for (const pt of outcome.timeSeries) timeSeries.push({ ...pt, t: Math.round((pt.t + offsetMs / 1000) * 1000) / 1000 });
        offsetMs += outcome.elapsedMs;
        outcomes.push(outcome);
        progress?.carry(outcome.final.totals());
        if (outcome.startLatenessMs !== undefined) startLatenessMs = Math.max(startLatenessMs ?? 0, outcome.startLatenessMs);
        phaseStartAt = phaseStartAt !== undefined && phase.durationMs !== undefined ? phaseStartAt + phase.durationMs + SHARD_PHASE_GAP_MS : undefined;
        await observation?.phase(phase.name, 'end');
        if (outcome.workerErrors.length) failed ??= 'worker failure';
        if (outcome.cut) cut = true;
      }
    } finally {
      live.close();
    }

    const observed = observation ? await observation.stop() : undefined;
    const serverAfter = readMetrics ? parseRequestTotals(await readMetrics(), byResource) : undefined;
    await Promise.all(lifecycles.map((l) => l.stop()));
    // With --start-at the run starts at the agreed time (the first phase's epoch), not when this process got ready.
    const merged = mergeOutcomes(outcomes, o.startAtMs !== undefined && outcomes[0] ? outcomes[0].startedWallMs : startedWallMs, offsetMs, timeSeries, stopped() ?? (cut ? END_BOUND : undefined));
    const plannedMs = profile.phases.reduce((a, ph) => a + (ph.durationMs ?? Infinity), 0);
    const result = buildResult(merged, {
      name: profile.name,
      labels: o.labels,
      target: { url: target.origin, kind: targetKind, ...(serverVersion ? { serverVersion } : {}) },
      openModel: profile.phases.some((ph) => ph.components.some((c) => c.load.kind !== 'concurrency')),
      config: {
        profile: o.file,
        smoke: o.smoke,
        runId,
        workers: o.workers,
        connectionsPerWorker: o.connections,
        timeoutMs: o.timeoutMs,
        maxLagMs: o.maxLagMs,
        gatherMs: o.gatherMs,
        phases: profile.phases.map((ph) => ({ name: ph.name, durationMs: ph.durationMs ?? null, components: ph.components.map((c) => ({ name: c.name, load: c.load, qps: c.qps ?? null })) })),
      },
      profile: { name: profile.name, sha256: profile.source.sha256 },
      // Rates over the planned phases (when every phase has a duration), or the real time when stopped early.
      plannedDurationMs: plannedMs,
      ...(shard ? { shard: shardInfo(shard, o.startAtMs, startLatenessMs) } : {}),
    });
    if (observed) {
      result.findings = observed.findings;
      if (observed.sut) result.sut = observed.sut;
      if (observed.observations) result.observations = observed.observations;
    }
    result.iterations = iterations;
    result.retries = retries;
    if (lifecycles.length) result.lifecycles = lifecycles.map((l) => l.result());
    // A shard's thresholds are evaluated by its coordinator, on the merged result.
    if (!shard || shard.count === 1) result.thresholds = evaluateThresholds(profile.thresholds, result);
    if (serverBefore && serverAfter) {
      const server = minus(serverAfter, serverBefore);
      if (!mock) {
        // Over HTTP, the first GET /metrics is counted too (a non-resource request): not run traffic.
        if (byResource) {
          for (const k of [...server.keys()]) if (k.startsWith('/ ')) server.delete(k);
        } else server.set('* 200', (server.get('* 200') ?? 0) - 1);
      }
      // The lifecycle watches' own lists and re-watches (main thread) are not run traffic.
      for (const l of lifecycles) {
        const extra = l.ownRequests();
        const key = byResource ? `${l.resourceKey} 200` : '* 200';
        if (extra > 0) server.set(key, (server.get(key) ?? 0) - extra);
      }
      result.integrity = checkIntegrity(runCounts(profile, result, byResource), server);
    }

    // Cleanup runs before the result is written, so a report can say it happened.
    for (const c of cleanups.splice(0)) await c();
    cleanedUp = true;
    exit = lifecycle.finish(result, {
      out,
      fallbackDirs: [join(ctx.cwd, 'results')],
      // --progress ndjson: the whole result is the last line on stdout (the run is quiet otherwise).
      extraOutputs: () => {
        progress?.result(result);
        return false;
      },
      check: (r) => (r.integrity && !r.integrity.ok ? ExitCode.IntegrityMismatch : r.thresholds?.some((t) => !t.passed) ? ExitCode.ThresholdsFailed : undefined),
    });
  } finally {
    for (const c of cleanups) await c().catch(() => {});
    await (cleanupTimedOut ? pool.destroy() : pool.close()).catch(() => {});
    await mock?.close();
    lifecycle.close();
  }
  return exit;
}

/** findingsLine says how many findings of each kind the run has so far, or undefined when none. */
function findingsLine(findings: FindingsCollector): string | undefined {
  if (findings.total === 0) return undefined;
  const byKind = new Map<string, number>();
  for (const f of findings.list()) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + f.count);
  return [...byKind].map(([k, n]) => `${k} ×${n}`).join(', ');
}

/** mergeOutcomes sums the phases' final snapshots into one outcome covering the whole run. */
function mergeOutcomes(outcomes: EngineOutcome[], startedWallMs: number, elapsedMs: number, timeSeries: TimeSeriesPoint[], stoppedBy: string | undefined): EngineOutcome {
  const first = outcomes[0];
  if (!first) throw new TargetError('the profile ran no phase');
  const data = new Uint32Array(first.final.data.length);
  for (const oc of outcomes) {
    const d = oc.final.data;
    for (let i = 0; i < d.length; i++) data[i] = (data[i]! + d[i]!) >>> 0;
  }
  data[GlobalSlot.IN_FLIGHT] = 0;
  const lateness = newHistogram();
  for (const oc of outcomes) lateness.add(oc.lateness);
  return {
    layout: first.layout,
    startedWallMs,
    endedWallMs: startedWallMs + elapsedMs,
    elapsedMs,
    final: new Snapshot(first.layout, data, elapsedMs),
    timeSeries,
    lateness,
    ...(stoppedBy ? { stoppedBy } : {}),
    aborted: outcomes.some((oc) => oc.aborted),
    cut: outcomes.some((oc) => oc.cut),
    workerErrors: outcomes.flatMap((oc) => oc.workerErrors),
    reports: outcomes.flatMap((oc) => oc.reports),
  };
}

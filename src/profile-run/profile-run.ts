/**
 * The main-thread side of `racerig run <profile>`: picks the target (embedded mock unless a
 * kubeconfig, context or cluster is given), resolves resources, creates the namespace and setup
 * objects, runs each phase on the worker pool, cleans up the run's objects (also after Ctrl-C),
 * evaluates thresholds and writes the result.
 */
import { join } from 'node:path';
import type { CliContext } from '../cli/context.js';
import type { ProfilePlan } from '../cli/run-options.js';
import { ExitCode } from '../exit-codes.js';
import { loadProfile } from '../profile/loader.js';
import type { Profile, Step } from '../profile/types.js';
import { RUN_LABEL } from '../profile/types.js';
import type { ResourceRef } from '../profile/resource-ref.js';
import { formatResource } from '../profile/resource-ref.js';
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
import { ResourcePaths, type ResourceInfo } from '../kube/resource.js';
import { send, type DispatchFn } from '../kube/send.js';
import { createRequest, deleteCollectionRequest } from '../kube/requests.js';
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

/** profileRefs lists every resource a profile touches (setup objects, steps, measurements). */
function stepRefs(profile: Profile): ResourceRef[] {
  const refs: ResourceRef[] = [];
  for (const ph of profile.phases) for (const c of ph.components) for (const s of c.steps) if ('resource' in s) refs.push((s as Step & { resource: ResourceRef }).resource);
  for (const m of profile.measure) refs.push(m.resource);
  return refs;
}

async function resolveRef(d: Discovery, ref: ResourceRef): Promise<ResourceInfo> {
  if (ref.kind && ref.version) return d.resolveKind(ref.group ? `${ref.group}/${ref.version}` : ref.version, ref.kind);
  return d.resolve(formatResource({ resource: ref.resource, group: ref.group }));
}

export { LAG_SUFFIX } from './run-operations.js';

/** runProfile runs a profile end to end and returns the exit code. */
export async function runProfile(o: ProfilePlan, ctx: CliContext): Promise<number> {
  // --cluster: the run (and its SUT) get the kind cluster's kubeconfig as if given with --kubeconfig/--context.
  if (o.cluster !== undefined) return withClusterKubeconfig(o.cluster, ctx, (kubeconfig, context) => runProfile({ ...o, cluster: undefined, kubeconfig, context }, ctx));
  const profile = await loadProfile(o.file, { cwd: ctx.cwd, smoke: o.smoke });
  const runId = newRunId();
  const say = (s: string) => !o.quiet && ctx.stdout.write(s);
  const out = o.out ?? defaultResultPath(join(ctx.cwd, 'results'), profile.name, new Date());
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
    const resources: Record<string, ResourceInfo> = {};
    const created = new Map<string, ResourceInfo>(); // resources the run creates objects of, for cleanup
    let createdNamespace = false;

    // Namespace, then setup objects (CRDs among them), then the resources the steps use.
    const ns = profile.target.namespace;
    if (profile.target.createNamespace) {
      const r = await send(dispatch, createRequest(new ResourcePaths({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false }, target.pathPrefix), '', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { [RUN_LABEL]: runId } },
      }));
      if (r.status !== 201 && r.status !== 409) throw new TargetError(`cannot create namespace ${ns}: ${r.status} ${r.body.toString().slice(0, 200)}`);
      createdNamespace = r.status === 201;
    }
    const scope = { runId, profile: profile.name, phase: 'setup', component: 'setup', iteration: 0, worker: 0, namespace: ns, objects: {} };
    for (const obj of compileTemplates(profile.setup)) {
      const info = await resolveRef(discovery, obj.resource);
      const r = await send(dispatch, createRequest(new ResourcePaths(info, target.pathPrefix), obj.namespace(scope), obj.manifest(scope)));
      if (r.status !== 201 && r.status !== 409) throw new TargetError(`setup: cannot create ${formatResource(obj.resource)}: ${r.status} ${r.body.toString().slice(0, 300)}`);
      if (r.status === 201) created.set(resourceKey(obj.resource), info);
      if (info.resource === 'customresourcedefinitions') discovery.invalidate();
    }
    for (const ref of stepRefs(profile)) {
      const key = resourceKey(ref);
      if (resources[key]) continue;
      // A CRD created in setup may take a moment to be served.
      for (let attempt = 0; ; attempt++) {
        try {
          resources[key] = await resolveRef(discovery, ref);
          break;
        } catch (err) {
          if (attempt >= 20) throw err;
          discovery.invalidate();
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    for (const ph of profile.phases) for (const c of ph.components) for (const s of c.steps) if (s.kind === 'create') created.set(resourceKey(s.resource), resources[resourceKey(s.resource)]!);
    if (o.keep) say(`racerig: --keep: objects labelled ${RUN_LABEL}=${runId} stay after the run\n`);
    else if (profile.cleanup.enabled) {
      cleanups.push(async () => {
        const work = (async () => {
          for (const info of created.values()) {
            const paths = new ResourcePaths(info, target.pathPrefix);
            await send(dispatch, deleteCollectionRequest(paths, info.namespaced ? ns : '', { labelSelector: `${RUN_LABEL}=${runId}`, gracePeriodSeconds: 0 })).catch(() => {});
          }
          if (createdNamespace) {
            await send(dispatch, { method: 'DELETE', path: `${target.pathPrefix}/api/v1/namespaces/${encodeURIComponent(ns)}`, headers: { accept: 'application/json' } }).catch(() => {});
          }
        })();
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
    const lifecycles = profile.measure.map(
      (m) => new LifecycleWatch(m, longDispatch, new ResourcePaths(resources[resourceKey(m.resource)]!, target.pathPrefix), compileTemplates(m.namespace)(scope), runId),
    );
    cleanups.unshift(async () => {
      // Also on early failures: a watch left running retries forever and keeps the process alive.
      await Promise.all(lifecycles.map((l) => l.stop().catch(() => {})));
      await longPool.destroy().catch(() => {});
    });
    await Promise.all(lifecycles.map((l) => l.start()));

    // The system under test and its observers start after setup (the objects it needs exist), before the first phase.
    const observation: Observation | undefined = await prepareObservation({ profile, options: o, ctx, target, mock, runId, out, findings, dispatch, say });
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
          arrivals: (layout) =>
            phase.components.flatMap((c, i) => {
              const first = c.steps.find((s) => s.operationIndex >= 0);
              const pacer = componentArrivals(c, phaseMs);
              return first && pacer.open ? [{ pacer, ticketSlot: layout.extraBase + slots[i]!.ticket, drop: (r: MetricsRecorder, n: number) => r.dropped(first.operationIndex, n) }] : [];
            }),
          onTick: (t) => live.update({ ...t, elapsedMs: t.elapsedMs + offsetMs }),
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
    const merged = mergeOutcomes(outcomes, startedWallMs, offsetMs, timeSeries, stopped() ?? (cut ? END_BOUND : undefined));
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
    });
    if (observed) {
      result.findings = observed.findings;
      if (observed.sut) result.sut = observed.sut;
      if (observed.observations) result.observations = observed.observations;
    }
    result.iterations = iterations;
    result.retries = retries;
    if (lifecycles.length) result.lifecycles = lifecycles.map((l) => l.result());
    result.thresholds = evaluateThresholds(profile.thresholds, result);
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

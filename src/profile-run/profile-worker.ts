/**
 * A profile worker thread: loads the profile, compiles its steps once, and runs its share of one
 * phase's components — each component an ArrivalLoop component whose units are iterations — through
 * undici pools wrapped by auth, rate-limit, retry-after, metrics and logging interceptors.
 */
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { MetricsRecorder } from '../metrics/recorder.js';
import { EPOCH_F64, GlobalSlot, OpSlot, RunState } from '../metrics/layout.js';
import type { WatchStats } from '../kube/watch-client.js';
import { metricsInterceptor } from '../http/interceptors/metrics.js';
import { loggingInterceptor } from '../http/interceptors/logging.js';
import { authInterceptor } from '../http/interceptors/auth.js';
import { rateLimitInterceptor } from '../http/interceptors/rate-limit.js';
import { retryAfterInterceptor, type RetryCounters } from '../http/interceptors/retry-after.js';
import { LogSink } from '../http/log-sink.js';
import { createCredentials, staticCredentials } from '../kube/credentials.js';
import { createTargetDispatcher } from '../kube/target-dispatcher.js';
import { composeWrappers } from '../http/interceptors/compose.js';
import { rotatingIfRefreshable } from '../kube/rotating-dispatcher.js';
import type { TargetConnect } from '../kube/target.js';
import { ResourcePaths } from '../kube/resource.js';
import { SharedTokenBucket } from '../kube/shared-token-bucket.js';
import { loadProfile } from '../profile/loader.js';
import { compileTemplates } from '../profile/compile.js';
import type { Component } from '../profile/types.js';
import { startableClock } from '../engine/clock.js';
import { createPacer } from '../engine/load-model.js';
import type { Pacer } from '../engine/pacer.js';
import type { LoadModel } from '../engine/load-model.js';
import { ArrivalLoop, type LoopComponent, type WorkSource } from '../engine/arrival-loop.js';
import { prepareStep, runStep, StepFailure, type CompiledStep, type Iteration, type StepContext } from './step-runner.js';
import { limiterOf } from './client-buckets.js';
import { shardPacer, type ShardSlice } from '../engine/shard-pacer.js';
import { componentIteration, componentIterations, componentWorkers, globalNumber, shardCap, shardLimiter } from '../distributed/profile-shard.js';
import { resourceKey, type ProfileTask } from './profile-task.js';
import type { WorkerReport } from '../engine/worker-task.js';
import { STEP_FAILED, toErrorData } from '../errors.js';
import { warmUpHttp } from '../engine/warm-up.js';

/** ProfileWorkerReport adds iteration outcomes to the worker report. */
export interface ProfileWorkerReport extends WorkerReport {
  iterations: { completed: number; failed: number; failures: Record<string, number>; byComponent?: Record<string, { completed: number; failed: number }> };
  /** 429 answers retried after Retry-After, and requests still 429 after the last retry. */
  retries?: RetryCounters;
}

/** LONG_CONNECTIONS caps a worker's connections for long requests (watches, waits, followed logs); each holds one for its duration. */
const LONG_CONNECTIONS = 1024;

/** DEFAULT_OPEN_IN_FLIGHT caps an open-model component's iterations in flight across workers when the profile sets none. */
const DEFAULT_OPEN_IN_FLIGHT = 1000;

/** modelOf returns a component's load model within a phase of `durationMs` (Infinity: bounded by iterations only). */
export function modelOf(c: Component, durationMs: number): LoadModel {
  switch (c.load.kind) {
    case 'rate':
      return { kind: 'constant', rate: c.load.perSecond, durationMs };
    case 'ramp':
      return { kind: 'linear', from: c.load.from, to: c.load.to, durationMs };
    case 'concurrency':
      return { kind: 'closed' };
  }
}

/** componentPacer returns a component's pacer within a phase of `durationMs`, capped at its iterations (open model). */
export function componentPacer(c: Component, durationMs: number): Pacer {
  const model = modelOf(c, durationMs);
  return createPacer(model, c.iterations ?? Infinity);
}

/**
 * componentArrivals returns a component's open-model schedule as the workers follow it: its pacer
 * within a phase of `durationMs` (with `shard`: that shard's arrivals k mod N of the whole schedule),
 * shifted by the component's `delay` (arrival times and the count planned by a time alike). The main
 * thread counts its unclaimed arrivals as dropped (LoadEngine).
 */
export function componentArrivals(c: Component, durationMs: number, shard?: ShardSlice): Pacer {
  const whole = componentPacer(c, durationMs);
  const pacer = shard && whole.open ? shardPacer(whole, shard) : whole;
  const d = c.delayMs;
  if (d <= 0 || !pacer.open) return pacer;
  return {
    open: true,
    arrivalMs: (k) => pacer.arrivalMs(k) + d,
    plannedBy: (t) => (t > d ? pacer.plannedBy(t - d) : 0),
    rateAt: (t) => pacer.rateAt(t),
  };
}

/** share splits `total` over `workers`, returning worker `index`'s part. */
export function share(total: number, workers: number, index: number): number {
  return Math.floor(total / workers) + (index < total % workers ? 1 : 0);
}

async function runProfileWorker(t: ProfileTask): Promise<ProfileWorkerReport> {
  const plan = t.plan;
  const shard = plan.shard;
  const profile = await loadProfile(plan.file, { cwd: t.cwd, smoke: plan.smoke });
  const phase = profile.phases[t.phaseIndex]!;
  const view = new Uint32Array(t.buffer);
  const recorder = new MetricsRecorder(t.layout, t.buffer);
  const epochArray = new Float64Array(t.buffer);
  // One clock from before the start (reading 0) to the end, for the wrappers and the loop alike.
  const { clock, start } = startableClock();
  const sink = plan.log ? new LogSink(plan.log.path) : undefined;
  const credentials = t.target.kube?.refreshable ? createCredentials(t.target.kube) : staticCredentials(t.target.headers);
  // With an exec plugin's client certificate, a refreshed certificate moves new requests to a new pool.
  const targetWith = (connect: TargetConnect | undefined) => ({ origin: t.target.origin, connect: connect ?? t.target.connect ?? ({} as never) });
  const pool = rotatingIfRefreshable(credentials, (c) => createTargetDispatcher(targetWith(c), { connections: Math.max(1, plan.connections), timeoutMs: plan.timeoutMs }));
  // Long requests (held watches, waits, followed logs) each hold a connection: enough that a wait never queues behind held watches.
  const longPool = rotatingIfRefreshable(credentials, (c) => createTargetDispatcher(targetWith(c), { connections: LONG_CONNECTIONS, timeoutMs: 0 }));
  const paths = new Map<string, ResourcePaths>();
  for (const [k, info] of Object.entries(t.resources)) paths.set(k, new ResourcePaths(info, t.target.pathPrefix));
  // Per step resource object: one WeakMap lookup per request instead of building its key.
  const pathsByRef = new WeakMap<object, ResourcePaths>();
  const pathsOf = (step: { resource: { resource: string; group: string } }): ResourcePaths => {
    let p = pathsByRef.get(step.resource);
    if (p) return p;
    p = paths.get(resourceKey(step.resource));
    if (!p) throw new StepFailure('unresolved resource', `resource ${resourceKey(step.resource)} was not resolved`);
    pathsByRef.set(step.resource, p);
    return p;
  };

  const retryCounters: RetryCounters = { retries: 0, exhausted: 0 };
  // One handle per bucket slot in this thread: components naming the same client share it.
  const buckets = new Map<number, SharedTokenBucket>();
  const wrappers = (c: number, limited = true): Dispatcher.DispatcherComposeInterceptor[] => {
    // composeWrappers order, the client's neighbour first: a 429 retry (outermost) passes auth and the limiter again, like client-go.
    const list: Dispatcher.DispatcherComposeInterceptor[] = [metricsInterceptor({ recorder, clock, countInFlight: true })];
    if (sink && plan.log) {
      list.push(loggingInterceptor({ sink, clock, worker: t.index, sample: plan.log.sample, operations: t.layout.operations as string[], get epochWallMs() { return epochArray[EPOCH_F64]!; } }));
    }
    const slots = t.components[c]!;
    const whole = limiterOf(phase.components[c]!);
    const limit = whole && shardLimiter(whole, shard);
    if (limited && slots.bucket !== undefined && limit) {
      let bucket = buckets.get(slots.bucket);
      if (!bucket) buckets.set(slots.bucket, (bucket = new SharedTokenBucket(t.buffer, { ...limit, slot: slots.bucket, epochWallMs: t.bucketEpochWallMs })));
      list.push(rateLimitInterceptor({ bucket, recorder, ...(slots.waitOperation !== undefined ? { waitOperation: slots.waitOperation } : {}) }));
    }
    list.push(authInterceptor({ credentials }), retryAfterInterceptor({ maxRetries: 3, counters: retryCounters }));
    return list;
  };

  // One stats sink per watch operation: each count is one Atomics.add into the operation's block.
  const watchStats = new Map<number, WatchStats>();
  const watchStatsOf = (op: number): WatchStats => {
    let st = watchStats.get(op);
    if (!st) {
      st = {
        event: (i) => recorder.watch(op, OpSlot.WATCH_EVENTS + i),
        relist: () => recorder.watch(op, OpSlot.WATCH_RELISTS),
        expired: () => recorder.watch(op, OpSlot.WATCH_EXPIRED),
        rewatch: () => recorder.watch(op, OpSlot.WATCH_REWATCHES),
      };
      watchStats.set(op, st);
    }
    return st;
  };

  let phaseEnded!: () => void;
  const phaseEnd = new Promise<void>((r) => (phaseEnded = r));
  const contexts: StepContext[] = phase.components.map((_, c) => ({
    dispatch: composeWrappers(pool, wrappers(c)),
    longDispatch: composeWrappers(longPool, wrappers(c)),
    // Execs bypass the client-side limiter, as client-go's SPDY/WebSocket executors do (their own transport, no rate limiter).
    execDispatch: composeWrappers(pool, wrappers(c, false)),
    cache: new Map(),
    paths: pathsOf,
    clock,
    phaseEnd,
    stopping: () => Atomics.load(view, GlobalSlot.STATE) !== RunState.Running,
    runId: t.runId,
    watchStats: watchStatsOf,
    recordLag: (watchOp, lagMs) => {
      const op = t.lagOperations[watchOp];
      if (op !== undefined) recorder.sample(op, lagMs * 1000);
    },
    streamOperation: (op) => t.streamOperations[op],
    workDone: () => Atomics.load(view, GlobalSlot.WORK_IN_FLIGHT) === 0,
    aborting: () => Atomics.load(view, GlobalSlot.STATE) === RunState.Aborting,
  }));
  // Iterations of components that hold no watch are the work whose events held watches wait for after the phase.
  const causesEvents = phase.components.map((c) => !c.steps.some((s) => s.kind === 'watch'));
  // Each kind prepares its steps once here (create manifests and merge patches take their sent-at placeholder), not per request.
  const steps: CompiledStep[][] = phase.components.map((c) => compileTemplates(c.steps.map(prepareStep)) as CompiledStep[]);
  const weights = phase.components.map((c) => {
    const cum: number[] = [];
    let sum = 0;
    for (const s of c.steps) cum.push((sum += s.weight));
    return cum;
  });

  // Every component in the profile's order, so the summary lists them in that order whichever finished first.
  const iterations = { completed: 0, failed: 0, failures: {} as Record<string, number>, byComponent: Object.fromEntries(phase.components.map((c) => [c.name, { completed: 0, failed: 0 }])) as Record<string, { completed: number; failed: number }> };
  const inFlight = phase.components.map(() => 0);
  const capacity = phase.components.map((c) =>
    share(c.load.kind === 'concurrency' ? componentWorkers(c, shard) : shardCap(c.maxInFlight ?? DEFAULT_OPEN_IN_FLIGHT, shard), t.workers, t.index),
  );
  const durationMs = phase.durationMs ?? Infinity;
  let loop!: ArrivalLoop;

  // Background steps (background: true) run detached; a delay still running when the phase time is up (or the run stops) abandons them.
  let phaseTimeUp!: () => void;
  const timeUp = new Promise<void>((r) => (phaseTimeUp = r));
  const background = new Set<Promise<void>>();
  const failure = (reason: string) => {
    iterations.failures[reason] = (iterations.failures[reason] ?? 0) + 1;
  };
  const startBackground = (c: number, step: CompiledStep, it: Iteration): void => {
    const run = (async () => {
      if (step.delayMs !== undefined && !(await delayUnless(step.delayMs, timeUp))) {
        failure(`${step.operation}: background step abandoned at the phase end`);
        return;
      }
      try {
        await runStep(contexts[c]!, step, it);
      } catch (err) {
        failure(`background ${stepFailureReason(err) ?? `${step.operation}: ${(err as Error).message.slice(0, 80)}`}`);
      }
    })();
    background.add(run);
    void run.finally(() => background.delete(run));
  };

  const runOne = async (c: number, step: CompiledStep, it: Iteration): Promise<void> => {
    if (step.background) return startBackground(c, step, { scope: it.scope, intendedAt: undefined });
    if (step.delayMs !== undefined) await delayUnless(step.delayMs);
    await runStep(contexts[c]!, step, it);
  };

  const runIteration = async (c: number, unit: number, intendedAt: number | undefined): Promise<void> => {
    const comp = phase.components[c]!;
    const mine = (iterations.byComponent[comp.name] ??= { completed: 0, failed: 0 });
    const it = {
      scope: {
        runId: t.runId,
        profile: profile.name,
        phase: phase.name,
        component: comp.name,
        // Shards number iterations and workers globally, so names built from them never collide.
        iteration: componentIteration(comp, unit, shard),
        worker: globalNumber(t.index, shard),
        namespace: profile.target.namespace,
        objects: {} as Record<string, unknown>,
      },
      intendedAt,
    };
    try {
      if (comp.mode === 'mix') {
        const cum = weights[c]!;
        const r = Math.random() * cum[cum.length - 1]!;
        let k = 0;
        while (cum[k]! <= r) k++;
        await runOne(c, steps[c]![k]!, it);
      } else {
        for (const step of steps[c]!) await runOne(c, step, it);
      }
      iterations.completed++;
      mine.completed++;
    } catch (err) {
      iterations.failed++;
      mine.failed++;
      const reason = stepFailureReason(err) ?? `${comp.name}: ${(err as Error).message.slice(0, 80)}`;
      iterations.failures[reason] = (iterations.failures[reason] ?? 0) + 1;
    }
  };

  const source: WorkSource = {
    capacity: (c) => (clock() < phase.components[c]!.delayMs ? 0 : capacity[c]! - inFlight[c]!),
    start: (c, unit, intendedAt) => {
      inFlight[c]!++;
      if (causesEvents[c]) Atomics.add(view, GlobalSlot.WORK_IN_FLIGHT, 1);
      void runIteration(c, unit, intendedAt).finally(() => {
        inFlight[c]!--;
        if (causesEvents[c]) Atomics.sub(view, GlobalSlot.WORK_IN_FLIGHT, 1);
        loop.done(c);
      });
    },
    dropped: (c, _unit, count = 1) => {
      const first = phase.components[c]!.steps.find((s) => s.operationIndex >= 0);
      if (first) recorder.dropped(first.operationIndex, count);
    },
  };

  await warmUpHttp();
  Atomics.add(view, GlobalSlot.READY, 1);
  const wait = Atomics.waitAsync(new Int32Array(t.buffer), GlobalSlot.GO, 0);
  if (wait.async) await wait.value;
  start(epochArray[EPOCH_F64]!);
  const phaseTimer = Number.isFinite(durationMs)
    ? setTimeout(() => {
        phaseTimeUp();
        phaseEnded();
      }, durationMs)
    : undefined;
  const components: LoopComponent[] = phase.components.map((c, i) => {
    return { pacer: componentArrivals(c, durationMs, shard), maxUnits: componentIterations(c, shard), durationMs, maxLagMs: plan.maxLagMs, gatherMs: plan.gatherMs, ticketSlot: t.components[i]!.ticket };
  });
  loop = new ArrivalLoop(recorder, clock, components, source, () => {
    phaseTimeUp();
    phaseEnded();
    void pool.destroy().catch(() => {});
    void longPool.destroy().catch(() => {});
  });
  // When every component stopped starting iterations, held watches end with the phase.
  const stopWatch = setInterval(() => {
    if (loop.finishedAll) phaseEnded();
  }, 50);
  await loop.run();
  // Background steps still delayed run when due (bounded by the phase time), then the pools close.
  const stopCheck = setInterval(() => Atomics.load(view, GlobalSlot.STATE) !== RunState.Running && phaseTimeUp(), 200);
  while (background.size > 0) await Promise.all([...background]);
  clearInterval(stopCheck);
  phaseTimeUp();
  clearInterval(stopWatch);
  if (phaseTimer) clearTimeout(phaseTimer);
  phaseEnded();
  sink?.close();
  await Promise.all([pool, longPool].map((p) => (loop.wasAborted ? p.destroy() : p.close()).catch(() => {})));
  return {
    index: t.index,
    sent: loop.started,
    lastEndMs: loop.lastEndMs,
    lateness: components.some((c) => c.pacer.open) ? loop.latenessSlots() : [],
    iterations,
    retries: retryCounters,
  };
}

/** stepFailureReason returns a StepFailure's reason (by its code), or undefined for any other error. */
function stepFailureReason(err: unknown): string | undefined {
  return (err as { code?: unknown } | undefined)?.code === STEP_FAILED ? (err as StepFailure).reason : undefined;
}

/** delayUnless waits `ms`, or until `until` settles first; resolves true when the whole time passed. */
export function delayUnless(ms: number, until?: Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(true), ms);
    void until?.then(() => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** runProfileTask runs one worker's share of a phase and never throws: failures come back as report data. */
export async function runProfileTask(task: ProfileTask): Promise<ProfileWorkerReport> {
  try {
    return await runProfileWorker(task);
  } catch (err) {
    return { index: task.index, sent: 0, lastEndMs: 0, lateness: [], error: toErrorData(err), iterations: { completed: 0, failed: 0, failures: {} } };
  }
}

/** newRunId returns a short random run id (8 hex digits). */
export function newRunId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 8);
}

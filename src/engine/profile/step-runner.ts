/**
 * Runs the steps of one profile iteration against the API through the worker's wrapped dispatcher.
 * Each request carries its step's operation (for the metrics wrapper); the first request of an
 * open-model iteration carries the iteration's intended start, so its latency counts from it.
 */
import type { Compiled } from '../../profile/compile.js';
import type { EventStep, ExecStep, Step, WaitStep, WatchStep } from '../../profile/types.js';
import type { TemplateScope } from '../../profile/template.js';
import type { ResourcePaths } from '../../kube/resource.js';
import { send, type DispatchFn, type KubeResponse } from '../../kube/send.js';
import {
  createRequest,
  deleteCollectionRequest,
  deleteRequest,
  getRequest,
  listRequest,
  logRequest,
  patchRequest,
  updateRequest,
  watchRequest,
  type KubeRequest,
} from '../../kube/requests.js';
import { exec } from '../../kube/exec-client.js';
import { WatchClient, SENT_AT_ANNOTATION, type WatchStats } from '../../kube/watch-client.js';
import { WatchParser, type WatchEvent } from '../../kube/watch-parser.js';
import { isExpired, parseStatus } from '../../kube/status.js';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { wallMs } from '../clock.js';
import { writeField } from '../../profile/field-path.js';
import { conditionHolds } from './condition-holds.js';
import { fillSentAt } from './sent-at.js';
import type { RigDispatchOptions } from '../../http/request-options.js';
import { RUN_LABEL } from '../../profile/types.js';

/** CompiledStep is a profile step with its templates compiled to render functions. */
export type CompiledStep = Compiled<Step>;

/** StepFailure ends an iteration: a step got an unexpected answer or its expectation failed. */
export class StepFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** StepContext is what steps need from the worker. */
export interface StepContext {
  dispatch: DispatchFn;
  /** Dispatch for long-running requests (watches, followed logs): no body timeout. */
  longDispatch: DispatchFn;
  /** Dispatch for execs: the same wrappers without the client-side limiter (default: dispatch). */
  execDispatch?: DispatchFn;
  /** This worker's memory across iterations of the component: optimistic updates' last copies, recorded events (default: none kept). */
  cache?: Map<string, unknown>;
  /** Resolved paths of a step's resource (by the step's resource key). */
  paths: (step: { resource: { resource: string; group: string; version?: string; subresource?: string } }) => ResourcePaths;
  /** Run-clock ms. */
  clock: () => number;
  /** Resolves when the phase ends (for watches held for the phase). */
  phaseEnd: Promise<void>;
  /** Whether the run is stopping (steps that wait give up). */
  stopping: () => boolean;
  runId: string;
  /** Records one watch event's delivery lag (ms) under the watch step's lag operation, when it has one. */
  recordLag?: (watchOperation: number, lagMs: number) => void;
  /** The counters (events by type, relists, 410s, re-watches) of a watch step's operation in the shared metrics. */
  watchStats?: (watchOperation: number) => WatchStats;
  /** The operation recording the durations of a stream step's streams (watches, waits, followed logs, exec sessions), when the run has one. */
  streamOperation?: (operation: number) => number | undefined;
  /** Whether every iteration that could cause events (of components holding no watch, all workers) has ended: held watches wait for it after the phase. */
  workDone?: () => boolean;
  /** Whether the run is aborting (second Ctrl-C): nothing waits any more. */
  aborting?: () => boolean;
}

/** Iteration carries one iteration's template scope and its intended start (used by the first request only). */
export interface Iteration {
  scope: TemplateScope;
  intendedAt: number | undefined;
}

function opts(req: KubeRequest, operation: number, it: Iteration, streamOperation?: number): RigDispatchOptions {
  const o: RigDispatchOptions = { method: req.method, path: req.path, headers: req.headers, operation };
  if (streamOperation !== undefined) o.streamOperation = streamOperation;
  if (req.body !== undefined) o.body = req.body;
  if (it.intendedAt !== undefined) {
    o.intendedAt = it.intendedAt;
    it.intendedAt = undefined; // later requests of the iteration are timed from when they are sent
  }
  return o;
}

async function call(ctx: StepContext, step: { operationIndex: number; operation: string }, req: KubeRequest, it: Iteration, okStatuses?: readonly number[]): Promise<KubeResponse> {
  const res = await send(ctx.dispatch, opts(req, step.operationIndex, it));
  const ok = okStatuses && okStatuses.length ? okStatuses.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!ok) throw failure(step.operation, res);
  return res;
}

/** failure describes an unexpected answer by its code and metav1 Status reason, e.g. `create pods: 409 AlreadyExists`. */
function failure(operation: string, res: KubeResponse): StepFailure {
  const st = parseStatus(res.status, res.body);
  return new StepFailure(`${operation}: ${res.status} ${st.reason}`, `${operation} answered ${res.status} ${st.reason}: ${st.message.slice(0, 300)}`);
}

function json(res: KubeResponse): unknown {
  return JSON.parse(res.body.toString('utf8'));
}

function sleep(ms: number, until?: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void until?.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** runStep executes one step of an iteration; it throws StepFailure when the iteration cannot go on. */
export async function runStep(ctx: StepContext, step: CompiledStep, it: Iteration): Promise<void> {
  const scope = it.scope;
  switch (step.kind) {
    case 'sleep':
      await sleep(step.durationMs);
      return;
    case 'create': {
      const text = step.manifest(scope);
      const body = fillSentAt(text) ?? stampSentAt(text);
      const res = await call(ctx, step, createRequest(ctx.paths(step), step.namespace(scope), body), it);
      if (step.as) scope.objects[step.as] = json(res);
      return;
    }
    case 'get': {
      const res = await call(ctx, step, getRequest(ctx.paths(step), step.namespace(scope), step.name(scope)), it);
      if (step.as) scope.objects[step.as] = json(res);
      return;
    }
    case 'list': {
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
      } while (cont && pages < 10_000);
      return;
    }
    case 'update': {
      const paths = ctx.paths(step);
      const ns = step.namespace(scope);
      const name = step.name(scope);
      // optimistic: PUT this worker's last copy first; its 409 falls back to GET+PUT, which retryOnConflict then retries.
      const key = `update ${step.operationIndex} ${ns}/${name}`;
      let cached = step.optimistic ? (ctx.cache?.get(key) as Record<string, unknown> | undefined) : undefined;
      for (let attempt = cached ? -1 : 0; ; attempt++) {
        const current = cached ?? (json(await call(ctx, step, getRequest(paths, ns, name), it)) as Record<string, unknown>);
        cached = undefined;
        for (const s of step.set) writeField(current, s.path, JSON.parse(s.value(scope)));
        stampObject(current);
        const res = await send(ctx.dispatch, opts(updateRequest(paths, ns, name, current, undefined, step.resource.subresource), step.operationIndex, it));
        if (res.status === 409 && attempt < step.retryOnConflict) continue;
        if (res.status < 200 || res.status >= 300) {
          ctx.cache?.delete(key);
          throw failure(step.operation, res);
        }
        const written = step.optimistic || step.as ? json(res) : undefined;
        if (step.optimistic) ctx.cache?.set(key, written);
        if (step.as) scope.objects[step.as] = step.optimistic ? structuredClone(written) : written;
        return;
      }
    }
    case 'event':
      await recordEvent(ctx, step, it);
      return;
    case 'patch': {
      let body = step.body(scope);
      if (step.type === 'merge' || step.type === 'strategic') body = fillSentAt(body) ?? stampPatch(body);
      const res = await call(
        ctx,
        step,
        patchRequest(ctx.paths(step), step.namespace(scope), step.name(scope), step.type, body, {
          ...(step.fieldManager ? { fieldManager: step.fieldManager } : step.type === 'apply' ? { fieldManager: 'racerig' } : {}),
          ...(step.force ? { force: true } : {}),
        }, step.resource.subresource),
        it,
      );
      if (step.as) scope.objects[step.as] = json(res);
      return;
    }
    case 'delete': {
      await call(
        ctx,
        step,
        deleteRequest(ctx.paths(step), step.namespace(scope), step.name(scope), {
          ...(step.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: step.gracePeriodSeconds } : {}),
          ...(step.propagationPolicy ? { propagationPolicy: step.propagationPolicy } : {}),
        }),
        it,
        step.ignoreNotFound ? [200, 202, 404] : undefined,
      );
      return;
    }
    case 'deletecollection': {
      const selector = [`${RUN_LABEL}=${ctx.runId}`, step.labelSelector?.(scope)].filter(Boolean).join(',');
      const fieldSelector = step.fieldSelector?.(scope);
      await call(
        ctx,
        step,
        deleteCollectionRequest(ctx.paths(step), step.namespace(scope), {
          labelSelector: selector,
          ...(fieldSelector ? { fieldSelector } : {}),
          ...(step.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: step.gracePeriodSeconds } : {}),
          ...(step.propagationPolicy ? { propagationPolicy: step.propagationPolicy } : {}),
        }),
        it,
      );
      return;
    }
    case 'logs': {
      const follow = step.followMs !== undefined;
      const req = logRequest(ctx.paths(step), step.namespace(scope), step.pod(scope), {
        ...(step.container ? { container: step.container(scope) } : {}),
        ...(step.tailLines !== undefined ? { tailLines: step.tailLines } : {}),
        ...(step.timestamps ? { timestamps: true } : {}),
        ...(follow ? { follow: true } : {}),
      });
      if (!follow) {
        await call(ctx, step, req, it);
        return;
      }
      // Follow for followMs, then abort the stream (the metrics wrapper counts it when it ends).
      await followFor(ctx, step, req, it, step.followMs!);
      return;
    }
    case 'exec': {
      if (!step.containers) {
        await execOnce(ctx, step, it, step.container?.(scope));
        return;
      }
      // Like Argo's signalContainers: every container the pod runs but the excluded ones, one after another.
      const ns = step.namespace(scope);
      const podName = step.pod(scope);
      const pod = step.containers.from !== undefined ? scope.objects[step.containers.from] : json(await call(ctx, step, getRequest(ctx.paths(step), ns, podName), it));
      for (const container of runningContainers(pod, step.containers.allExcept)) await execOnce(ctx, step, it, container);
      return;
    }
    case 'wait': {
      const obj = await waitFor(ctx, step, it);
      if (step.as) scope.objects[step.as] = obj;
      return;
    }
    case 'watch':
      await holdWatches(ctx, step, scope);
      return;
    case 'http': {
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
      return;
    }
  }
}

async function execOnce(ctx: StepContext, step: Compiled<ExecStep>, it: Iteration, container: string | undefined): Promise<void> {
  const scope = it.scope;
  const first = it.intendedAt;
  it.intendedAt = undefined;
  const result = await exec(ctx.execDispatch ?? ctx.dispatch, ctx.paths(step), step.namespace(scope), step.pod(scope), {
    command: step.command.map((c) => c(scope)),
    ...(container !== undefined ? { container } : {}),
    ...(step.stdin !== undefined ? { stdinData: step.stdin } : {}),
    operation: step.operationIndex,
    ...(first !== undefined ? { intendedAt: first } : {}),
    ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}),
    protocol: step.protocol,
    ...streamOf(ctx, step.operationIndex, 'streamOperation'),
  }).catch((err: Error) => {
    throw new StepFailure(`${step.operation}: ${err.message.slice(0, 60)}`, `${step.operation}: ${err.message}`);
  });
  if (result.exitCode !== step.expectExitCode) {
    throw new StepFailure(`${step.operation}: exit ${result.exitCode}`, `${step.operation} exited ${result.exitCode}, expected ${step.expectExitCode}`);
  }
}

/** runningContainers names the pod's running containers (status.containerStatuses[].state.running) except `allExcept`, in status order. */
export function runningContainers(pod: unknown, allExcept: readonly string[]): string[] {
  const statuses = (pod as { status?: { containerStatuses?: Array<{ name?: string; state?: { running?: unknown } }> } } | undefined)?.status?.containerStatuses ?? [];
  return statuses.filter((c) => typeof c.name === 'string' && c.state?.running != null && !allExcept.includes(c.name)).map((c) => c.name!);
}

/** EVENT_CACHE_MAX bounds the events a worker remembers per component for PATCHing repeats (client-go's event cache holds 4096). */
const EVENT_CACHE_MAX = 4096;

const eventTime = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * recordEvent records an Event the way client-go's recorder sends it: the first time a POST of a new Event named
 * `<object>.<hex ns timestamp>` with count 1; when the same event (object, reason, message, type, component) repeats in this
 * worker, a strategic merge PATCH of its count, message and lastTimestamp; a PATCH answered 404 creates it again.
 */
async function recordEvent(ctx: StepContext, step: Compiled<EventStep>, it: Iteration): Promise<void> {
  const scope = it.scope;
  const ns = step.namespace(scope);
  const io = step.involvedObject;
  const involved = { apiVersion: io.apiVersion, kind: io.kind, name: io.name(scope), namespace: io.namespace ? io.namespace(scope) : ns, ...(io.uid ? { uid: io.uid(scope) } : {}) };
  const reason = step.reason(scope);
  const message = step.message(scope);
  const key = `event ${JSON.stringify([involved, reason, message, step.type, step.component])}`;
  const seen = ctx.cache?.get(key) as { name: string; count: number; first: string } | undefined;
  const now = eventTime();
  const paths = ctx.paths(step);
  if (seen) {
    seen.count++;
    const body = JSON.stringify({ count: seen.count, lastTimestamp: now, message });
    const res = await send(ctx.dispatch, opts(patchRequest(paths, ns, seen.name, 'strategic', body), step.operationIndex, it));
    if (res.status >= 200 && res.status < 300) return;
    ctx.cache!.delete(key);
    if (res.status !== 404) throw failure(step.operation, res);
  }
  const name = `${involved.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns, labels: { [RUN_LABEL]: ctx.runId } },
    involvedObject: involved,
    reason,
    message,
    type: step.type,
    source: { component: step.component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: step.component,
  };
  await call(ctx, step, createRequest(paths, ns, JSON.stringify(event)), it);
  if (ctx.cache) {
    if (ctx.cache.size >= EVENT_CACHE_MAX) {
      for (const k of ctx.cache.keys()) {
        if (k.startsWith('event ')) {
          ctx.cache.delete(k);
          break;
        }
      }
    }
    ctx.cache.set(key, { name, count: 1, first: now });
  }
}

/** streamOf returns `{ [key]: the stream step's duration operation }`, or nothing when the run records none. */
function streamOf<K extends 'streamOperation' | 'watchStreamOperation'>(ctx: StepContext, operation: number, key: K): Partial<Record<K, number>> {
  const s = ctx.streamOperation?.(operation);
  return s === undefined ? {} : ({ [key]: s } as Partial<Record<K, number>>);
}

async function followFor(ctx: StepContext, step: { operationIndex: number; operation: string }, req: KubeRequest, it: Iteration, ms: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let controller: { abort(reason?: Error): void } | undefined;
    let status = 0;
    const timer = setTimeout(() => controller?.abort(new Error('follow time over')), ms);
    ctx.longDispatch(opts(req, step.operationIndex, it, ctx.streamOperation?.(step.operationIndex)), {
      onRequestStart(c) {
        controller = c;
      },
      onResponseStart(_c, s) {
        status = s;
      },
      onResponseData() {},
      onResponseEnd() {
        clearTimeout(timer);
        if (status >= 200 && status < 300) resolve();
        else reject(new StepFailure(`${step.operation}: ${status}`, `${step.operation} answered ${status}`));
      },
      onResponseError(_c, err) {
        clearTimeout(timer);
        // Ending the follow ourselves is success.
        if (status >= 200 && status < 300) resolve();
        else reject(new StepFailure(`${step.operation}: ${err.message.slice(0, 40)}`, err.message));
      },
    });
  });
}

/** WaitEnd is how one watch of a wait step ended. */
type WaitEnd =
  | { kind: 'met'; object: unknown }
  | { kind: 'timeout' }
  | { kind: 'stopped' }
  | { kind: 'expired' }
  | { kind: 'ended' }
  | { kind: 'failed'; res: KubeResponse }
  | { kind: 'error'; error: Error };

/** WaitWatchHandler reads one watch stream of a wait step until an ADDED/MODIFIED event meets the condition (one parse per event line). */
class WaitWatchHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private readonly body: Buffer[] = [];
  private readonly parser: WatchParser;
  private controller: Dispatcher.DispatchController | undefined;
  private ended = false;

  constructor(
    until: WaitStep['until'],
    private readonly finish: (end: WaitEnd) => void,
  ) {
    this.parser = new WatchParser((ev: WatchEvent) => {
      if (this.ended) return;
      if (ev.type === 'ERROR') {
        const st = parseStatus(Number((ev.object as { code?: number }).code) || 500, ev.object);
        this.stop(isExpired(st) ? { kind: 'expired' } : { kind: 'failed', res: { status: st.code, headers: {}, body: Buffer.from(JSON.stringify(ev.object)) } });
      } else if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && conditionHolds(ev.object, until)) {
        this.stop({ kind: 'met', object: ev.object });
      }
    });
  }

  /** stop settles the wait with `end` (the first settlement wins) and ends the stream. */
  stop(end: WaitEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.finish(end);
    this.controller?.abort(new Error('wait over'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.ended) controller.abort(new Error('wait over'));
  }
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.ended) return;
    if (this.status === 200) this.parser.push(chunk);
    else this.body.push(chunk);
  }
  onResponseEnd(_c: Dispatcher.DispatchController, _t: IncomingHttpHeaders): void {
    if (this.status !== 200) {
      const res: KubeResponse = { status: this.status, headers: {}, body: Buffer.concat(this.body) };
      this.stop(isExpired(parseStatus(res.status, res.body)) ? { kind: 'expired' } : { kind: 'failed', res });
      return;
    }
    this.parser.end();
    this.stop({ kind: 'ended' });
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.stop({ kind: 'error', error: err });
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, _s: number, _h: IncomingHttpHeaders, socket: { destroy(): void }): void {
    socket.destroy();
    this.stop({ kind: 'error', error: new Error('unexpected upgrade on a watch') });
  }
}

/** STOP_CHECK_MS is how often a waiting step checks whether the run is stopping. */
const STOP_CHECK_MS = 200;

/**
 * waitFor waits until the step's condition holds on its object: a GET (the object may already qualify;
 * its resourceVersion starts the watch), then a watch of that one object (fieldSelector
 * metadata.name=<name>) until an event meets the condition. A 410 Expired (or a stream the server
 * ended) re-GETs and watches again; those 410s and re-watches are counted in the operation's watch
 * counters. Every GET and watch request counts under the step's operation.
 */
async function waitFor(ctx: StepContext, step: Compiled<WaitStep>, it: Iteration): Promise<unknown> {
  const scope = it.scope;
  const paths = ctx.paths(step);
  const ns = step.namespace(scope);
  const name = step.name(scope);
  const deadline = ctx.clock() + step.timeoutMs;
  const timeout = () => new StepFailure(`${step.operation}: timeout`, `${step.operation}: condition ${step.until.field} not met within ${step.timeoutMs} ms`);
  for (let round = 0; round < 10_000; round++) {
    const res = await send(ctx.dispatch, opts(getRequest(paths, ns, name), step.operationIndex, it));
    let resourceVersion: string | undefined;
    if (res.status === 200) {
      const obj = json(res) as { metadata?: { resourceVersion?: string } };
      if (conditionHolds(obj, step.until)) return obj;
      resourceVersion = obj.metadata?.resourceVersion;
    } else if (res.status !== 404) throw failure(step.operation, res);
    // 404: not created yet; a watch without resourceVersion first sends the object as ADDED if it appears meanwhile.
    const remaining = deadline - ctx.clock();
    if (remaining <= 0) throw timeout();
    if (ctx.stopping()) throw new StepFailure(`${step.operation}: stopped`, `${step.operation}: the run stopped before condition ${step.until.field} was met`);
    const end = await new Promise<WaitEnd>((resolve) => {
      const handler = new WaitWatchHandler(step.until, (e) => {
        clearTimeout(timer);
        clearInterval(stopCheck);
        resolve(e);
      });
      const timer = setTimeout(() => handler.stop({ kind: 'timeout' }), remaining);
      const stopCheck = setInterval(() => ctx.stopping() && handler.stop({ kind: 'stopped' }), STOP_CHECK_MS);
      const req = watchRequest(paths, ns, {
        fieldSelector: `metadata.name=${name}`,
        ...(resourceVersion ? { resourceVersion } : {}),
        timeoutSeconds: Math.max(1, Math.ceil(remaining / 1000)),
      });
      try {
        ctx.longDispatch(opts(req, step.operationIndex, it, ctx.streamOperation?.(step.operationIndex)), handler);
      } catch (err) {
        handler.stop({ kind: 'error', error: err as Error });
      }
    });
    switch (end.kind) {
      case 'met':
        return end.object;
      case 'timeout':
        throw timeout();
      case 'stopped':
        throw new StepFailure(`${step.operation}: stopped`, `${step.operation}: the run stopped before condition ${step.until.field} was met`);
      case 'failed':
        throw failure(step.operation, end.res);
      case 'error':
        throw new StepFailure(`${step.operation}: ${end.error.message.slice(0, 60)}`, `${step.operation}: watch failed: ${end.error.message}`);
      case 'expired':
        ctx.watchStats?.(step.operationIndex).expired();
        ctx.watchStats?.(step.operationIndex).rewatch();
        continue; // re-GET: the version expired
      case 'ended':
        ctx.watchStats?.(step.operationIndex).rewatch();
        continue; // re-GET: the server ended the stream
    }
  }
  throw timeout();
}

async function holdWatches(ctx: StepContext, step: Compiled<WatchStep>, scope: TemplateScope): Promise<void> {
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
}

/** Longest a held watch waits after the phase for the iterations still in flight, ms (they are bounded by their own timeouts). */
const DRAIN_WORK_MAX_MS = 60_000;
/** After that work ended, a held watch closes once no event came for QUIET_MS, and at most DRAIN_QUIET_MAX_MS later. */
const QUIET_MS = 250;
const DRAIN_QUIET_MAX_MS = 2_000;
const DRAIN_POLL_MS = 20;

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

/** stampObject sets the `racerig.io/sent-at` annotation (wall-clock ms) of an object about to be written (update), so watches can time the MODIFIED event it causes. */
export function stampObject(obj: { metadata?: unknown }): void {
  const md = (obj.metadata ??= {}) as { annotations?: Record<string, string> | null };
  md.annotations = { ...md.annotations, [SENT_AT_ANNOTATION]: String(Math.round(wallMs())) };
}

/** stampPatch adds the `racerig.io/sent-at` annotation to a merge or strategic merge patch body (a JSON object; other bodies are returned as they are). */
export function stampPatch(bodyJson: string): string {
  if (bodyJson.charCodeAt(0) !== 0x7b /* { */) return bodyJson;
  const obj = JSON.parse(bodyJson) as { metadata?: unknown };
  if (obj.metadata === null || (obj.metadata !== undefined && typeof obj.metadata !== 'object')) return bodyJson;
  stampObject(obj);
  return JSON.stringify(obj);
}

/** stampSentAt adds the `racerig.io/sent-at` annotation (wall-clock ms) to a manifest, so watches can measure delivery lag. */
export function stampSentAt(manifestJson: string): string {
  const obj = JSON.parse(manifestJson) as { metadata?: { annotations?: Record<string, string> } };
  obj.metadata ??= {};
  obj.metadata.annotations = { ...obj.metadata.annotations, [SENT_AT_ANNOTATION]: String(Math.round(wallMs())) };
  return JSON.stringify(obj);
}

/** newScope builds an iteration's template scope. */
export function newScope(base: Omit<TemplateScope, 'iteration' | 'objects'>, iteration: number): TemplateScope {
  return { ...base, iteration, objects: {} };
}

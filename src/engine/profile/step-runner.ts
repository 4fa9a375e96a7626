/**
 * Runs the steps of one profile iteration against the API through the worker's wrapped dispatcher.
 * Each request carries its step's operation (for the metrics wrapper); the first request of an
 * open-model iteration carries the iteration's intended start, so its latency counts from it.
 */
import type { Compiled } from '../../profile/compile.js';
import type { Step, WatchStep } from '../../profile/types.js';
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
  type KubeRequest,
} from '../../kube/requests.js';
import { exec } from '../../kube/exec-client.js';
import { parseStatus } from '../../kube/status.js';
import { WatchClient, SENT_AT_ANNOTATION } from '../../kube/watch-client.js';
import { wallMs } from '../clock.js';
import { writeField } from '../../profile/field-path.js';
import { conditionHolds } from './condition-holds.js';
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
}

/** Iteration carries one iteration's template scope and its intended start (used by the first request only). */
export interface Iteration {
  scope: TemplateScope;
  intendedAt: number | undefined;
}

function opts(req: KubeRequest, operation: number, it: Iteration): RigDispatchOptions {
  const o: RigDispatchOptions = { method: req.method, path: req.path, headers: req.headers, operation };
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
      const body = stampSentAt(step.manifest(scope));
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
      for (let attempt = 0; ; attempt++) {
        const current = json(await call(ctx, step, getRequest(paths, ns, name), it)) as Record<string, unknown>;
        for (const s of step.set) writeField(current, s.path, JSON.parse(s.value(scope)));
        const res = await send(ctx.dispatch, opts(updateRequest(paths, ns, name, current), step.operationIndex, it));
        if (res.status === 409 && attempt < step.retryOnConflict) continue;
        if (res.status < 200 || res.status >= 300) throw failure(step.operation, res);
        if (step.as) scope.objects[step.as] = json(res);
        return;
      }
    }
    case 'patch': {
      const body = step.body(scope);
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
      const first = it.intendedAt;
      it.intendedAt = undefined;
      const result = await exec(ctx.dispatch, ctx.paths(step), step.namespace(scope), step.pod(scope), {
        command: step.command.map((c) => c(scope)),
        ...(step.container ? { container: step.container(scope) } : {}),
        ...(step.stdin !== undefined ? { stdinData: step.stdin } : {}),
        operation: step.operationIndex,
        ...(first !== undefined ? { intendedAt: first } : {}),
        ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}),
      }).catch((err: Error) => {
        throw new StepFailure(`${step.operation}: ${err.message.slice(0, 60)}`, `${step.operation}: ${err.message}`);
      });
      if (result.exitCode !== step.expectExitCode) {
        throw new StepFailure(`${step.operation}: exit ${result.exitCode}`, `${step.operation} exited ${result.exitCode}, expected ${step.expectExitCode}`);
      }
      return;
    }
    case 'wait': {
      const paths = ctx.paths(step);
      const ns = step.namespace(scope);
      const name = step.name(scope);
      const deadline = ctx.clock() + step.timeoutMs;
      // Poll with GET (each poll is a request of the step's operation) at a gentle pace.
      for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
        const res = await send(ctx.dispatch, opts(getRequest(paths, ns, name), step.operationIndex, it));
        if (res.status === 200) {
          const obj = json(res);
          if (conditionHolds(obj, step.until)) {
            if (step.as) scope.objects[step.as] = obj;
            return;
          }
        } else if (res.status !== 404) {
          throw failure(step.operation, res);
        }
        if (ctx.clock() + delay > deadline || ctx.stopping()) {
          throw new StepFailure(`${step.operation}: timeout`, `${step.operation}: condition ${step.until.field} not met within ${step.timeoutMs} ms`);
        }
        await sleep(delay);
      }
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

async function followFor(ctx: StepContext, step: { operationIndex: number; operation: string }, req: KubeRequest, it: Iteration, ms: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let controller: { abort(reason?: Error): void } | undefined;
    let status = 0;
    const timer = setTimeout(() => controller?.abort(new Error('follow time over')), ms);
    ctx.longDispatch(opts(req, step.operationIndex, it), {
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

async function holdWatches(ctx: StepContext, step: Compiled<WatchStep>, scope: TemplateScope): Promise<void> {
  const labelSelector = step.labelSelector?.(scope);
  const fieldSelector = step.fieldSelector?.(scope);
  const clients: WatchClient[] = [];
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
        ...(ctx.recordLag
          ? {
              onEvent: (_ev: unknown, lagMs: number | undefined) => {
                if (lagMs !== undefined) ctx.recordLag!(step.operationIndex, lagMs);
              },
            }
          : {}),
      }),
    );
  }
  await Promise.all(clients.map((c) => c.start()));
  if (step.forMs !== undefined) await sleep(step.forMs, ctx.phaseEnd);
  else await ctx.phaseEnd;
  await Promise.all(clients.map((c) => c.stop()));
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

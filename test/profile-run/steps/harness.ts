/**
 * A step kind's test bench: the embedded mock on 127.0.0.1:0, a StepContext whose dispatch records every
 * request (method, path, operation, body, status), and steps loaded from a profile scenario (YAML) and
 * prepared and compiled exactly as a profile worker does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { startMockServer, type MockServer, type MockServerOptions } from '../../../src/mock/server.js';
import { loadTarget } from '../../../src/kube/target.js';
import { createTargetDispatcher, composeDispatch } from '../../../src/kube/target-dispatcher.js';
import { Discovery } from '../../../src/kube/discovery.js';
import { ResourcePaths } from '../../../src/kube/resource.js';
import { send, type KubeResponse } from '../../../src/kube/send.js';
import type { KubeRequest } from '../../../src/kube/requests.js';
import type { RigDispatchOptions } from '../../../src/http/request-options.js';
import { loadProfile } from '../../../src/profile/loader.js';
import { compileTemplates } from '../../../src/profile/compile.js';
import { resourceKey } from '../../../src/profile-run/profile-task.js';
import { prepareStep, runStep, type CompiledStep, type Iteration, type StepContext } from '../../../src/profile-run/step-runner.js';

/** Sent is one request a step sent, as the mock answered it (status 101 for an upgrade, 0 when no answer came). */
export interface Sent {
  method: string;
  path: string;
  operation: number | undefined;
  body: string | undefined;
  headers: Record<string, string>;
  status: number;
}

/** Bench is a started mock with a recording StepContext. */
export interface Bench {
  server: MockServer;
  ctx: StepContext;
  /** Every request the steps sent, in order. */
  sent: Sent[];
  /** steps loads `scenario` (the YAML list under `scenario:`, indented by two) and returns its steps prepared and compiled. */
  steps(scenario: string): Promise<CompiledStep[]>;
  /** run runs `steps` in order as one iteration (number `iteration`) and returns the iteration's stored objects. */
  run(steps: CompiledStep[], iteration?: number): Promise<Record<string, unknown>>;
  /** pathsOf returns a resource's paths, once a loaded step used it. */
  pathsOf(resource: string, group?: string): ResourcePaths;
  /** direct sends a request around the recorder (to arrange or inspect state). */
  direct(req: KubeRequest): Promise<KubeResponse>;
  close(): Promise<void>;
}

const RUN_ID = 'steptest';

function recording(sent: Sent[]): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler) => {
    const s: Sent = { method: opts.method, path: opts.path, operation: opts.operation, body: typeof opts.body === 'string' ? opts.body : undefined, headers: { ...(opts.headers as Record<string, string> | undefined) }, status: 0 };
    sent.push(s);
    const target = handler as unknown as Record<string | symbol, unknown>;
    const wrapped = new Proxy(target, {
      get(t, k) {
        if (k === 'onResponseStart') return (c: unknown, status: number, ...rest: unknown[]) => ((s.status = status), (t.onResponseStart as (...a: unknown[]) => unknown)?.call(t, c, status, ...rest));
        if (k === 'onRequestUpgrade') return (...a: unknown[]) => ((s.status = 101), (t.onRequestUpgrade as (...a: unknown[]) => unknown).apply(t, a));
        const v = t[k];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    return dispatch(opts, wrapped as unknown as Dispatcher.DispatchHandler);
  };
}

/** startBench starts the mock (options as startMockServer's) and returns the bench; close it after. */
export async function startBench(options: MockServerOptions = {}): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-step-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const server = await startMockServer({ ...options, kubeconfigPath: kubeconfig });
  const target = await loadTarget({ kubeconfig });
  const pool = createTargetDispatcher(target, { connections: 8, timeoutMs: 10_000 });
  const longPool = createTargetDispatcher(target, { connections: 64, timeoutMs: 0 });
  const sent: Sent[] = [];
  const plain = composeDispatch(pool, []);
  const discovery = new Discovery({ dispatch: plain });
  const paths = new Map<string, ResourcePaths>();
  let phaseEnded!: () => void;
  const ctx: StepContext = {
    dispatch: composeDispatch(pool, [recording(sent)]),
    longDispatch: composeDispatch(longPool, [recording(sent)]),
    cache: new Map(),
    paths: (step) => {
      const p = paths.get(resourceKey(step.resource));
      if (!p) throw new Error(`resource ${resourceKey(step.resource)} not resolved`);
      return p;
    },
    clock: () => performance.now(),
    phaseEnd: new Promise<void>((r) => (phaseEnded = r)),
    stopping: () => false,
    runId: RUN_ID,
  };
  let files = 0;
  return {
    server,
    ctx,
    sent,
    async steps(scenario) {
      const file = join(dir, `p${files++}.yaml`);
      writeFileSync(file, ['name: steps', 'description: one step kind', 'phases:', '  - name: p', '    iterations: 1', '    components:', '      - name: c', '        concurrency: 1', '        scenario:', scenario].join('\n'));
      const profile = await loadProfile(file, { cwd: dir, smoke: false });
      const raw = profile.phases[0]!.components[0]!.steps;
      for (const s of raw) {
        if (!('resource' in s)) continue;
        const ref = s.resource;
        const key = resourceKey(ref);
        if (!paths.has(key)) paths.set(key, new ResourcePaths(await discovery.resolve(ref.group ? `${ref.resource}.${ref.group}` : ref.resource)));
      }
      return compileTemplates(raw.map(prepareStep)) as CompiledStep[];
    },
    async run(steps, iteration = 0) {
      const it: Iteration = {
        scope: { runId: RUN_ID, profile: 'steps', phase: 'p', component: 'c', iteration, worker: 0, namespace: 'default', objects: {} },
        intendedAt: undefined,
      };
      for (const s of steps) await runStep(ctx, s, it);
      return it.scope.objects;
    },
    pathsOf: (resource, group = '') => ctx.paths({ resource: { resource, group } }),
    direct: (req) => send(plain, req),
    async close() {
      phaseEnded();
      await Promise.all([pool.destroy(), longPool.destroy()]);
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** annotations returns an object's metadata.annotations. */
export function annotationsOf(obj: unknown): Record<string, string> {
  return (obj as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {};
}

/** rejectsWithStepFailure asserts that `p` rejects with a StepFailure (code RACERIG_STEP_FAILED) whose reason matches `reason`, and returns it. */
export async function rejectsWithStepFailure(p: Promise<unknown>, reason: RegExp): Promise<{ code: string; reason: string; message: string }> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  const f = err as { code?: string; reason?: string; message?: string } | undefined;
  if (!f || f.code !== 'RACERIG_STEP_FAILED' || typeof f.reason !== 'string' || !reason.test(f.reason)) {
    throw new Error(`expected a StepFailure matching ${reason}, got ${err === undefined ? 'success' : `${f?.code} ${f?.reason ?? ''} ${f?.message ?? String(err)}`}`);
  }
  return f as { code: string; reason: string; message: string };
}

/**
 * Observers from a profile's `observe:` entries: a registry from entry kind to factory, and
 * createObservers, which builds them all against the run's target (one shared connection pool for the
 * pod observers and the metrics observer's pod form, opened only when one needs it) and closes that pool
 * after they stopped.
 */
import type { Observer as ObserverEntry, PodPort } from '../profile/types.js';
import { compileTemplate, type Template, type TemplateScope } from '../profile/template.js';
import { send } from '../kube/send.js';
import type { Observer, ObserverContext } from './observer.js';
import { openKubeAccess, type KubeAccess, type ObserveTarget } from './kube-access.js';
import { createPodLogsObserver } from './pod-logs.js';
import { createPodRestartsObserver } from './pod-restarts.js';
import { createMetricsScrapeObserver, type MetricsSource } from './metrics-scrape.js';
import { describePodTarget, podProxyReader, type PodMetricsTarget } from './pod-metrics-source.js';

/** ObserverEnv is what a factory gets besides its entry: the run's context, the target, and resolvers. */
export interface ObserverEnv {
  ctx: ObserverContext;
  /** The target API server's access (opened on first use; shared by every observer built in one createObservers call). */
  kube(): KubeAccess;
  /** Renders an entry's namespace template ({{namespace}}: the profile's target namespace). */
  namespace(entry: { namespace: Template }): string;
  /** Resolves placeholders in a URL (e.g. the SUT's metrics address); identity when the run has none. */
  resolveUrl(s: string): string;
  /** Reads the API server's Prometheus text (the metrics cross-check). */
  readServerMetrics(signal: AbortSignal): Promise<string>;
}

/** podSource reads a metrics observer's pod port through the target API server's proxy. */
function podSource(env: ObserverEnv, pod: PodPort): MetricsSource {
  const target: PodMetricsTarget = { namespace: env.namespace(pod), selector: pod.selector, port: pod.port, path: pod.path };
  const read = podProxyReader(env.kube(), target);
  return { describe: describePodTarget(target), read, data: { pod: target } };
}

/** ObserverFactory builds one observer from its profile entry. */
export type ObserverFactory<K extends ObserverEntry['kind'] = ObserverEntry['kind']> = (entry: Extract<ObserverEntry, { kind: K }>, env: ObserverEnv) => Observer;

/** OBSERVER_FACTORIES maps each `observe:` kind to its factory. */
export const OBSERVER_FACTORIES: { readonly [K in ObserverEntry['kind']]: ObserverFactory<K> } = {
  podLogs: (e, env) => createPodLogsObserver(env.ctx, { kube: env.kube(), namespace: env.namespace(e), selector: e.selector, patterns: e.patterns }),
  restarts: (e, env) => createPodRestartsObserver(env.ctx, { kube: env.kube(), namespace: env.namespace(e), selector: e.selector }),
  metrics: (e, env) =>
    createMetricsScrapeObserver(env.ctx, {
      ...(e.pod ? { source: podSource(env, e.pod) } : { url: env.resolveUrl(e.url) }),
      metrics: e.metrics,
      ...(e.crossCheck ? { crossCheck: e.crossCheck, readServerMetrics: (signal: AbortSignal) => env.readServerMetrics(signal) } : {}),
    }),
};

/** CreateObserversOptions are the run's side of building observers. */
export interface CreateObserversOptions {
  ctx: ObserverContext;
  /** The run's target API server (a profile run's target). */
  target: ObserveTarget;
  /** The profile's target namespace ({{namespace}} in an entry's namespace). */
  namespace: string;
  /** The rest of the template scope for namespaces (run id, profile name); defaults are empty. */
  scope?: Partial<TemplateScope>;
  /** Resolves URL placeholders; default identity. */
  resolveUrl?: (s: string) => string;
  /** Reads the API server's Prometheus text; default GET <pathPrefix>/metrics on the target (10 s timeout). The embedded mock can pass its own reader. */
  readServerMetrics?: (signal: AbortSignal) => Promise<string>;
}

/** CreatedObservers are the built observers and a close that ends their shared connections (call after every observer stopped). */
export interface CreatedObservers {
  observers: Observer[];
  close(): Promise<void>;
}

/** createObservers builds one observer per entry, in order; throws ObserveError for an entry that cannot work (a bad pattern). */
export function createObservers(entries: readonly ObserverEntry[], o: CreateObserversOptions): CreatedObservers {
  let access: KubeAccess | undefined;
  const kube = (): KubeAccess => (access ??= openKubeAccess(o.target));
  const scope: TemplateScope = { runId: '', profile: '', phase: '', component: '', iteration: 0, worker: 0, objects: {}, ...o.scope, namespace: o.namespace };
  const env: ObserverEnv = {
    ctx: o.ctx,
    kube,
    namespace: (e) => compileTemplate(e.namespace)(scope),
    resolveUrl: o.resolveUrl ?? ((s) => s),
    readServerMetrics:
      o.readServerMetrics ??
      (async (signal) => {
        const k = kube();
        const r = await Promise.race([
          send(k.requestDispatch, { method: 'GET', path: `${k.pathPrefix}/metrics`, headers: { accept: 'text/plain' } }),
          new Promise<never>((_, reject) => {
            const abort = () => reject(new Error('reading the API server metrics: aborted (timeout or stop)'));
            if (signal.aborted) abort();
            else signal.addEventListener('abort', abort, { once: true });
          }),
        ]);
        if (r.status !== 200) throw new Error(`GET ${k.pathPrefix}/metrics on the API server: HTTP ${r.status}`);
        return r.body.toString('utf8');
      }),
  };
  const observers = entries.map((e) => (OBSERVER_FACTORIES[e.kind] as ObserverFactory)(e, env));
  return {
    observers,
    close: async () => {
      await access?.close();
    },
  };
}

/**
 * A metrics source that reads a pod's port through the API server's proxy with the run's credentials:
 * at every scrape it lists the pods matching namespace + selector, takes the first Running one (not being
 * deleted; oldest first, then by name), and GETs /api/v1/namespaces/<ns>/pods/<name>:<port>/proxy/<path>.
 * Choosing again at each scrape follows a restarted or replaced pod; the instance (name and uid) it read
 * tells the metrics observer when the counters it compares come from another process.
 */
import { send } from '../kube/send.js';
import type { KubeAccess } from './kube-access.js';

/** PodMetricsTarget is the pod port to read: pods matching `selector` in `namespace`, their `port`, `path` (starting with '/'). */
export interface PodMetricsTarget {
  namespace: string;
  selector: string;
  port: number;
  path: string;
}

/** MetricsRead is one read of a metrics endpoint: its text and, when known, which instance answered (e.g. `pod <name> <uid>`). */
export interface MetricsRead {
  text: string;
  instance?: string;
}

interface PodItem {
  metadata?: { name?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string };
  status?: { phase?: string };
}

/** describePodTarget names a pod target for messages and the observer's name: `pod <ns>/<selector>:<port><path>`. */
export function describePodTarget(t: PodMetricsTarget): string {
  return `pod ${t.namespace}/${t.selector}:${t.port}${t.path}`;
}

/** pickRunningPod returns the first Running pod not being deleted, oldest first, then by name; undefined when none. */
export function pickRunningPod<P extends PodItem>(items: readonly P[]): P | undefined {
  return items
    .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && p.metadata?.name)
    .sort((a, b) => (a.metadata!.creationTimestamp ?? '').localeCompare(b.metadata!.creationTimestamp ?? '') || a.metadata!.name!.localeCompare(b.metadata!.name!))[0];
}

/** statusMessage is the message of a metav1.Status body, or the body's start. */
function statusMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not a Status
  }
  return text.slice(0, 200);
}

/** abortable rejects when `signal` aborts (the scrape timeout or the run's stop), otherwise settles as `p`. */
function abortable<T>(p: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      const abort = () => reject(new Error(`${what}: aborted (timeout or stop)`));
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
    }),
  ]);
}

/** podProxyReader returns a reader of `target` through `kube` (the run's API server and credentials); each call picks the pod again; it throws when no pod runs or the proxy answers other than 2xx. */
export function podProxyReader(kube: KubeAccess, target: PodMetricsTarget): (signal: AbortSignal) => Promise<MetricsRead> {
  const ns = encodeURIComponent(target.namespace);
  return async (signal) => {
    const list = await abortable(
      send(kube.requestDispatch, { method: 'GET', path: `${kube.pathPrefix}/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(target.selector)}`, headers: { accept: 'application/json' } }),
      signal,
      'listing the pods',
    );
    if (list.status !== 200) throw new Error(`listing pods ${target.namespace}/${target.selector}: HTTP ${list.status}: ${statusMessage(list.body)}`);
    const pod = pickRunningPod((JSON.parse(list.body.toString('utf8')) as { items?: PodItem[] }).items ?? []);
    if (!pod) throw new Error(`no Running pod matches ${target.selector} in ${target.namespace}`);
    const name = pod.metadata!.name!;
    const r = await abortable(
      send(kube.requestDispatch, { method: 'GET', path: `${kube.pathPrefix}/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}:${target.port}/proxy${target.path}`, headers: { accept: 'text/plain;version=0.0.4, */*' } }),
      signal,
      `reading pod ${name}:${target.port}${target.path}`,
    );
    if (r.status < 200 || r.status >= 300) throw new Error(`pod ${name}:${target.port}${target.path} through the API server's proxy: HTTP ${r.status}: ${statusMessage(r.body)}`);
    return { text: r.body.toString('utf8'), instance: `pod ${name} ${pod.metadata!.uid ?? ''}`.trim() };
  };
}

/**
 * `racerig cluster deploy`: applies manifests through the API (server-side apply, field manager
 * `racerig`, forced), waits for every applied Deployment's rollout through a watch, and prints the pods
 * with their images; on timeout (or an exceeded progress deadline) it prints the pods' states and the
 * namespace's recent events.
 */
import type { CliContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import { ClusterError, UsageError } from '../errors.js';
import { Discovery } from '../kube/discovery.js';
import { patchRequest, listRequest } from '../kube/requests.js';
import { ResourcePaths, type ResourceInfo } from '../kube/resource.js';
import { send, sendJson, type DispatchFn } from '../kube/send.js';
import { parseStatus } from '../kube/status.js';
import type { KubeTarget } from '../kube/target.js';
import { WatchClient } from '../kube/watch-client.js';
import { openKubeAccess } from '../observe/kube-access.js';
import { CLUSTER_CODES, clusterInterrupted, clusterTimeout } from './kind-errors.js';
import type { Manifest } from './manifests.js';
import { rolloutState, selectorOf, type DeploymentLike } from './rollout.js';

/** FIELD_MANAGER is the field manager of racerig's server-side applies. */
export const FIELD_MANAGER = 'racerig';

/** DeployOptions configure one deploy. */
export interface DeployOptions {
  target: KubeTarget;
  manifests: Manifest[];
  /** `--namespace`: for namespaced objects without one (default: the kubeconfig context's namespace). */
  namespace?: string;
  /** How long to wait for the rollouts, ms. */
  waitMs: number;
}

/** Applied is one object the server accepted. */
interface Applied {
  info: ResourceInfo;
  namespace: string;
  name: string;
}

/** PodView is the part of a pod `deploy` prints. */
interface PodView {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string };
  spec?: { containers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; image?: string; ready?: boolean; restartCount?: number; state?: Record<string, { reason?: string; message?: string; exitCode?: number }> }[];
  };
}

/** EventView is the part of a core/v1 Event `deploy` prints. */
interface EventView {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  metadata?: { creationTimestamp?: string };
  involvedObject?: { kind?: string; name?: string };
}

/** deploy applies, waits and prints; rejects with a ClusterError (apply refused: 8, timeout: 9, Ctrl-C: 130). */
export async function deploy(o: DeployOptions, ctx: CliContext): Promise<void> {
  const access = openKubeAccess(o.target);
  try {
    const discovery = new Discovery({ dispatch: access.dispatch, pathPrefix: access.pathPrefix });
    const applied: Applied[] = [];
    for (const m of o.manifests) applied.push(await applyOne(m, o, discovery, access.dispatch, access.pathPrefix, ctx));
    const deployments = applied.filter((a) => a.info.group === 'apps' && a.info.resource === 'deployments');
    if (!deployments.length) {
      ctx.stdout.write('racerig: no Deployment among the manifests: nothing to wait for\n');
      return;
    }
    const final = await waitForRollouts(deployments, o.waitMs, access.dispatch, access.pathPrefix, ctx);
    for (const d of final) await printPods(d, access.dispatch, access.pathPrefix, ctx, false);
  } finally {
    await access.close().catch(() => {});
  }
}

async function applyOne(m: Manifest, o: DeployOptions, discovery: Discovery, dispatch: DispatchFn, pathPrefix: string, ctx: CliContext): Promise<Applied> {
  const { obj } = m;
  let info: ResourceInfo;
  try {
    info = await discovery.resolveKind(obj.apiVersion, obj.kind);
  } catch (err) {
    throw new ClusterError(CLUSTER_CODES.applyFailed, `${m.file}: ${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`, {
      hint: 'install the CRD first (put it in the same -f list: CRDs are applied before other objects)',
      exitCode: ExitCode.ClusterFailed,
      cause: err,
    });
  }
  let namespace = '';
  if (info.namespaced) {
    if (o.namespace !== undefined && obj.metadata.namespace !== undefined && obj.metadata.namespace !== o.namespace) {
      throw new UsageError(`${m.file}: the namespace of ${obj.kind} ${obj.metadata.name} ("${obj.metadata.namespace}") does not match --namespace "${o.namespace}"`);
    }
    namespace = obj.metadata.namespace ?? o.namespace ?? o.target.namespace;
    obj.metadata.namespace = namespace;
  }
  const paths = new ResourcePaths(info, pathPrefix);
  const r = await send(dispatch, patchRequest(paths, namespace, obj.metadata.name, 'apply', JSON.stringify(obj), { fieldManager: FIELD_MANAGER, force: true }));
  if (r.status !== 200 && r.status !== 201) {
    const st = parseStatus(r.status, r.body);
    throw new ClusterError(CLUSTER_CODES.applyFailed, `${m.file}: applying ${obj.kind} ${namespace ? `${namespace}/` : ''}${obj.metadata.name} failed: ${r.status} ${st.reason ?? ''}: ${st.message ?? ''}`, {
      hint: r.status === 403 ? 'the kubeconfig user may not write this object (RBAC)' : r.status === 404 ? `does namespace "${namespace}" exist? Put its Namespace in the -f list` : 'see the message of the API server',
      exitCode: ExitCode.ClusterFailed,
    });
  }
  ctx.stdout.write(`${info.kind.toLowerCase()}${info.group ? `.${info.group}` : ''}/${obj.metadata.name} serverside-applied\n`);
  return { info, namespace, name: obj.metadata.name };
}

/** waitForRollouts watches every deployment until all rolled out, the deadline passes (pods and events printed, exit 9) or Ctrl-C (130). */
async function waitForRollouts(deployments: Applied[], waitMs: number, dispatch: DispatchFn, pathPrefix: string, ctx: CliContext): Promise<DeploymentLike[]> {
  const latest = new Map<Applied, DeploymentLike>();
  const done = new Set<Applied>();
  const lastMessage = new Map<Applied, string>();
  let settle!: (outcome: 'done' | 'timeout' | 'interrupt' | { failed: Applied; message: string }) => void;
  const outcome = new Promise<'done' | 'timeout' | 'interrupt' | { failed: Applied; message: string }>((r) => (settle = r));
  const watches = deployments.map(
    (d) =>
      new WatchClient({
        dispatch,
        paths: new ResourcePaths(d.info, pathPrefix),
        namespace: d.namespace,
        list: { fieldSelector: `metadata.name=${d.name}` },
        allowWatchBookmarks: false,
        onEvent: (ev) => {
          if (ev.type === 'DELETED' || ev.type === 'BOOKMARK') return;
          const dep = ev.object as unknown as DeploymentLike;
          latest.set(d, dep);
          const st = rolloutState(dep);
          if (lastMessage.get(d) !== st.message) {
            lastMessage.set(d, st.message);
            ctx.stdout.write(`${st.message}\n`);
          }
          if (st.failed) settle({ failed: d, message: st.message });
          else if (st.done) {
            done.add(d);
            if (done.size === deployments.length) settle('done');
          } else done.delete(d);
        },
      }),
  );
  const timer = setTimeout(() => settle('timeout'), waitMs);
  const onInt = () => settle('interrupt');
  ctx.signals.on('SIGINT', onInt);
  ctx.signals.on('SIGTERM', onInt);
  try {
    await Promise.race([Promise.all(watches.map((w) => w.start())), outcome]);
    const end = await outcome;
    if (end === 'done') return deployments.map((d) => latest.get(d)!);
    if (end === 'interrupt') throw clusterInterrupted('waiting for the rollout');
    const stuck = end === 'timeout' ? deployments.filter((d) => !done.has(d)) : [end.failed];
    for (const d of stuck) {
      ctx.stdout.write(`\nracerig: ${d.namespace}/${d.name} did not roll out: ${lastMessage.get(d) ?? 'no status seen'}\n`);
      const dep = latest.get(d);
      if (dep) await printPods(dep, dispatch, pathPrefix, ctx, true).catch((err: Error) => ctx.stderr.write(`racerig: cannot list the pods: ${err.message}\n`));
      await printEvents(d, dispatch, pathPrefix, ctx).catch((err: Error) => ctx.stderr.write(`racerig: cannot list the events: ${err.message}\n`));
    }
    const names = stuck.map((d) => `${d.namespace}/${d.name}`).join(', ');
    const hint = 'the pods\' states and recent events are above: ErrImageNeverPull / ImagePullBackOff mean the image is not in the cluster (racerig cluster load <image>); CrashLoopBackOff: the controller exits (kubectl logs); a longer --wait helps slow starts';
    if (end === 'timeout') throw clusterTimeout(`the rollout of ${names}`, waitMs, hint);
    throw new ClusterError(CLUSTER_CODES.timeout, end.message, { hint, exitCode: ExitCode.ClusterTimeout });
  } finally {
    clearTimeout(timer);
    ctx.signals.off('SIGINT', onInt);
    ctx.signals.off('SIGTERM', onInt);
    await Promise.all(watches.map((w) => w.stop().catch(() => {})));
  }
}

const POD_INFO: ResourceInfo = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } as ResourceInfo;
const EVENT_INFO: ResourceInfo = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true } as ResourceInfo;

/** podStatus is what `kubectl get pods` shows in STATUS: Terminating, a container's waiting or terminated reason, else the phase. */
export function podStatus(p: PodView): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  for (const c of p.status?.containerStatuses ?? []) {
    const w = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (w) return w;
  }
  return p.status?.phase ?? 'Unknown';
}

/** printPods prints the deployment's pods: name, ready containers, status, restarts and images (`states`: also waiting messages). */
async function printPods(dep: DeploymentLike, dispatch: DispatchFn, pathPrefix: string, ctx: CliContext, states: boolean): Promise<void> {
  const selector = selectorOf(dep);
  const list = await sendJson<{ items: PodView[] }>(dispatch, listRequest(new ResourcePaths(POD_INFO, pathPrefix), dep.metadata.namespace ?? '', selector ? { labelSelector: selector } : {}));
  const pods = list.items.filter((p) => states || !p.metadata.deletionTimestamp).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  ctx.stdout.write(`\npods of deployment ${dep.metadata.namespace}/${dep.metadata.name} (${selector || 'no selector'}):\n`);
  const rows = [['NAME', 'READY', 'STATUS', 'RESTARTS', 'IMAGES']];
  for (const p of pods) {
    const cs = p.status?.containerStatuses ?? [];
    const total = p.spec?.containers?.length ?? cs.length;
    rows.push([
      p.metadata.name,
      `${cs.filter((c) => c.ready).length}/${total}`,
      podStatus(p),
      String(cs.reduce((a, c) => a + (c.restartCount ?? 0), 0)),
      (p.spec?.containers ?? []).map((c) => `${c.name}=${c.image ?? ''}`).join(','),
    ]);
  }
  ctx.stdout.write(table(rows));
  if (!pods.length) ctx.stdout.write('(no pods)\n');
  if (states) {
    for (const p of pods) {
      for (const c of p.status?.containerStatuses ?? []) {
        for (const [state, detail] of Object.entries(c.state ?? {})) {
          if (state === 'running') continue;
          ctx.stdout.write(`  ${p.metadata.name} ${c.name}: ${state}${detail.reason ? ` ${detail.reason}` : ''}${detail.exitCode !== undefined ? ` exit ${detail.exitCode}` : ''}${detail.message ? `: ${detail.message}` : ''}\n`);
        }
      }
    }
  }
}

/** EVENTS_SHOWN is how many recent events a timeout prints. */
const EVENTS_SHOWN = 20;

/** printEvents prints the namespace's most recent events about the deployment, its ReplicaSets and pods (names starting with the deployment's). */
async function printEvents(d: Applied, dispatch: DispatchFn, pathPrefix: string, ctx: CliContext): Promise<void> {
  const list = await sendJson<{ items: EventView[] }>(dispatch, listRequest(new ResourcePaths(EVENT_INFO, pathPrefix), d.namespace));
  const at = (e: EventView) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '';
  const related = list.items.filter((e) => (e.involvedObject?.name ?? '').startsWith(d.name)).sort((a, b) => at(a).localeCompare(at(b)));
  const recent = related.slice(-EVENTS_SHOWN);
  ctx.stdout.write(`\nrecent events in ${d.namespace} about ${d.name}*:\n`);
  if (!recent.length) {
    ctx.stdout.write('(none)\n');
    return;
  }
  ctx.stdout.write(table([['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], ...recent.map((e) => [at(e), e.type ?? '', e.reason ?? '', `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`, e.message ?? ''])]));
}

/** table aligns rows into columns separated by three spaces. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('   ') + '\n').join('');
}

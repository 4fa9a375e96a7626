/**
 * What a pods/exec or pods/attach upgrade request asks for, checked the way the API server and the
 * kubelet check it before any protocol is spoken (both WebSocket and SPDY use this).
 */
import type { IncomingMessage } from 'node:http';
import type { MockApi } from './api.js';
import type { KubeObject } from './store.js';
import { StatusError } from './status.js';
import { parseQuery, parseResourcePath, splitUrl, isTrue } from './request-info.js';
import { exitContainers } from './lifecycle.js';
import { runBuiltin, type ExecIo } from './exec-commands.js';
import { runAttach } from './attach.js';

/** ExecTarget is a checked exec or attach request: the pod (store key and uid, so a recreated pod is not hit), its container, the command and the streams wanted. */
export interface ExecTarget {
  kind: 'exec' | 'attach';
  namespace: string;
  pod: string;
  /** Store key of the pod. */
  key: string;
  uid: string;
  container: string;
  /** The command (exec only; empty for attach). */
  argv: string[];
  stdin: boolean;
  stdout: boolean;
  /** False with `tty`, as the kubelet does. */
  stderr: boolean;
  tty: boolean;
}

/** resolveExecTarget checks an exec/attach upgrade request against the store and throws the StatusError (404, 400) the API server would answer. */
export function resolveExecTarget(api: MockApi, req: IncomingMessage): ExecTarget {
  const { path, query: raw } = splitUrl(req.url ?? '/');
  const query = parseQuery(raw);
  const ri = parseResourcePath('GET', path, false);
  if (!ri || ri.resource !== 'pods' || (ri.subresource !== 'exec' && ri.subresource !== 'attach') || ri.group !== '' || !ri.name) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const info = api.resolve('', ri.version, 'pods');
  const pod = api.get(info, ri.namespace, ri.name);
  const containers = ((pod.obj.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name);
  const container = query.get('container') || containers[0] || '';
  if (!containers.includes(container)) throw new StatusError(400, 'BadRequest', `container ${container} is not valid for pod ${ri.name}`);
  const phase = (pod.obj.status as { phase?: string } | undefined)?.phase;
  if (phase !== 'Running' || !containerRunning(pod.obj, container)) throw new StatusError(400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`);
  const kind = ri.subresource;
  const argv = kind === 'exec' ? query.getAll('command') : [];
  if (kind === 'exec' && argv.length === 0) throw new StatusError(400, 'BadRequest', 'you must specify at least 1 command');
  const tty = isTrue(query.get('tty'));
  const stdin = isTrue(query.get('stdin'));
  const stdout = isTrue(query.get('stdout'));
  const stderr = isTrue(query.get('stderr')) && !tty;
  if (!stdin && !stdout && !isTrue(query.get('stderr'))) throw new StatusError(400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
  return { kind, namespace: ri.namespace, pod: ri.name, key: pod.key, uid: pod.obj.metadata.uid!, container, argv, stdin, stdout, stderr, tty };
}

type ContainerStatus = { name?: string; state?: { running?: unknown; terminated?: unknown } };

function statusesOf(o: KubeObject): ContainerStatus[] {
  return ((o.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? []);
}

/** containerRunning tells whether the pod's container runs (true when the pod has no status for it: older mock pods). */
function containerRunning(o: KubeObject, container: string): boolean {
  const st = statusesOf(o).find((c) => c.name === container);
  return !st?.state || st.state.running !== undefined;
}

/**
 * killMainProcess records that the target container's main process got `signal`: with one container, or when it is the
 * last one running, the pod's containers exit with 128 + signal (the restart policy decides what follows); otherwise
 * only that container ends (restartPolicy Never: it stays terminated, the others run on, as a kubelet does). Nothing
 * happens when the pod is gone, was recreated or no longer runs.
 */
export function killMainProcess(api: MockApi, target: ExecTarget, signal: number): void {
  const cur = api.store.get('/pods', target.key);
  if (!cur || cur.obj.metadata.uid !== target.uid) return;
  const o = JSON.parse(cur.json) as KubeObject;
  if ((o.status as { phase?: string } | undefined)?.phase !== 'Running') return;
  const statuses = statusesOf(o);
  const others = statuses.filter((c) => c.name !== target.container && c.state?.running !== undefined);
  const policy = (o.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always';
  if (others.length === 0 || policy !== 'Never') {
    exitContainers(o, 128 + signal);
  } else {
    const now = new Date().toISOString();
    (o.status as { containerStatuses: ContainerStatus[] }).containerStatuses = statuses.map((c) =>
      c.name !== target.container
        ? c
        : { ...c, ready: false, started: false, state: { terminated: { exitCode: 128 + signal, reason: 'Error', startedAt: (c.state?.running as { startedAt?: string } | undefined)?.startedAt, finishedAt: now } } },
    );
  }
  api.store.put('/pods', target.key, o, 'MODIFIED');
}

/** runExecTarget runs what the target asks for over `io` (the command for exec, the container's output for attach) and resolves with the exit code. */
export function runExecTarget(api: MockApi, target: ExecTarget, logLines: string[] | undefined, io: ExecIo): Promise<number> {
  return target.kind === 'attach' ? runAttach(api, target, logLines, io) : runBuiltin(target.argv, io);
}

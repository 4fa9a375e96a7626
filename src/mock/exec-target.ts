/**
 * What a pods/exec or pods/attach upgrade request asks for, checked the way the API server and the
 * kubelet check it before any protocol is spoken (both WebSocket and SPDY use this).
 */
import type { IncomingMessage } from 'node:http';
import type { MockApi } from './api.js';
import type { KubeObject } from './store.js';
import { StatusError } from './status.js';
import { parseQuery, parseResourcePath, splitUrl, isTrue } from './request-info.js';
import { exitContainers, ignoresSignal } from './lifecycle.js';
import { containerStatuses, isRunning } from './container-state.js';
import { runBuiltin, type ExecIo } from './exec-commands.js';
import type { ContainerFiles } from './tar.js';
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
  const running = containerStatuses(pod.obj).find((c) => c.name === container);
  if (phase !== 'Running' || !isRunning(running)) throw new StatusError(400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`);
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

/** killMainProcess records that the main process of the target's container got `signal`: that container alone exits with 128 + signal (restarted or terminated by the pod's restart policy), unless the pod is gone, recreated or no longer running, or the container ignores that signal (racerig.dev/ignored-signals). */
export function killMainProcess(api: MockApi, target: ExecTarget, signal: number): void {
  const cur = api.store.get('/pods', target.key);
  if (!cur || cur.obj.metadata.uid !== target.uid || (cur.obj.status as { phase?: string } | undefined)?.phase !== 'Running') return;
  if (ignoresSignal(cur.obj, target.container, signal)) return;
  const o = JSON.parse(cur.json) as KubeObject;
  if (exitContainers(o, 128 + signal, [target.container]) !== 'none') api.store.put('/pods', target.key, o, 'MODIFIED');
}

/** runExecTarget runs what the target asks for over `io` (the command for exec, the container's output for attach) and resolves with the exit code. */
export function runExecTarget(api: MockApi, target: ExecTarget, logLines: string[] | undefined, io: ExecIo): Promise<number> {
  return target.kind === 'attach' ? runAttach(api, target, logLines, io) : runBuiltin(target.argv, { ...io, files: io.files ?? containerFiles(api, target) });
}

const FILES = new WeakMap<MockApi, Map<string, ContainerFiles>>();

/** containerFiles returns the in-memory files of the target's container (one set per pod instance and container, for `kubectl cp`). */
export function containerFiles(api: MockApi, target: ExecTarget): ContainerFiles {
  let byContainer = FILES.get(api);
  if (!byContainer) FILES.set(api, (byContainer = new Map()));
  const key = `${target.uid}/${target.container}`;
  let files = byContainer.get(key);
  if (!files) byContainer.set(key, (files = new Map()));
  return files;
}

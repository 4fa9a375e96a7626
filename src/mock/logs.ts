/**
 * pods/log: the lines a simulated container "wrote" (configurable, from a file, or per pod by
 * annotation), with container, tailLines, previous, timestamps, limitBytes and follow.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockApi } from './api.js';
import type { ResourceInfo } from './resources.js';
import type { KubeObject, StoredObject } from './store.js';
import type { Query } from './request-info.js';
import { isTrue } from './request-info.js';
import { badRequest } from './status.js';
import { ANNOTATIONS } from './lifecycle.js';
import { processRunnerOf } from './process-runner.js';

/** LogOptions sets what every simulated container logs: `lines`, or the lines of `file` (read once at start). */
export interface LogOptions {
  lines?: string[];
  file?: string;
}

/** loadLogLines resolves the configured log lines (the file wins over `lines`); undefined means the default lines. */
export function loadLogLines(options: LogOptions = {}): string[] | undefined {
  if (options.file) return readFileSync(options.file, 'utf8').replace(/\n$/, '').split('\n');
  return options.lines;
}

function defaultLines(pod: KubeObject, container: string): string[] {
  const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
  return [`racerig mock: container ${container} of pod ${ref} started`, `racerig mock: container ${container} is running`];
}

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { running?: { startedAt?: string } };
  lastState?: { terminated?: { exitCode?: number; startedAt?: string } };
}

function phaseOf(pod: KubeObject): string {
  return String((pod.status as { phase?: string } | undefined)?.phase ?? 'Pending');
}

/** containerLogLines returns what `container` of `pod` logged (pods/log and pods/attach): the pod's log annotation, else the configured `lines`, else the default lines; with `previous` (its last termination), the previous instance's. */
export function containerLogLines(pod: KubeObject, container: string, lines: string[] | undefined, previous?: { exitCode?: number }): string[] {
  const annotations = pod.metadata.annotations ?? {};
  const annotated = (previous ? annotations[ANNOTATIONS.previousLogLines] : undefined) ?? annotations[ANNOTATIONS.logLines];
  const out = annotated !== undefined ? annotated.replace(/\n$/, '').split('\n') : lines ?? defaultLines(pod, container);
  if (previous && annotated === undefined && lines === undefined) return [...out, `racerig mock: container ${container} exited with code ${previous.exitCode ?? ''}`];
  return out;
}

/** createLogHandler returns the pods/log subresource handler. */
export function createLogHandler(api: MockApi, lines: string[] | undefined) {
  return (info: ResourceInfo, stored: StoredObject, query: Query, req: IncomingMessage, res: ServerResponse): void => {
    const pod = stored.obj;
    const name = pod.metadata.name!;
    const containers = ((pod.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name);
    let container = query.get('container') ?? '';
    if (!container) {
      if (containers.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
      container = containers[0]!;
    }
    if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    if (phaseOf(pod) !== 'Pending' && processRunnerOf(api)?.serveLog(pod, container, query, req, res)) return;
    const previous = isTrue(query.get('previous'));
    const cs = ((pod.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? []).find((c) => c.name === container);
    const last = cs?.lastState?.terminated;
    // Like the kubelet: the previous instance exists only once the container has restarted.
    if (previous && (!cs || !(Number(cs.restartCount) > 0) || !last)) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    if (phaseOf(pod) === 'Pending') throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    let out = containerLogLines(pod, container, lines, previous ? last : undefined);
    const started = (previous ? last!.startedAt : cs?.state?.running?.startedAt) ?? (pod.status as { startTime?: string } | undefined)?.startTime ?? new Date().toISOString();
    // Every simulated line was written when the container started.
    const sinceSeconds = query.get('sinceSeconds');
    const sinceTime = query.get('sinceTime');
    if ((sinceSeconds !== null && Date.now() - Date.parse(started) > Number(sinceSeconds) * 1000) || (sinceTime !== null && Date.parse(started) < Date.parse(sinceTime))) out = [];
    const tail = query.get('tailLines');
    if (tail !== null) {
      const n = Number(tail);
      if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid tailLines: ${tail}`);
      out = n === 0 ? [] : out.slice(-n);
    }
    const stamp = isTrue(query.get('timestamps'));
    let text = out.map((l) => (stamp ? `${started.replace('Z', '.000000000Z')} ${l}\n` : `${l}\n`)).join('');
    const limit = query.get('limitBytes');
    if (limit !== null && Number(limit) >= 0) text = Buffer.from(text).subarray(0, Number(limit)).toString('utf8');
    if (!isTrue(query.get('follow')) || previous) {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    if (text) res.write(text);
    // Following ends with the pod, or with the container once it terminated (it may end before its pod).
    const finished = (o: KubeObject | undefined) =>
      !o || phaseOf(o) === 'Succeeded' || phaseOf(o) === 'Failed' || !!((o.status as { containerStatuses?: Array<ContainerStatus & { state?: { terminated?: unknown } }> } | undefined)?.containerStatuses ?? []).find((c) => c.name === container)?.state?.terminated;
    if (finished(pod)) {
      res.end();
      return;
    }
    const off = api.store.subscribe(info.id, (ev) => {
      if (ev.stored.key !== stored.key) return;
      if (ev.type === 'DELETED' || finished(ev.stored.obj)) stop();
    });
    const stop = () => {
      off();
      res.end();
    };
    req.on('close', off);
    res.on('close', off);
  };
}

/**
 * The admin endpoint under /racerig/: read and change faults at run time, force watch expiry,
 * make a pod's containers crash and restart.
 *
 * GET  /racerig/faults            current FaultConfig as JSON
 * PUT  /racerig/faults            replace it (400 with every problem when invalid)
 * POST /racerig/compact           forget watch history and end every watch (clients re-watch and get 410 Expired)
 * POST /racerig/watches/close     end every watch stream cleanly
 * POST /racerig/pods/<namespace>/<name>/restart[?container=c&exitCode=n&reason=r]
 *                                 the pod's container c (default: every running one) exits as if the
 *                                 kubelet saw it crash: exit code n (default 2, 137 for OOMKilled),
 *                                 reason r (default Error); restarted per restartPolicy
 *                                 (restartCount + 1, lastState.terminated), else terminated (the pod
 *                                 ends once none runs). Answers the updated Pod; 404 without the pod,
 *                                 400 for a bad container, code or reason, 409 when it does not run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockApi } from './api.js';
import type { Faults } from './faults.js';
import type { WatchHub } from './watch/hub.js';
import { readBody, sendJson, sendStatus } from './http-util.js';
import { parseQuery, splitUrl, type Query } from './request-info.js';
import type { KubeObject } from './store.js';
import { containerStatuses, defaultReason, exitContainers, isRunning } from './container-state.js';
import { StatusError } from './status.js';

/** ADMIN_PREFIX is where the admin endpoint lives. */
export const ADMIN_PREFIX = '/racerig/';

/** createAdmin returns the admin request handler; it answers and returns true for its own paths. */
export function createAdmin(api: MockApi, faults: Faults, hub: WatchHub) {
  const reply = (res: ServerResponse, code: number, body: unknown) => sendJson(res, code, JSON.stringify(body));
  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const method = req.method ?? 'GET';
    if (path === '/racerig/faults') {
      if (method === 'GET') reply(res, 200, faults.get());
      else if (method === 'PUT') {
        readBody(req, 1024 * 1024).then(
          (raw) => {
            try {
              faults.set(JSON.parse(raw || '{}'));
              reply(res, 200, faults.get());
            } catch (err) {
              reply(res, 400, new StatusError(400, 'BadRequest', `invalid fault configuration: ${(err as Error).message}`).toStatus());
            }
          },
          (err: unknown) => reply(res, 413, { message: String(err) }),
        );
      } else reply(res, 405, new StatusError(405, 'MethodNotAllowed', 'use GET or PUT').toStatus());
      return true;
    }
    if (path === '/racerig/compact' && method === 'POST') {
      api.store.compact();
      hub.closeAll();
      reply(res, 200, { compactedResourceVersion: String(api.store.compactedRv) });
      return true;
    }
    if (path === '/racerig/watches/close' && method === 'POST') {
      const n = hub.size;
      hub.closeAll();
      reply(res, 200, { closed: n });
      return true;
    }
    const restart = RESTART_PATH.exec(path);
    if (restart) {
      if (method !== 'POST') sendStatus(res, new StatusError(405, 'MethodNotAllowed', 'use POST'));
      else {
        try {
          reply(res, 200, restartPod(api, decodeURIComponent(restart[1]!), decodeURIComponent(restart[2]!), parseQuery(splitUrl(req.url ?? '').query)));
        } catch (err) {
          sendStatus(res, err instanceof StatusError ? err : new StatusError(400, 'BadRequest', String((err as Error)?.message ?? err)));
        }
      }
      return true;
    }
    return false;
  };
}

const RESTART_PATH = /^\/racerig\/pods\/([^/]+)\/([^/]+)\/restart$/;
const REASON = /^[A-Z][A-Za-z]{0,63}$/;

/** restartPod makes the named (or every running) container of a running pod exit with the query's code and reason, handled by its restart policy, and returns the updated pod. */
export function restartPod(api: MockApi, namespace: string, name: string, query: Query): KubeObject {
  const info = api.resolve('', 'v1', 'pods');
  const stored = api.get(info, namespace, name);
  const pod = JSON.parse(stored.json) as KubeObject;
  const container = query.get('container') || undefined;
  const reasonParam = query.get('reason') || undefined;
  const codeParam = query.get('exitCode');
  const problems: string[] = [];
  const exitCode = codeParam === null || codeParam === '' ? (reasonParam === 'OOMKilled' ? 137 : 2) : Number(codeParam);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) problems.push(`exitCode must be an integer in [0, 255], got "${codeParam}"`);
  if (reasonParam !== undefined && !REASON.test(reasonParam)) problems.push(`reason must be a CamelCase word such as Error or OOMKilled, got "${reasonParam}"`);
  const names = ((pod.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name);
  if (container !== undefined && !names.includes(container)) problems.push(`container ${container} is not valid for pod ${name}`);
  if (problems.length) throw new StatusError(400, 'BadRequest', problems.join('; '));
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (pod.metadata.deletionTimestamp || phase !== 'Running') throw new StatusError(409, 'Conflict', `pod ${namespace}/${name} is ${pod.metadata.deletionTimestamp ? 'terminating' : phase ?? 'Pending'}, not Running`);
  if (container !== undefined && !isRunning(containerStatuses(pod).find((c) => c.name === container))) throw new StatusError(409, 'Conflict', `container ${container} of pod ${namespace}/${name} is not running`);
  if (exitContainers(pod, exitCode, container === undefined ? undefined : [container], reasonParam ?? defaultReason(exitCode)) === 'none') {
    throw new StatusError(409, 'Conflict', `no container of pod ${namespace}/${name} is running`);
  }
  return api.store.put('/pods', stored.key, pod, 'MODIFIED').obj;
}

/**
 * The admin endpoint under /racerig/: read and change faults at run time, force watch expiry.
 *
 * GET  /racerig/faults            current FaultConfig as JSON
 * PUT  /racerig/faults            replace it (400 with every problem when invalid)
 * POST /racerig/compact           forget watch history and end every watch (clients re-watch and get 410 Expired)
 * POST /racerig/watches/close     end every watch stream cleanly
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockApi } from './api.js';
import type { Faults } from './faults.js';
import type { WatchHub } from './watch.js';
import { readBody, sendJson } from './http-util.js';
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
    return false;
  };
}

/**
 * undici's Client class, loaded without the rest of undici. `import 'undici'` loads all of it (fetch,
 * WebSocket, cookies, caches; the cookies module even pulls in Node's own bundled copy of undici),
 * about two thirds of which a load worker never uses: loading the Client module alone saves ~0.1 s
 * of start-up CPU per worker thread. undici 7 has no `exports` map, so the file is reachable; if a
 * later version moves it, the whole package is loaded instead, so this never breaks a run.
 */
import { createRequire } from 'node:module';
import type { Client as UndiciClient } from 'undici';

const require = createRequire(import.meta.url);

function loadClient(): typeof UndiciClient {
  try {
    const client = require('undici/lib/dispatcher/client.js') as typeof UndiciClient;
    if (typeof client === 'function' && typeof client.prototype.compose === 'function') return client;
  } catch {
    // fall through to the package entry
  }
  return (require('undici') as typeof import('undici')).Client;
}

/** Client is undici's Client (one connection, optional pipelining) and the type of its instances. */
export const Client = loadClient();
export type Client = UndiciClient;

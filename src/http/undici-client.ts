/**
 * undici's Client class, loaded without the rest of undici: `import 'undici'` loads all of it (fetch,
 * WebSocket, cookies, caches), most of which a load worker never uses, and costs each worker thread
 * start-up CPU (see docs/architecture.md). undici 7 has no `exports` map, so the file is reachable; if
 * a later version moves it, the whole package is loaded instead, so this never breaks a run.
 */
import { createRequire } from 'node:module';
import type { Client as UndiciClient } from 'undici';

const require = createRequire(import.meta.url);

/** loadPart requires one undici module by path, or takes `fallback` from the package entry if the file moved or is not what `valid` expects. */
function loadPart<T>(path: string, valid: (part: T) => boolean, fallback: (undici: typeof import('undici')) => T): T {
  try {
    const part = require(path) as T;
    if (valid(part)) return part;
  } catch {
    // fall through to the package entry
  }
  return fallback(require('undici') as typeof import('undici'));
}

let clientClass: typeof UndiciClient | undefined;

/**
 * undiciClient returns undici's Client class (one connection, optional pipelining), loading its module
 * on first use: a run over racerig's own client (the default) never needs it, so its workers start sooner.
 */
export function undiciClient(): typeof UndiciClient {
  return (clientClass ??= loadPart<typeof UndiciClient>(
    'undici/lib/dispatcher/client.js',
    (c) => typeof c === 'function' && typeof c.prototype.compose === 'function',
    (u) => u.Client,
  ));
}
/** Client is the type of undici's Client instances. */
export type Client = UndiciClient;

/** buildConnector is undici's socket connector factory (net or TLS), loaded the same way as Client. */
export const buildConnector = loadPart<typeof import('undici').buildConnector>('undici/lib/core/connect.js', (b) => typeof b === 'function', (u) => u.buildConnector);

/** RawHeaderParser turns undici's raw header list (name, value, …) into an object with lower-cased names. */
type RawHeaderParser = (raw: Buffer[] | string[]) => Record<string, string | string[]>;

/** parseHeaders is undici's own raw-header parser (what its handler adapter uses), loaded the same way as Client. */
export const parseHeaders = loadPart<{ parseHeaders: RawHeaderParser }>(
  'undici/lib/core/util.js',
  (u) => typeof u.parseHeaders === 'function',
  (u) => u.util as unknown as { parseHeaders: RawHeaderParser },
).parseHeaders;

/** Dispatcher is undici's dispatcher base class (an EventEmitter with `compose`), loaded the same way as Client. */
export const Dispatcher = loadPart<typeof import('undici').Dispatcher>(
  'undici/lib/dispatcher/dispatcher.js',
  (d) => typeof d === 'function' && typeof d.prototype.compose === 'function',
  (u) => u.Dispatcher,
);

/** errors are undici's error classes (codes such as UND_ERR_SOCKET, which racerig's error kinds map), loaded the same way as Client. */
export const errors = loadPart<typeof import('undici').errors>('undici/lib/core/errors.js', (e) => typeof e.SocketError === 'function', (u) => u.errors);

/** UnwrapHandler adapts a handler of undici's current interface (onRequestStart, onResponseStart, …) to the raw one its Client calls (no `unwrap` if undici moved it: undici does not export it). */
export const UnwrapHandler = loadPart<{ unwrap?(handler: import('undici').Dispatcher.DispatchHandler): import('undici').Dispatcher.DispatchHandler }>(
  'undici/lib/handler/unwrap-handler.js',
  (h) => typeof h.unwrap === 'function',
  () => ({}),
);

/**
 * Warms a worker's HTTP path before the run starts, against a throwaway server on this thread (never
 * the target), so the first arrivals of a run are not late by one-time costs: undici compiling its
 * HTTP parser, and the JIT compiling the request path.
 */
import net from 'node:net';
import { Client } from '../http/undici-client.js';

/**
 * The throwaway server's response: the headers real servers send (server, date, content type, length,
 * keep-alive), so the response-parsing code is compiled for what the run will see.
 */
const WARM_UP_RESPONSE =
  'HTTP/1.1 200 OK\r\nServer: racerig-warm-up\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Type: application/json\r\n' +
  'Content-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n{}';

/** WARM_UP_DEADLINE_MS bounds any warm-up, even on a slow machine. */
export const WARM_UP_DEADLINE_MS = 1500;

/**
 * withWarmUpServer starts a minimal keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request
 * head with `200 {}` (requests must carry no body), runs `fn` with its origin, and closes it.
 * Failures are swallowed: warming is an optimisation only.
 */
export async function withWarmUpServer(fn: (origin: string) => Promise<void>): Promise<void> {
  const server = net.createServer((socket) => {
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      // One response per request head (pipelined heads may share a chunk or span two).
      pending += chunk;
      let end: number;
      let out = '';
      while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
        pending = pending.slice(end + 4);
        out += WARM_UP_RESPONSE;
      }
      if (out) socket.write(out);
    });
    socket.on('error', () => {});
  });
  try {
    await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
    const { port } = server.address() as net.AddressInfo;
    await fn(`http://127.0.0.1:${port}`);
  } catch {
    // warming is an optimisation only
  } finally {
    server.close();
  }
}

/** warmUpHttp sends `total` plain GET requests (10 at a time) through bare undici Clients to a throwaway server. */
export async function warmUpHttp(total = 3000): Promise<void> {
  await withWarmUpServer(async (origin) => {
    const clients = Array.from({ length: 10 }, () => new Client(origin));
    const deadline = performance.now() + WARM_UP_DEADLINE_MS;
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < total / clients.length && performance.now() < deadline; i++) {
          await new Promise<void>((resolve) => {
            client.dispatch(
              { method: 'GET', path: '/', headers: { 'x-racerig-warm-up': '1' } },
              { onRequestStart() {}, onResponseData() {}, onResponseEnd: () => resolve(), onResponseError: () => resolve() },
            );
          });
        }
        await client.close();
      }),
    );
  });
}

/**
 * Warms a worker's HTTP path before the run starts, against a throwaway server on this thread (never
 * the target), so the first arrivals of a run are not late by one-time costs: undici compiling its
 * HTTP parser, and the JIT compiling the request path.
 */
import net from 'node:net';
import { undiciClient } from '../http/undici-client.js';

/**
 * The throwaway server's responses, in turn: the header sets real servers send (nginx-like, Go
 * net/http and kube-apiserver-like with audit and priority-and-fairness headers, Node-like with
 * keep-alive; fixed length and chunked; 200, 201 and 404), so the JIT compiles response parsing for
 * varied input and the target's own headers do not send optimized code back to the interpreter.
 */
const WARM_UP_RESPONSES = [
  'HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}',
  'HTTP/1.1 200 OK\r\nAudit-Id: 00000000-0000-0000-0000-000000000000\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\n' +
    'X-Kubernetes-Pf-Flowschema-Uid: 0\r\nX-Kubernetes-Pf-Prioritylevel-Uid: 0\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 13\r\n\r\n{"kind":"x"}\n',
  'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
  'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 9\r\n\r\nnot found',
];

/** WARM_UP_DEADLINE_MS bounds any warm-up, even on a slow machine. */
export const WARM_UP_DEADLINE_MS = 1500;

/**
 * withWarmUpServer starts a minimal keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request
 * head with the next of WARM_UP_RESPONSES (requests must carry no body), runs `fn` with its origin,
 * and closes it.
 * Failures are swallowed: warming is an optimisation only.
 */
export async function withWarmUpServer(fn: (origin: string) => Promise<void>): Promise<void> {
  let served = 0;
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
        out += WARM_UP_RESPONSES[served++ % WARM_UP_RESPONSES.length];
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
    const Client = undiciClient();
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

/**
 * Warms a worker's HTTP client before the run starts: one request to a throwaway server on this
 * thread (never to the target) makes undici compile its HTTP parser and JIT its request path, so
 * the first arrivals of a run are not late by that one-time cost.
 */
import net from 'node:net';
import { Client } from 'undici';

/** warmUpHttp sends `total` requests (10 at a time) to a local throwaway server and closes both; failures are ignored. */
export async function warmUpHttp(total = 3000): Promise<void> {
  const server = net.createServer((socket) => {
    socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=5\r\n\r\n{}'));
    socket.on('error', () => {});
  });
  try {
    await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
    const { port } = server.address() as net.AddressInfo;
    const clients = Array.from({ length: 10 }, () => new Client(`http://127.0.0.1:${port}`));
    const deadline = performance.now() + 1500; // bounded even on a slow machine
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
  } catch {
    // warming is an optimisation only
  } finally {
    server.close();
  }
}

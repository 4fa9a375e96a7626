/**
 * The fallback throughput target: a Node http server returning a small JSON body, run as its own
 * process (one thread) so that it competes with the load generator the way nginx does.
 * Run directly (`node json-server.js`), it listens on 127.0.0.1:0 and prints its URL as one line.
 * GET STATUS_PATH answers the number of other requests answered so far.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { SMALL_JSON_BODY, STATUS_PATH, type Target } from './target.js';

const thisFile = fileURLToPath(import.meta.url);

/** startJsonServerProcess starts the Node JSON server in a child process and resolves when it listens. */
export async function startJsonServerProcess(timeoutMs = 10_000): Promise<Target> {
  const child = spawn(process.execPath, [thisFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node JSON server did not start in time')), timeoutMs);
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node JSON server exited early (code ${code})`));
    });
  });
  const statusUrl = new URL(STATUS_PATH, url).href;
  return {
    name: `node ${process.version} http (1 process)`,
    url,
    served: async () => {
      const res = await fetch(statusUrl, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      if (!res.ok || !/^\d+$/.test(text)) throw new Error(`node JSON server: unexpected status reply ${res.status}: ${text.slice(0, 200)}`);
      return Number(text);
    },
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function serveForever(): void {
  const body = Buffer.from(SMALL_JSON_BODY);
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
  let served = 0; // load requests answered; STATUS_PATH requests are not counted
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    if (req.url === STATUS_PATH) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(String(served));
      return;
    }
    served++;
    res.writeHead(200, headers);
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`http://127.0.0.1:${port}/\n`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

if (process.argv[1] === thisFile) serveForever();

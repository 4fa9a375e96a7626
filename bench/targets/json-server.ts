/**
 * The fallback throughput target: a Node http server returning a small JSON body, run as its own
 * process (one thread) so that it competes with the load generator the way nginx does.
 * Run directly (`node json-server.js`), it listens on 127.0.0.1:0 and prints its URL as one line.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { SMALL_JSON_BODY, type Target } from './target.js';

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
  return {
    name: `node ${process.version} http (1 process)`,
    url,
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
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
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

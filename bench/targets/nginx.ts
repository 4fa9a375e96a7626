/**
 * The preferred throughput target: the system's nginx binary with one worker process, run with a
 * configuration written to a temporary folder (never the system's configuration or logs), answering
 * every request with a small JSON body.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SMALL_JSON_BODY, STATUS_PATH, type Target } from './target.js';
import { findExecutable } from '../measure/executables.js';

/** nginxVersion returns e.g. "1.22.1", or undefined when nginx is not installed. */
export function nginxVersion(): string | undefined {
  const bin = findExecutable('nginx');
  if (!bin) return undefined;
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(`${r.stderr}${r.stdout}`)?.[1];
}

/** freeLoopbackPort asks the kernel for a free TCP port on 127.0.0.1 and releases it. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

function nginxConfig(dir: string, port: number): string {
  // Single quotes inside the body are not used, so the nginx string needs no escaping.
  return `
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 20000; }
worker_rlimit_nofile 40000;
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / {
      default_type application/json;
      return 200 '${SMALL_JSON_BODY}';
    }
    location = ${STATUS_PATH} {
      stub_status;
    }
  }
}
`;
}

/**
 * nginxServed reads the `requests` counter of nginx's stub_status ("server accepts handled requests"
 * then three numbers). The status requests count there too, so the ones read so far are taken off.
 */
export function nginxServed(port: number): () => Promise<number> {
  let reads = 0;
  return async () => {
    const res = await fetch(`http://127.0.0.1:${port}${STATUS_PATH}`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const m = /\n\s*(\d+)\s+(\d+)\s+(\d+)/.exec(text);
    if (!res.ok || !m) throw new Error(`nginx stub_status: unexpected reply ${res.status}: ${text.slice(0, 200)}`);
    reads++;
    return Number(m[3]) - reads;
  };
}

/** startNginx starts nginx on a free loopback port, or resolves to undefined when nginx is not installed or fails to start. */
export async function startNginx(timeoutMs = 10_000): Promise<Target | undefined> {
  const bin = findExecutable('nginx');
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-nginx-'));
  const port = await freeLoopbackPort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port));
  // -e sets the startup error log before the configuration is read (nginx >= 1.19.5); -p the prefix.
  const child = spawn(bin, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  const url = `http://127.0.0.1:${port}/`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // fast shutdown of master and worker
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.text();
      if (res.ok) return { name: `nginx ${nginxVersion() ?? ''} (1 worker process)`.replace('  ', ' '), url, close: stop, served: nginxServed(port) };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  process.stderr.write(`bench: nginx did not start (${stderr.trim() || 'no output'}); falling back to the Node server\n`);
  return undefined;
}

/**
 * Shared helpers of the mock's integration tests: kubectl runner (always with a timeout and a temp
 * kubeconfig), bounded polling, and small HTTP helpers.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { before, after } from 'node:test';
import { startMockServer, type LocalMockServer, type MockServerOptions } from '../../src/mock/server.js';

/** tempDir creates a temporary folder and returns it with its remover. */
export function tempDir(prefix = 'racerig-mock-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * NO_KUBECTL is false when `kubectl` runs, else why the tests that use it are skipped: pass it as
 * `test(name, { skip: NO_KUBECTL }, fn)`, so a machine without kubectl skips them with the reason
 * printed instead of failing them (README: Install says how to get kubectl).
 */
export const NO_KUBECTL: string | false = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 15_000 });
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `kubectl ${code === 'ENOENT' ? 'is not on PATH' : `does not run (${code ?? (err as Error).message})`}: these tests use it as a real client (README: Install)`;
  }
})();

/** KubectlResult is the outcome of one kubectl run. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl runs kubectl (or the binary `bin`) with `--kubeconfig` and a hard timeout (ms), optionally feeding stdin. */
export function kubectl(kubeconfig: string, args: string[], options: { stdin?: string; timeoutMs?: number; bin?: string } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      options.bin ?? 'kubectl',
      ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args],
      { timeout: options.timeoutMs ?? 15000, env: { ...process.env, KUBECONFIG: kubeconfig, HOME: tmpdir() } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  });
}

/** startKubectl spawns a long-running kubectl (e.g. `get -w`; or the binary `bin`) that is killed after `timeoutMs` at the latest. */
export function startKubectl(kubeconfig: string, args: string[], timeoutMs = 15000, bin = 'kubectl'): { child: ChildProcess; output: () => string; stop: () => void } {
  const child = spawn(bin, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: tmpdir() } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return {
    child,
    output: () => out,
    stop: () => {
      clearTimeout(timer);
      child.kill('SIGKILL');
    },
  };
}

/** waitFor polls `check` every 20 ms until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline || i > 100000) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** writeTemp writes `content` to `name` inside `dir` and returns the path. */
export function writeTemp(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** HttpResult is a complete HTTP response as text. */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** http sends one request to the mock and returns the whole response (10 s timeout). */
export function http(baseUrl: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, baseUrl);
    const length: Record<string, string> = body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
    const req = request(u, { method, headers: { 'Content-Type': 'application/json', ...length, ...headers }, timeout: 10000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request ${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** json sends a request with a JSON body and parses the JSON response. */
export async function json(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await http(baseUrl, method, path, body === undefined ? undefined : JSON.stringify(body), headers);
  return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined };
}

/** WatchStream is an open watch whose events are collected as they arrive. */
export interface WatchStream {
  events: any[];
  ended: () => boolean;
  close: () => void;
}

/** openWatch starts a watch request and collects its JSON event lines. */
export function openWatch(baseUrl: string, path: string): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    let ended = false;
    let buf = '';
    const req = request(new URL(path, baseUrl), { method: 'GET' }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
      });
      res.on('end', () => (ended = true));
      res.on('close', () => (ended = true));
      resolve({ events, ended: () => ended, close: () => req.destroy() });
    });
    req.on('error', (e) => {
      ended = true;
      reject(e);
    });
    req.end();
  });
}

/** podManifest returns a minimal pod object. */
export function podManifest(name: string, namespace = 'default', labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...extra },
  };
}

/** MockFixture is a started mock with a kubeconfig file in its own temporary folder. */
export interface MockFixture {
  server: LocalMockServer;
  url: string;
  /** Path of the kubeconfig file. */
  kc: string;
  /** The temporary folder (removed by close). */
  dir: string;
  close(): Promise<void>;
}

/** startFixture starts a mock on 127.0.0.1:0 writing its kubeconfig into a fresh temporary folder; `options` may depend on that folder. */
export async function startFixture(options: MockServerOptions | ((dir: string) => MockServerOptions) = {}): Promise<MockFixture> {
  const tmp = tempDir();
  const kc = join(tmp.dir, 'kubeconfig');
  const server = await startMockServer({ ...(typeof options === 'function' ? options(tmp.dir) : options), kubeconfigPath: kc });
  return {
    server,
    url: server.url,
    kc,
    dir: tmp.dir,
    close: async () => {
      await server.close();
      tmp.remove();
    },
  };
}

/** useMock starts one mock for the whole test file (before/after hooks) and calls `setup` with it once it listens. */
export function useMock(options: MockServerOptions, setup: (server: LocalMockServer) => void | Promise<void>): void {
  let server: LocalMockServer | undefined;
  before(async () => {
    server = await startMockServer(options);
    await setup(server);
  });
  after(() => server?.close());
}

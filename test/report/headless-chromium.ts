/**
 * A minimal headless Chromium driver over the DevTools protocol, for tests: launch with a fresh
 * profile, open a URL, collect console errors and exceptions, evaluate, screenshot, close.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

/** findChromium returns the Chromium executable (RACERIG_CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser), or undefined. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return [env.RACERIG_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
}

/** withTimeout rejects when `promise` has not settled within `ms` milliseconds (a bound, not a wait). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** PageProblem is something the page logged as an error (console.error, an uncaught exception, a browser log error). */
export interface PageProblem {
  source: string;
  text: string;
}

/** HeadlessPage is one open page of a headless Chromium started for a test. */
export interface HeadlessPage {
  /** Errors logged since the page opened. */
  problems: PageProblem[];
  /** evaluate runs an expression in the page and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** screenshot returns a PNG of the full page. */
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

/** openHeadless launches Chromium headless on `url` and resolves once the page's load event fired. */
export async function openHeadless(executable: string, url: string, timeoutMs = 20_000): Promise<HeadlessPage> {
  const profile = await mkdtemp(join(tmpdir(), 'racerig-chromium-'));
  const child: ChildProcess = spawn(executable, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--no-default-browser-check', `--user-data-dir=${profile}`,
    '--remote-debugging-port=0', '--window-size=1400,1000', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await withTimeout(exited, 5000, 'chromium exit').catch(() => child.kill('SIGKILL'));
    }
    await rm(profile, { recursive: true, force: true });
  };
  try {
    const browserWs = await withTimeout(new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`chromium exited (${code}) before DevTools was up:\n${err}`)));
      child.once('error', reject);
    }), timeoutMs, 'chromium DevTools endpoint');
    const port = new URL(browserWs).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const page = targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium has no page target');
    const ws = new WebSocket(page.webSocketDebuggerUrl, { perMessageDeflate: false });
    await withTimeout(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), timeoutMs, 'DevTools websocket');
    let nextId = 1;
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    const waiters = new Map<string, () => void>();
    const problems: PageProblem[] = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: any };
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
        return;
      }
      if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        problems.push({ source: 'exception', text: d.exception?.description ?? d.text });
      } else if (msg.method === 'Runtime.consoleAPICalled' && (msg.params.type === 'error' || msg.params.type === 'assert')) {
        problems.push({ source: 'console', text: msg.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ') });
      } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
        problems.push({ source: `log:${msg.params.entry.source}`, text: msg.params.entry.text });
      }
      if (msg.method) waiters.get(msg.method)?.();
    });
    const send = (method: string, params: object = {}) =>
      withTimeout(new Promise<any>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }), timeoutMs, method);
    await send('Runtime.enable');
    await send('Log.enable');
    await send('Page.enable');
    const loaded = new Promise<void>((resolve) => waiters.set('Page.loadEventFired', resolve));
    await send('Page.navigate', { url });
    await withTimeout(loaded, timeoutMs, `load ${url}`);
    return {
      problems,
      async evaluate<T>(expression: string): Promise<T> {
        const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
      async screenshot(): Promise<Buffer> {
        const r = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
        return Buffer.from(r.data as string, 'base64');
      },
      async close() {
        ws.close();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

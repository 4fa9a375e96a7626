/** Helpers of the src/kube integration tests: a mock with its kubeconfig in a temporary folder, and bounded polling. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockServer, type MockServer, type MockServerOptions } from '../../src/mock/server.js';

/** KubeFixture is a started mock with its kubeconfig file. */
export interface KubeFixture {
  server: MockServer;
  kubeconfig: string;
  dir: string;
  close(): Promise<void>;
}

/** startKubeFixture starts the mock on 127.0.0.1:0 and writes its kubeconfig into a fresh temporary folder. */
export async function startKubeFixture(options: MockServerOptions = {}): Promise<KubeFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const server = await startMockServer({ ...options, kubeconfigPath: kubeconfig });
  return {
    server,
    kubeconfig,
    dir,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** writeFile writes `content` to `name` in `dir` and returns the path. */
export function writeIn(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** waitFor polls `check` every 10 ms until it is truthy or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** podManifest returns a minimal pod. */
export function podManifest(name: string, namespace = 'default', annotations: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, annotations }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
}

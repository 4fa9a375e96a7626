/**
 * The embedded mock Kubernetes API server of the racerig build under test, run as its own process
 * (`node bin/racerig mock --port 0`), so that it has a thread to itself like a real API server.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { REPO_ROOT } from '../measure/paths.js';
import type { Target } from './target.js';

/** startMockProcess starts `racerig mock` (with `extraArgs`) on 127.0.0.1 and resolves with its URL and process id once it listens. */
export async function startMockProcess(timeoutMs = 15_000, extraArgs: string[] = []): Promise<Target & { pid: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-mock-'));
  const args = ['bin/racerig', 'mock', '--host', '127.0.0.1', '--port', '0', '--kubeconfig-out', join(dir, 'mock.kubeconfig'), ...extraArgs];
  // As bin/racerig's shebang starts it (`racerig mock` as a command).
  const child = spawn(process.execPath, ['--v8-pool-size=1', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`racerig mock did not start in ${timeoutMs} ms: ${output.slice(-500)}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1].replace(/\/?$/, '/'));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`racerig mock exited with ${code}: ${output.slice(-500)}`));
      });
    });
    return { name: 'racerig mock (1 process)', url, close, pid: child.pid! };
  } catch (err) {
    await close();
    throw err;
  }
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCountingServer } from '../fixtures/servers.js';
import type { RunResult } from '../../src/results/model.js';

// The compiled test lives at <root>/<dist>/test/engine/: the repository root is three levels up.
const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../../..');
const distDir = resolve(here, '../..');

test('bin/racerig runs as a command (its shebang) and starts Node with --v8-pool-size=1', async () => {
  const server = await startCountingServer();
  const cwd = mkdtempSync(join(tmpdir(), 'racerig-exe-'));
  try {
    // Executed directly, not through `node`: the kernel reads the shebang (`env -S node --v8-pool-size=1`).
    const child = spawn(join(root, 'bin/racerig'), ['run', `${server.url}/`, '-r', '200', '-d', '1500ms', '-c', '2', '-w', '1', '-q', '-o', 'r.json'], {
      cwd,
      env: { ...process.env, RACERIG_DIST: distDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Once the first request arrives, the process is Node running racerig (env has exec'd it).
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    for (const deadline = Date.now() + 30_000; server.total() === 0 && code === undefined; ) {
      if (Date.now() > deadline) assert.fail(`no request within 30 s: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(code, undefined, `racerig exited before its first request: ${err}`);
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes('--v8-pool-size=1'), `node's arguments: ${cmdline.join(' ')}`);
    assert.equal(await exited, 0, err);
    const res = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8')) as RunResult;
    assert.equal(res.totals.requests, server.total());
    assert.ok(res.totals.requests >= 250, `${res.totals.requests} requests`);
  } finally {
    await server.close();
  }
});

test('a reader that closes early is not a failure: output is dropped, the command still finishes (EPIPE)', async () => {
  const server = await startCountingServer();
  const cwd = mkdtempSync(join(tmpdir(), 'racerig-epipe-'));
  try {
    for (const args of [['profiles', 'list'], ['run', `${server.url}/`, '-n', '50', '-c', '2', '-w', '1', '-o', 'r.json']]) {
      const child = spawn(process.execPath, [join(root, 'bin/racerig'), ...args], { cwd, env: { ...process.env, RACERIG_DIST: distDir }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // like `| head -0`: every write to stdout fails with EPIPE
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      assert.equal(code, 0, `racerig ${args[0]}: ${err}`);
      assert.doesNotMatch(err, /EPIPE/);
    }
    const res = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8')) as RunResult;
    assert.equal(res.totals.requests, 50);
  } finally {
    await server.close();
  }
});

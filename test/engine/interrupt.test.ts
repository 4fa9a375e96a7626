import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCountingServer } from '../fixtures/servers.js';
import type { RunResult } from '../../src/results/model.js';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';

// The compiled test lives at <root>/<dist>/test/engine/: the repository root is three levels up.
const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../../..');
const distDir = resolve(here, '../..');

function startRig(args: string[], cwd: string) {
  const child = spawn(process.execPath, [join(root, 'bin/racerig'), ...args], {
    cwd,
    env: { ...process.env, RACERIG_DIST: distDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}

/** waitFor polls `cond` every 20 ms until it holds or `ms` pass. */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('SIGINT stops the run gracefully and writes a partial result file (exit 130)', async () => {
  const server = await startCountingServer();
  const dir = mkdtempSync(join(tmpdir(), 'racerig-int-'));
  try {
    const out = join(dir, 'partial.json');
    const rig = startRig(['run', `${server.url}/`, '-r', '500', '-d', '60s', '-c', '4', '-w', '2', '-o', out], dir);
    // Plain (non-TTY) progress lines appear every 5 s; wait until the server has seen load instead.
    await waitFor(() => server.total() > 200, 20_000, 'load to reach the server');
    rig.child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([rig.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 20_000)))]);
    clearTimeout(timer); // a pending timer would keep the test process alive that long
    assert.equal(code, 130, rig.err());
    assert.match(rig.err(), /stopping/);
    const res = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(res.partial, true);
    assert.equal(res.stoppedBy, 'interrupted');
    assert.ok(res.totals.requests > 200);
    assert.equal(res.totals.requests, server.total(), 'every request sent before the stop was answered and counted');
    assert.ok(res.durationSeconds < 30);
    assert.match(rig.out(), /PARTIAL/);
  } finally {
    await server.close();
  }
});

test('a second SIGINT aborts at once and still writes what was measured', async () => {
  // Every response is held for 30 s, so a graceful stop would wait; the second Ctrl-C must not.
  const server = await startCountingServer({ stallMs: 30_000, periodMs: 60_000 });
  const dir = mkdtempSync(join(tmpdir(), 'racerig-int2-'));
  try {
    const out = join(dir, 'abort.json');
    const rig = startRig(['run', `${server.url}/`, '-c', '4', '-w', '1', '-d', '60s', '--timeout', '50s', '-o', out], dir);
    await waitFor(() => server.total() >= 4, 20_000, 'four requests to be held by the server');
    rig.child.kill('SIGINT');
    await waitFor(() => /stopping/.test(rig.err()), 10_000, 'the graceful stop message');
    rig.child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([rig.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 15_000)))]);
    clearTimeout(timer); // a pending timer would keep the test process alive that long
    assert.equal(code, 130, rig.err());
    const res = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(res.partial, true);
    assert.equal(res.operations.length, 1);
  } finally {
    await server.close();
  }
});

test('Ctrl-C with requests held by the server: arrivals planned after the stop are not counted as dropped', async () => {
  // Every response is held until the test releases it, so the run's end comes well after the stop.
  let held: ServerResponse[] = [];
  let received = 0;
  let release = false;
  const server = createServer((_req, res) => {
    received++;
    if (release) res.end('ok');
    else held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const dir = mkdtempSync(join(tmpdir(), 'racerig-int3-'));
  const ctx = captureContext({ cwd: dir });
  const out = join(dir, 'stopped.json');
  try {
    const running = main(['run', `http://127.0.0.1:${port}/`, '-r', '200', '-d', '30s', '-c', '400', '-w', '1', '-q', '-o', out], ctx);
    await waitFor(() => received >= 50, 20_000, 'load to reach the server');
    ctx.signals.emit('SIGINT');
    // 400 ms of the stopped run pass with requests in flight: 80 arrivals planned after the stop.
    await new Promise((r) => setTimeout(r, 400));
    release = true;
    for (const res of held) res.end('ok');
    held = [];
    assert.equal(await running, 130, ctx.err());
    const res = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(res.partial, true);
    assert.ok(res.durationSeconds * 1000 >= (res.totals.requests / 200) * 1000 + 300, `the run ended well after the stop: ${res.durationSeconds}s, ${res.totals.requests} requests`);
    // At most the one arrival that came due while the stop was being signalled.
    assert.ok(res.totals.dropped <= 1, `dropped ${res.totals.dropped}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

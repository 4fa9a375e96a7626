import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { runMeasured } from './run-measured.js';
import { startJsonServerProcess } from '../targets/json-server.js';
import { nginxServed } from '../targets/nginx.js';
import { STATUS_PATH } from '../targets/target.js';
import { startupSeconds, steadyPer100k } from '../scenarios/cpu-cost.js';
import type { ToolResult } from '../tools/tool.js';

// A child that keeps one core busy for `sec` seconds, then exits.
const burn = (sec: number): string[] => ['-e', `const end = Date.now() + ${sec * 1000}; let x = 0; while (Date.now() < end) x++;`];

test('a CPU window measures the process between two moments of its run, and the served count between them', async () => {
  const counts = [1000, 1250];
  const run = await runMeasured({
    command: process.execPath,
    args: burn(1.6),
    timeoutMs: 20_000,
    window: { fromSec: 0.5, toSec: 1.2, served: async () => counts.shift() ?? NaN },
  });
  assert.equal(run.exitCode, 0);
  const w = run.window;
  assert.ok(w, 'window measured');
  assert.ok(w.seconds > 0.6 && w.seconds < 1.0, `window lasted ${w.seconds} s`);
  // A busy loop: the window's CPU is close to its length, and well below the whole run's.
  assert.ok(w.cpuSeconds > 0.3 * w.seconds && w.cpuSeconds <= w.seconds + 0.05, `window CPU ${w.cpuSeconds} s over ${w.seconds} s`);
  assert.ok(w.cpuSeconds < run.cpuSeconds, `window CPU ${w.cpuSeconds} s, whole run ${run.cpuSeconds} s`);
  assert.equal(w.served, 250);
});

test('no window measure when the process ends before the window does, or the counter fails', async () => {
  const early = await runMeasured({ command: process.execPath, args: burn(0.2), timeoutMs: 20_000, window: { fromSec: 0.1, toSec: 1.5, served: async () => 1 } });
  assert.equal(early.exitCode, 0);
  assert.equal(early.window, undefined);
  const failing = await runMeasured({
    command: process.execPath,
    args: burn(1),
    timeoutMs: 20_000,
    window: { fromSec: 0.2, toSec: 0.5, served: async () => Promise.reject(new Error('status unreachable')) },
  });
  assert.equal(failing.exitCode, 0);
  assert.equal(failing.window, undefined);
});

test("the Node target counts the load requests it served, not its status requests", async () => {
  const target = await startJsonServerProcess();
  try {
    assert.ok(target.served, 'the Node target has a counter');
    const before = await target.served();
    for (let i = 0; i < 7; i++) await (await fetch(target.url)).text();
    assert.equal((await target.served()) - before, 7);
    assert.equal((await target.served()) - before, 7, 'reading the counter does not move it');
  } finally {
    await target.close();
  }
});

test("nginx's counter is stub_status's requests figure less the status requests read so far", async () => {
  // A stand-in answering as nginx's stub_status does, counting every request as nginx does (its own included).
  let requests = 41;
  const server: Server = createServer((req, res) => {
    requests++;
    if (req.url !== STATUS_PATH) return void res.end('{}');
    res.end(`Active connections: 2 \nserver accepts handled requests\n 10 10 ${requests} \nReading: 0 Writing: 1 Waiting: 1 \n`);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    const served = nginxServed(port);
    const a = await served();
    for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.equal((await served()) - a, 5);
    assert.equal((await served()) - a, 5);
  } finally {
    server.close();
  }
});

test('steady CPU per 100k comes from the window; start-up is what the run spent beyond its requests at that cost', () => {
  const r = { requests: 80_000, cpuSeconds: 4.2, window: { seconds: 4.5, cpuSeconds: 1.8, served: 45_000 } } as ToolResult;
  assert.equal(steadyPer100k(r), 4);
  assert.ok(Math.abs(startupSeconds(r)! - 1.0) < 1e-9);
  assert.equal(steadyPer100k({ ...r, window: undefined }), null);
  assert.equal(steadyPer100k({ ...r, window: { seconds: 4.5, cpuSeconds: 1.8, served: 0 } }), null);
  assert.equal(startupSeconds({ ...r, window: undefined }), null);
});

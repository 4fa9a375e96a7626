import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startServerThread } from '../fixtures/server-thread.js';
import type { RunResult } from '../../src/results/model.js';

// A server that stalls for S = 1 s every P = 5 s, offered a constant rate over whole periods.
// Ground truth for the corrected latency: P(latency > x) = (S − x) / P for 0 ≤ x ≤ S, so
// p90 = S − 0.10·P = 500 ms and p99 = S − 0.01·P = 950 ms.
const STALL_MS = 1000;
const PERIOD_MS = 5000;
const truth = (p: number) => STALL_MS - (1 - p / 100) * PERIOD_MS;
/** START_AHEAD_MS is the least time the run's workers get to start before its agreed start. */
const START_AHEAD_MS = 3000;

test('coordinated omission: corrected p90/p99 match the stall duty-cycle ground truth, uncorrected ones do not', async () => {
  // The stalls follow a wall-clock schedule, and the run starts (--start-at) 0.5 s after a stall ends:
  // its 10 s hold exactly two whole stalls, and the last ends 0.5 s before the run does, so the queue
  // behind it is sent before the end — whenever the workers happen to be ready.
  const epochWallMs = Date.now();
  const server = await startServerThread({ stallMs: STALL_MS, periodMs: PERIOD_MS, epochWallMs });
  const startAt = (() => {
    let t = epochWallMs + STALL_MS + 500;
    while (t < Date.now() + START_AHEAD_MS) t += PERIOD_MS;
    return t;
  })();
  const dir = mkdtempSync(join(tmpdir(), 'racerig-co-'));
  try {
    const out = join(dir, 'co.json');
    const ctx = captureContext({ cwd: dir });
    // 10 connections (20 requests stuck in two stalls: under 1% of 3,000): during a stall every connection is busy, so arrivals queue in the generator;
    // a low rate keeps the drain after each stall short next to the stall itself.
    const code = await main(['run', `${server.url}/`, '-r', '300', '-d', '10s', '-c', '10', '-w', '2', '-q', '-o', out, '--start-at', String(startAt)], ctx);
    assert.equal(code, ExitCode.Ok, ctx.err());
    const res = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(res.totals.requests, 3000);
    assert.equal(res.totals.dropped, 0);
    assert.equal(await server.total(), 3000);
    const op = res.operations[0]!;
    const corrected = { p90: op.latencyUs.p90 / 1000, p99: op.latencyUs.p99 / 1000 };
    const uncorrected = { p90: op.uncorrectedLatencyUs.p90 / 1000, p99: op.uncorrectedLatencyUs.p99 / 1000 };
    const detail = JSON.stringify({ corrected, uncorrected });
    // The ground truth assumes the server recovers instantly. Really, the arrivals queued during a
    // stall are sent over the 10 connections when it ends, so the request at percentile p waits
    // about (its place in that queue) / 10 round trips more. The bound allows exactly that drain,
    // with the measured uncorrected p90 as the round trip, on top of 3% + 5 ms; it never allows less
    // than the truth − 3%, which is what a generator without the correction reports.
    const rtt = uncorrected.p90;
    for (const p of [90, 99] as const) {
      const want = truth(p);
      const got = corrected[`p${p}`];
      const queuedAhead = Math.max(0, 300 * ((STALL_MS - want) / 1000) - 10);
      const drainMs = Math.ceil(queuedAhead / 10) * rtt;
      assert.ok(got >= want * 0.97 - 5, `corrected p${p} ${got}ms below the truth ${want}ms ${detail}`);
      assert.ok(got <= want * 1.03 + 5 + drainMs, `corrected p${p} ${got}ms vs truth ${want}ms + drain ${drainMs.toFixed(1)}ms ${detail}`);
    }
    // The uncorrected view hides the stall: requests queued during it are timed from when they were finally sent.
    assert.ok(uncorrected.p90 < truth(90) * 0.5, `uncorrected p90 should miss the truth ${detail}`);
    assert.ok(uncorrected.p99 < truth(99) * 0.75, `uncorrected p99 should miss the truth ${detail}`);
  } finally {
    await server.close();
  }
});

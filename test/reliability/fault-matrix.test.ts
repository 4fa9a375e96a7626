// Every faulty-server case against `run <url>` in both load models and both HTTP clients: the run ends
// by its duration + one --timeout (plus start-up), the result adds up, nothing is counted as a success,
// and the exit code is the documented one (4: every request failed without a response).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { FAULT_KINDS, startFaultyServer, type FaultKind } from '../fixtures/faulty-servers.js';
import type { RunResult } from '../../src/results/model.js';
import { checkCounts } from '../fixtures/result-checks.js';

const tmp = mkdtempSync(join(tmpdir(), 'racerig-faults-'));
const DURATION_MS = 1000;
const TIMEOUT_MS = 500;
/** Worker start-up (warm-up against a throwaway server) and the result's writing, on a shared 2-core machine. */
const START_UP_MS = 6000;

async function faultCase(kind: FaultKind, model: 'closed' | 'open', client: 'fast' | 'undici'): Promise<void> {
  const server = await startFaultyServer(kind);
  try {
    const out = join(tmp, `${kind}-${model}-${client}.json`);
    const ctx = captureContext({ cwd: tmp });
    const started = performance.now();
    const code = await main(
      ['run', `${server.url}/`, '-d', `${DURATION_MS}ms`, '--timeout', `${TIMEOUT_MS}ms`, '-c', '2', '-w', '1', '-q', '--http-client', client, '-o', out, ...(model === 'open' ? ['-r', '50'] : [])],
      ctx,
    );
    const tookMs = performance.now() - started;
    const what = `${kind}, ${model} model, ${client}: ${ctx.err()}`;
    assert.equal(code, ExitCode.TargetFailed, what);
    assert.ok(tookMs < DURATION_MS + TIMEOUT_MS + START_UP_MS, `${what} took ${Math.round(tookMs)} ms`);
    const res = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    checkCounts(res);
    const op = res.operations[0]!;
    assert.deepEqual(op.status, {}, `${what}: no request counted as answered`);
    assert.ok(res.totals.errors > 0, what);
    assert.ok(res.durationSeconds <= (DURATION_MS + TIMEOUT_MS) / 1000 + 0.3, `${what}: ${res.durationSeconds} s`);
    if (kind === 'invalid-chunk') assert.equal(op.errorKinds.protocol, op.requests, `${what}: ${JSON.stringify(op.errorKinds)}`);
    if (kind === 'reset') assert.equal(op.errorKinds.reset, op.requests, `${what}: ${JSON.stringify(op.errorKinds)}`);
    if (kind === 'trickle' || kind === 'huge-body') {
      // Bounded by --timeout (whole request) or aborted at the run's end bound: never a success.
      assert.equal((op.errorKinds.timeout ?? 0) + (op.errorKinds.aborted ?? 0), op.requests, `${what}: ${JSON.stringify(op.errorKinds)}`);
    }
    // Every request the server received is in the result (reset connections never get to send one).
    if (kind !== 'reset') assert.equal(res.totals.requests, server.requests(), `${what}: the server received ${server.requests()}`);
  } finally {
    await server.close();
  }
}

for (const kind of FAULT_KINDS) {
  test(`fault matrix: ${kind} server, both load models, both HTTP clients: ends on time, counts add up, exit 4`, async () => {
    for (const model of ['closed', 'open'] as const) {
      for (const client of ['fast', 'undici'] as const) await faultCase(kind, model, client);
    }
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunResult } from '../../src/results/model.js';

const PROFILE = `name: throttled
description: reads a namespace from a mock that answers 30% of GETs with 429 and Retry-After 0
target:
  namespace: default
mock:
  faults:
    errors:
      - verb: get
        code: 429
        fraction: 0.3
        retryAfterSeconds: 0
phases:
  - name: read
    duration: 1s
    components:
      - name: readers
        concurrency: 4
        scenario:
          - get: {resource: namespaces, name: default}
`;

test('429 answers are retried after Retry-After (bounded, counted), and every attempt is counted like the server counts it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-429-'));
  writeFileSync(join(dir, 'throttled.yaml'), PROFILE);
  const out = join(dir, 'r.json');
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', './throttled.yaml', '-q', '-o', out, '-w', '2'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err());
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  const op = r.operations.find((o) => o.name === 'get namespaces')!;
  const throttled = op.status['429'] ?? 0;
  assert.ok(throttled > 20, `429s seen: ${JSON.stringify(op.status)}`);
  // Each 429 is either retried or, after the third retry, the iteration's final answer.
  assert.equal(r.retries!.retries + r.retries!.exhausted, throttled);
  assert.equal(r.iterations!.failed, r.retries!.exhausted);
  if (r.iterations!.failed > 0) assert.deepEqual(Object.keys(r.iterations!.failures), ['get namespaces: 429 TooManyRequests']);
  assert.equal(r.iterations!.completed, op.status['200']);
  assert.equal(r.integrity?.ok, true, JSON.stringify(r.integrity));
  assert.deepEqual(op.reasons, { TooManyRequests: throttled }, 'the Status reason of every 429 is counted');
});

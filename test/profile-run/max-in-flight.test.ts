/**
 * An open-model component capped below the worker count (`maxInFlight: 1`, 2 workers) and a closed-model
 * one with fewer workers than threads: a worker whose share of the cap is 0 starts nothing, but still
 * sees its component finish, so a phase bounded by iterations alone ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import type { RunResult } from '../../src/results/model.js';

const PROFILE = `
name: capped
description: Creates config maps under a cap below the worker count. Emulates no controller.
phases:
  - name: p
    components:
      - name: open
        rate: 50
        iterations: 6
        maxInFlight: 1
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: o-}}
      - name: closed
        concurrency: 1
        iterations: 4
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: c-}}
            operation: create closed
`;

test('a component capped below the worker count (maxInFlight, concurrency) still ends a phase bounded by iterations', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-capped-'));
  try {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, PROFILE);
    const out = join(dir, 'r.json');
    const ctx = captureContext({ cwd: dir });
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 60_000)));
    const code = await Promise.race([main(['run', file, '-q', '-o', out, '-w', '2'], ctx), hung]);
    clearTimeout(timer);
    assert.notEqual(code, 'hung', 'the run did not end within 60 s');
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    assert.equal(code, 0, ctx.err());
    const created = (name: string) => result.operations.find((o) => o.name === name)?.status;
    assert.deepEqual(created('create configmaps'), { '201': 6 });
    assert.deepEqual(created('create closed'), { '201': 4 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The conformance checks (checks.ts) through Debian's python3-kubernetes (the official Python client),
 * run by test/conformance/python/checks.py under the first interpreter that imports it (/usr/bin/python3
 * first: the package installs there, which may not be the python3 first on PATH). Without one, the
 * file is skipped with the reason printed.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { json, type MockFixture } from '../mock/helpers.js';
import { checksFor, Scoreboard } from './checks.js';
import { startConformanceMock } from './fixture.js';

const SCRIPT = fileURLToPath(new URL('../../../test/conformance/python/checks.py', import.meta.url));

function findPython(): { bin?: string; reason?: string } {
  const tried: string[] = [];
  for (const bin of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(bin, ['-c', 'import kubernetes'], { stdio: 'pipe', timeout: 20_000 });
      return { bin };
    } catch (err) {
      tried.push(`${bin}: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n').pop()}`);
    }
  }
  return { reason: tried.join('; ') };
}

const python = findPython();
const checks = checksFor('p');

if (!python.bin) {
  console.log(`# conformance python: skipped, the kubernetes module does not import (apt-get install python3-kubernetes): ${python.reason}`);
  test('python conformance checks', { skip: `python3-kubernetes does not import: ${python.reason}` }, () => {});
} else {
  let fx: MockFixture;
  const results = new Map<string, { ok: boolean; detail?: string }>();
  before(async () => {
    fx = await startConformanceMock();
    assert.equal((await json(fx.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'py' } })).status, 201);
    const out = await new Promise<string>((resolve) => {
      execFile(python.bin!, [SCRIPT, fx.kc, 'py', checks.map((c) => c.id).join(',')], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err && !stdout) console.log(`# python checks failed to run: ${stderr}`);
        resolve(String(stdout));
      });
    });
    for (const line of out.split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { id: string; ok: boolean; detail?: string };
      results.set(r.id, r);
    }
  });
  after(() => fx?.close());

  describe('python3-kubernetes', () => {
    const board = new Scoreboard('python3-kubernetes');
    after(() => board.print());
    for (const check of checks) {
      test(`${check.id}: ${check.does} → ${check.promise}`, () =>
        board.run(async () => {
          const r = results.get(check.id);
          assert.ok(r, `the python script reported nothing for ${check.id}`);
          assert.ok(r.ok, r.detail);
        }));
    }
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startMockServerThread } from '../../src/mock/thread.js';
import type { Comparison } from '../../src/results/compare.js';

const POD = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } };

async function createPod(url: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(POD) });
  assert.equal(res.status, 201);
}

async function rig(args: string[], cwd: string) {
  const ctx = captureContext({ cwd });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

const load = ['-n', '300', '-c', '4', '-w', '1', '-q'];

test('real runs against the mock: injected latency is a significant regression and --fail-on exits 10; no change is not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-cmp-'));
  for (const d of ['a', 'b', 'slow']) mkdirSync(join(dir, d));
  const fast = await startMockServerThread();
  // The candidate build: every GET takes 5 ms longer.
  const slow = await startMockServerThread({ faults: { latency: [{ verb: 'get', distribution: { kind: 'fixed', ms: 5 } }] } });
  try {
    await createPod(fast.url);
    await createPod(slow.url);
    const path = '/api/v1/namespaces/default/pods/p';
    // Interleave the sides (A B C A B C …) so drift on this machine affects all of them alike.
    for (let i = 1; i <= 5; i++) {
      for (const [side, url, build] of [['a', fast.url, 'base'], ['b', fast.url, 'base-again'], ['slow', slow.url, 'slow']] as const) {
        const r = await rig(['run', `${url}${path}`, ...load, '-l', `build=${build}`, '-o', join(dir, side, `run-${i}.json`)], dir);
        assert.equal(r.code, ExitCode.Ok, r.err);
      }
    }
    const regression = await rig(['compare', join(dir, 'a'), join(dir, 'slow'), '--fail-on', 'p50 > +10%', '--format', 'json'], dir);
    assert.equal(regression.code, ExitCode.Regression, regression.err);
    const cmp = JSON.parse(regression.out) as Comparison;
    assert.equal(cmp.mode, 'runs');
    const p50 = cmp.rows.find((r) => r.metric === 'p50')!;
    assert.equal(p50.significant, true, JSON.stringify(p50));
    assert.ok(p50.candidate.median - p50.baseline.median > 4000, `p50 grew by the injected 5 ms: ${JSON.stringify(p50)}`);

    const same = await rig(['compare', join(dir, 'a'), join(dir, 'b'), '--fail-on', 'p50 > +10%', '--alpha', '0.01', '--format', 'json'], dir);
    assert.equal(same.code, ExitCode.Ok, same.out + same.err);
    const sameCmp = JSON.parse(same.out) as Comparison;
    assert.equal(sameCmp.rows.find((r) => r.metric === 'p50')!.significant, false);

    // The selector form finds the same runs in the results folder by label.
    const bySelector = await rig(['compare', 'build=base', 'build=slow', '--results-dir', dir], dir);
    assert.equal(bySelector.code, ExitCode.Ok, bySelector.err);
    assert.match(bySelector.out, /p50/);
  } finally {
    await fast.close();
    await slow.close();
  }
});

test('run --repeat writes one result file per run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-rep-'));
  const mock = await startMockServerThread();
  try {
    const r = await rig(['run', `${mock.url}/version`, '-n', '50', '-c', '2', '-w', '1', '-q', '--repeat', '3', '-o', join(dir, 'v.json')], dir);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const shown = await rig(['report', join(dir, 'v-1.json'), join(dir, 'v-2.json'), join(dir, 'v-3.json'), '--format', 'json'], dir);
    assert.equal(shown.code, ExitCode.Ok, shown.err);
    const report = JSON.parse(shown.out) as { results: { file: string; labels: Record<string, string> }[] };
    assert.deepEqual(report.results.map((x) => x.labels.repeat), ['1', '2', '3']);
    const bad = await rig(['run', `${mock.url}/version`, '--repeat', '0'], dir);
    assert.equal(bad.code, ExitCode.Usage);
  } finally {
    await mock.close();
  }
});

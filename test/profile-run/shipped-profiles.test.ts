import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startMockServerThread } from '../../src/mock/thread.js';
import { listShippedProfiles } from '../../src/profile/shipped.js';
import type { RunResult } from '../../src/results/model.js';

/** Every collection a shipped profile can create objects in (cluster-wide list paths). */
const COLLECTIONS = [
  '/api/v1/namespaces',
  '/api/v1/pods',
  '/api/v1/configmaps',
  '/api/v1/secrets',
  '/api/v1/services',
  '/api/v1/serviceaccounts',
  '/api/v1/events',
  '/apis/events.k8s.io/v1/events',
  '/apis/coordination.k8s.io/v1/leases',
  '/apis/apps/v1/deployments',
  '/apis/apps/v1/daemonsets',
  '/apis/batch/v1/jobs',
  '/apis/argoproj.io/v1alpha1/workflows',
  '/apis/argoproj.io/v1alpha1/workflowtaskresults',
];

async function labelled(url: string, runId: string): Promise<string[]> {
  const left: string[] = [];
  for (const c of COLLECTIONS) {
    const res = await fetch(`${url}${c}?labelSelector=${encodeURIComponent(`racerig.io/run=${runId}`)}`);
    if (res.status === 404) continue; // a group this mock does not serve (yet)
    assert.equal(res.status, 200, `${c}: ${res.status}`);
    const list = (await res.json()) as { items: { metadata: { name: string; deletionTimestamp?: string } }[] };
    for (const item of list.items) left.push(`${c}/${item.metadata.name}${item.metadata.deletionTimestamp ? ' (terminating)' : ''}`);
  }
  return left;
}

test('every shipped profile runs under --smoke against a mock through a kubeconfig, passes its thresholds and the integrity check, and leaves no labelled object', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-shipped-'));
  const kubeconfigPath = join(dir, 'mock.kubeconfig');
  const mock = await startMockServerThread({ kubeconfigPath });
  try {
    const profiles = listShippedProfiles();
    assert.ok(profiles.length >= 8, `shipped profiles: ${profiles.map((p) => p.name).join(', ')}`);
    for (const p of profiles) {
      const out = join(dir, `${p.name}.json`);
      const ctx = captureContext({ cwd: dir });
      const code = await main(['run', p.name, '--smoke', '--kubeconfig', kubeconfigPath, '--integrity', '-q', '-o', out, '-w', '2'], ctx);
      const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      const failed = (result.thresholds ?? []).filter((t) => !t.passed);
      assert.equal(code, ExitCode.Ok, `${p.name}: exit ${code} ${ctx.err()} failed thresholds ${JSON.stringify(failed)} iterations ${JSON.stringify(result.iterations)}`);
      assert.equal(result.partial, false);
      assert.equal(result.profile?.name, p.name);
      assert.ok(result.totals.requests > 0, `${p.name} sent requests`);
      assert.ok(result.iterations && result.iterations.completed > 0, `${p.name} completed iterations`);
      assert.equal(result.integrity?.ok, true, `${p.name}: ${JSON.stringify(result.integrity)}`);
      assert.ok(result.integrity!.compared > 0);
      const runId = (result.config as { runId: string }).runId;
      // Cleanup deletes the run's namespace without waiting for it to go (as `kubectl delete ns --wait=false`):
      // the mock finishes a terminating namespace once its pods have stopped, so give that a few seconds.
      let left = await labelled(mock.url, runId);
      for (let t = 0; t < 100 && left.length > 0 && left.every((l) => l.endsWith(' (terminating)')); t++) {
        await new Promise((r) => setTimeout(r, 50));
        left = await labelled(mock.url, runId);
      }
      assert.deepEqual(left, [], `${p.name} left objects behind`);
    }
  } finally {
    await mock.close();
  }
});

test('without a target a profile runs against the embedded mock; exec and ordinary requests count through the same wrappers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-embedded-'));
  const out = join(dir, 'smoke.json');
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', 'smoke', '--smoke', '-o', out, '-w', '2'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err());
  assert.match(ctx.out(), /embedded mock API server at http:\/\/127\.0\.0\.1:\d+/);
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  assert.equal(result.target.kind, 'mock');
  const exec = result.operations.find((o) => o.name === 'exec pods')!;
  assert.ok(exec.status['101']! > 0, 'exec upgrades counted with status 101');
  assert.equal(exec.requests, result.operations.find((o) => o.name === 'create pods')!.requests, 'one exec per created pod');
  assert.ok(result.lifecycles?.some((l) => l.name === 'pod startup' && l.latencyUs.count > 0));
  assert.match(ctx.out(), /iterations: \d+ completed, 0 failed/);
  // The embedded mock's /metrics saw exactly the responses the run counted, per resource and code.
  assert.equal(result.integrity?.ok, true, JSON.stringify(result.integrity));
  assert.ok(result.integrity!.compared >= result.totals.requests - result.operations.filter((o) => o.name.startsWith('ratelimit')).reduce((a, o) => a + o.requests, 0));
  assert.match(ctx.out(), /integrity: OK/);
});

test('a broken profile given to run exits 3 with file:line:column, before anything starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-broken-'));
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, ['name: broken', 'phases:', '  - name: p', '    duration: 5 parsecs', '    components:', '      - name: c', '        rate: 1', '        scenario:', '          - teleport: {}', ''].join('\n'));
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', file], ctx);
  assert.equal(code, ExitCode.ProfileInvalid);
  assert.match(ctx.err(), /broken\.yaml:4:\d+/);
  assert.match(ctx.err(), /broken\.yaml:9:\d+/);
  const wrongFlag = await main(['run', 'smoke', '--rate', '5'], captureContext({ cwd: dir }));
  assert.equal(wrongFlag, ExitCode.Usage);
});

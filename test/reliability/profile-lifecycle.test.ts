// Issue 22 for profile runs (items 3, 7/8/20, 17): the run lifecycle URL runs have, tested against a
// racerig mock on loopback: stop signals ×1, ×2, ×3 in a real child process, the end bound of a phase,
// and a worker failure's exit code. Every wait is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { MockServer } from '../../src/mock/server.js';
import { startMockServerThread } from '../../src/mock/thread.js';
import type { RunResult } from '../../src/results/model.js';

// The compiled test lives at <root>/<dist>/test/reliability/: the repository root is three levels up.
const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../../..');
const distDir = resolve(here, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'racerig-plc-'));
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as RunResult;

/** A profile creating config maps for a minute: long enough to be stopped by a signal. */
const WRITERS = `
name: lifecycle
description: Config maps created for a minute, to be stopped by signals. Emulates no controller.
target: {namespace: default}
cleanup: {timeout: 30s}
phases:
  - name: write
    duration: 60s
    components:
      - name: writers
        rate: 20
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: plc-}, data: {x: "0"}}
`;

function startRig(args: string[]) {
  const child = spawn(process.execPath, [join(root, 'bin/racerig'), ...args], { cwd: tmp, env: { ...process.env, RACERIG_DIST: distDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}

/** waitFor polls `cond` every 20 ms until it holds or `ms` pass. */
async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** exitWithin resolves with the child's exit code, or null when it has not exited within `ms`. */
async function exitWithin(rig: ReturnType<typeof startRig>, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([rig.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  clearTimeout(timer);
  if (code === null) rig.child.kill('SIGKILL');
  return code;
}

/** runObjects counts the config maps carrying a run label in the mock. */
async function runObjects(mock: MockServer): Promise<number> {
  const r = await fetch(`${mock.url}/api/v1/configmaps?labelSelector=racerig.io%2Frun`);
  return ((await r.json()) as { items: unknown[] }).items.length;
}

/** deleteCollections counts the DELETECOLLECTION requests the mock served (cleanup). */
async function deleteCollections(mock: MockServer): Promise<number> {
  let n = 0;
  for (const line of (await mock.metrics()).split('\n')) if (line.startsWith('apiserver_request_total{') && line.includes('verb="DELETECOLLECTION"')) n += Number(line.split(' ').pop());
  return n;
}

test('3: profile run, one stop signal: iterations in flight finish, the partial result is written, cleanup runs (exit 130)', async () => {
  const kubeconfig = join(tmp, 'one.kubeconfig');
  const mock = await startMockServerThread({ kubeconfigPath: kubeconfig });
  try {
    const file = join(tmp, 'one.yaml');
    writeFileSync(file, WRITERS);
    const out = join(tmp, 'one.json');
    const rig = startRig(['run', file, '--kubeconfig', kubeconfig, '-w', '1', '-o', out]);
    await waitFor(async () => (await runObjects(mock)) >= 5, 30_000, 'objects created by the run');
    rig.child.kill('SIGINT');
    const code = await exitWithin(rig, 20_000);
    assert.equal(code, ExitCode.Interrupted, rig.err());
    assert.match(rig.err(), /SIGINT: stopping — waiting up to 30 s for iterations in flight, then cleanup/);
    const res = read(out);
    assert.equal(res.partial, true);
    assert.equal(res.stoppedBy, 'interrupted');
    assert.ok(res.totals.requests >= 5, JSON.stringify(res.totals));
    assert.equal(res.totals.errors, 0, 'the stop waited for the iterations in flight');
    assert.equal(await runObjects(mock), 0, "cleanup deleted the run's objects");
  } finally {
    await mock.close();
  }
});

test('3: profile run, a second signal aborts at once and still writes the partial result and cleans up (exit 130)', async () => {
  const kubeconfig = join(tmp, 'two.kubeconfig');
  // Creates are held up to 20 s (1 in 20 within a second): a graceful stop would wait; the second signal must not.
  const mock = await startMockServerThread({ kubeconfigPath: kubeconfig, faults: { latency: [{ verb: 'create', resource: 'configmaps', distribution: { kind: 'uniform', minMs: 0, maxMs: 20_000 } }] } });
  try {
    const file = join(tmp, 'two.yaml');
    writeFileSync(file, WRITERS);
    const out = join(tmp, 'two.json');
    const rig = startRig(['run', file, '--kubeconfig', kubeconfig, '-w', '1', '-o', out]);
    await waitFor(async () => (await runObjects(mock)) >= 1, 30_000, 'objects created by the run (others held)');
    const before = await deleteCollections(mock);
    rig.child.kill('SIGINT');
    await waitFor(() => /stopping/.test(rig.err()), 10_000, 'the stop message');
    const at = performance.now();
    rig.child.kill('SIGTERM');
    const code = await exitWithin(rig, 15_000);
    assert.equal(code, ExitCode.Interrupted, rig.err());
    assert.ok(performance.now() - at < 10_000, `ended ${Math.round(performance.now() - at)} ms after the second signal`);
    assert.match(rig.err(), /SIGTERM: aborting — writing what was measured, then cleanup/);
    const res = read(out);
    assert.equal(res.partial, true);
    assert.equal(res.stoppedBy, 'interrupted');
    const create = res.operations.find((o) => o.name.startsWith('create'))!;
    assert.ok((create.errorKinds.aborted ?? 0) > 0, `held creates counted as aborted: ${JSON.stringify(create)}`);
    assert.ok((await deleteCollections(mock)) > before, 'cleanup was attempted');
  } finally {
    await mock.close();
  }
});

test('3: profile run, a third signal exits at once and says what it leaves behind (exit 130)', async () => {
  const kubeconfig = join(tmp, 'three.kubeconfig');
  // Cleanup's deletes are held 20 s: the third signal comes before the result is written (cleanup runs first).
  const mock = await startMockServerThread({ kubeconfigPath: kubeconfig, faults: { latency: [{ verb: 'deletecollection', distribution: { kind: 'fixed', ms: 20_000 } }] } });
  try {
    const file = join(tmp, 'three.yaml');
    writeFileSync(file, WRITERS);
    const out = join(tmp, 'three.json');
    const rig = startRig(['run', file, '--kubeconfig', kubeconfig, '-w', '1', '-o', out]);
    await waitFor(async () => (await runObjects(mock)) >= 2, 30_000, 'objects created by the run');
    rig.child.kill('SIGINT');
    await waitFor(() => /stopping/.test(rig.err()), 10_000, 'the stop message');
    rig.child.kill('SIGTERM');
    await waitFor(() => /aborting/.test(rig.err()), 10_000, 'the abort message');
    rig.child.kill('SIGINT');
    const code = await exitWithin(rig, 5_000);
    assert.equal(code, ExitCode.Interrupted, rig.err());
    assert.match(rig.err(), /SIGINT: exiting now; no result file was written; objects labelled racerig\.io\/run=[0-9a-f]{8} may remain/);
    assert.equal(existsSync(out), false);
  } finally {
    await mock.close();
  }
});

test('7, 8, 20: a profile phase ends by its duration + one --timeout: iterations still in flight are aborted, the result is partial, rates over the planned time', async () => {
  const file = join(tmp, 'end-bound.yaml');
  writeFileSync(
    file,
    `
name: end-bound
description: Waits that outlast their phase. Emulates no controller.
phases:
  - name: p
    duration: 1s
    components:
      - name: waiters
        rate: 10
        iterations: 2
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: eb-}, data: {x: "0"}}
            as: cm
          - wait: {resource: configmaps, name: "{{cm.name}}", until: {field: data.x, equals: never}, timeout: 60s}
`,
  );
  const out = join(tmp, 'end-bound.json');
  const ctx = captureContext({ cwd: tmp });
  const code = await main(['run', file, '--timeout', '1s', '-w', '1', '-q', '-o', out], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err());
  const res = read(out);
  // From the phase's start to its end bound (1 s + one 1 s --timeout), whatever the waits planned.
  assert.ok(res.elapsedSeconds! >= 2 && res.elapsedSeconds! < 2.5, `the phase took ${res.elapsedSeconds} s`);
  assert.equal(res.partial, true);
  assert.equal(res.stoppedBy, 'end bound');
  assert.deepEqual([res.iterations?.completed, res.iterations?.failed], [0, 2], JSON.stringify(res.iterations));
  assert.equal(res.durationSeconds, 1, 'rates are over the planned phase');
  assert.equal(res.totals.achievedRate, res.totals.requests);
});

test('17: a worker failure in a profile run exits 11 with the partial result of what was measured', async () => {
  const file = join(tmp, 'failing.yaml');
  const profile = WRITERS.replace('duration: 60s', 'duration: 3s') + `  - name: second\n    duration: 1s\n    components:\n      - name: readers\n        concurrency: 1\n        scenario:\n          - list: {resource: configmaps}\n`;
  writeFileSync(file, profile);
  const kubeconfig = join(tmp, 'failing.kubeconfig');
  const mock = await startMockServerThread({ kubeconfigPath: kubeconfig });
  try {
    const out = join(tmp, 'failing.json');
    const ctx = captureContext({ cwd: tmp });
    const running = main(['run', file, '--kubeconfig', kubeconfig, '-w', '1', '-q', '-o', out], ctx);
    // The first phase's worker has loaded the profile once objects appear; the second phase's worker then cannot.
    await waitFor(async () => (await runObjects(mock)) > 0, 30_000, 'the first phase');
    writeFileSync(file, 'name: [broken\n');
    const code = await running;
    assert.equal(code, ExitCode.WorkerFailed, ctx.err());
    assert.match(ctx.err(), /racerig: worker error: RACERIG_PROFILE/);
    assert.match(ctx.err(), /a worker thread failed/);
    const res = read(out);
    assert.equal(res.partial, true);
    assert.equal(res.stoppedBy, 'worker failure');
    assert.ok(res.totals.requests > 0);
  } finally {
    await mock.close();
  }
});

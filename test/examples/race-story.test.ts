/**
 * The story end to end (`racerig demo race`): the example controller built as Argo Workflows 3.6.0-rc1 wired
 * its transport races under the argo-race profile, with the same race signatures in every run, and the
 * rc2-style build does not; compare --fail-on new-findings tells the two builds apart. The controller's own
 * request counter agrees with the API server's count of its requests in every window for the fixed build;
 * the rc1-style build's counts each request once while it lives (see the example's README), so its
 * cross-check disagrees where the bug loses the counter: in the window of every panic and restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunResult } from '../../src/results/model.js';
import { goMissing } from '../fixtures/go-example.js';

const missing = goMissing();

interface CrossCheckWindow {
  phase: string;
  crossCheck?: { sut: number; server: number; ok: boolean };
}

/** crossChecks returns the metrics observer's windows of a run (the argo-race profile has one metrics observer with a cross-check). */
function crossChecks(r: RunResult): CrossCheckWindow[] {
  const obs = Object.values((r as unknown as { observations?: Record<string, { windows?: CrossCheckWindow[] }> }).observations ?? {});
  return obs.flatMap((o) => o.windows ?? []).filter((w) => w.crossCheck);
}

test('demo race: the rc1-style build races in every run with stable signatures naming the wrapper, the fixed build never does, and the gate tells them apart', { skip: missing ?? false, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-story-'));
  const ctx = captureContext({ cwd: dir, env: {} });
  const code = await main(['demo', 'race', '--runs', '2', '--out-dir', dir, '-q'], ctx);
  const read = (b: string) => readdirSync(join(dir, b)).filter((f) => /^run-\d+\.json$/.test(f)).sort().map((f) => JSON.parse(readFileSync(join(dir, b, f), 'utf8')) as RunResult);
  const rc1 = read('rc1');
  const rc2 = read('rc2');
  const summary = (runs: RunResult[]) => JSON.stringify(runs.map((r) => (r.findings ?? []).map((f) => [f.kind, f.count, f.signature])), null, 1);
  assert.equal(code, ExitCode.Ok, `${ctx.out().slice(-3000)}\n${ctx.err().slice(-2000)}\nrc1: ${summary(rc1)}\nrc2: ${summary(rc2)}`);
  assert.equal(rc1.length, 2);
  assert.equal(rc2.length, 2);
  for (const r of rc1) {
    assert.equal(r.labels.build, 'rc1');
    assert.ok(r.sut && r.sut.starts >= 1, 'the controller ran beside the run');
  }
  const races = rc1.map((r) => new Set(r.findings!.filter((f) => f.kind === 'race').map((f) => f.signature)));
  const common = [...races[0]!].filter((s) => races[1]!.has(s));
  assert.ok(common.length > 0, `a race signature seen in both rc1-style runs: ${summary(rc1)}`);
  // The races are on the transport wrappers' fields (the global metrics wrapper, the logging wrapper, the exec's upgrader), named by their functions.
  const wrapper = common.filter((s) => /metricsRoundTripper|addMetricsTransportWrapper|k8sLogRoundTripper|spdyRoundTripper|wsRoundTripper/.test(s));
  assert.ok(wrapper.length > 0, `a race seen in every run names the wrappers' functions: ${common.join('\n')}`);
  const all = rc1.flatMap((r) => r.findings!.filter((f) => f.kind === 'race').map((f) => f.signature));
  assert.ok(all.some((s) => /main\.\(\*metricsRoundTripper\)\.RoundTrip|main\.addMetricsTransportWrapper/.test(s)), `the global metrics wrapper's own race is found: ${all.join('\n')}`);
  for (const s of common) assert.doesNotMatch(s, /0x[0-9a-f]{4,}|goroutine \d+|\.go:\d+/, 'function names only');
  for (const r of rc2) {
    assert.deepEqual(r.findings, [], `the fixed build has no findings: ${summary([r])}`);
    assert.equal(r.sut!.restarts, 0);
  }
  // The fixed build's own request counter agrees with the API server's count of its requests in every window.
  for (const r of rc2) {
    const windows = crossChecks(r);
    assert.ok(windows.length >= 2, `the fixed build's counter was cross-checked per phase: ${JSON.stringify(windows)}`);
    for (const w of windows) assert.ok(w.crossCheck!.ok, `fixed build, window ${w.phase}: counter ${w.crossCheck!.sut}, server ${w.crossCheck!.server}`);
    assert.ok(!r.findings!.some((f) => f.kind === 'metrics-mismatch'));
  }
  // The rc1-style build's counter is lost with the process: a run in which it panicked during the
  // profile's phases has a cross-check that disagrees with the server (the counter restarted from zero).
  const phases = new Set(['drive', 'drain']);
  for (const r of rc1) {
    assert.ok(crossChecks(r).length >= 2, `the rc1-style build's counter was cross-checked per phase`);
    const crashed = (r.sut?.exits ?? []).filter((e) => !e.requested && e.phase !== undefined && phases.has(e.phase));
    if (!crashed.length) continue;
    assert.ok(r.findings!.some((f) => f.kind === 'panic'), `a crash of the rc1-style build is its panic: ${summary([r])}`);
    assert.ok(r.findings!.some((f) => f.kind === 'metrics-mismatch'), `the cross-check disagrees after the rc1-style build panicked in ${crashed.map((e) => e.phase).join(', ')}: ${JSON.stringify(crossChecks(r))}`);
  }
});

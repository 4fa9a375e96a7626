/**
 * The story end to end (`racerig demo race`): the example controller built as Argo Workflows 3.6.0-rc1 wired
 * its transport races under the argo-race profile, with the same race signatures in every run, and the
 * rc2-style build does not; compare --fail-on new-findings tells the two builds apart. The controller's own
 * request counter agrees with the API server's count of its requests in every window for the fixed build;
 * the rc1-style build counts each request once while it lives (see the example's README), so its
 * cross-check disagrees in every window in which the bug killed it (the panic loses the counts not yet
 * exposed; in about half of the runs).
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
  // The rc1-style build counts each request once while it lives (faithful to rc1: every request passes the one
  // global wrapper exactly once, whichever transport it then takes), so its cross-check agrees in every window
  // without a crash (up to orphaned exec sessions); the bug kills the process (nil upgrader connection), and with
  // it the counts it had not yet exposed: every window in which it crashed a second or more after the window
  // began disagrees.
  for (const r of rc1) {
    const windows = crossChecks(r) as Array<CrossCheckWindow & { from: string; to: string }>;
    assert.ok(windows.length >= 2, `the rc1-style build's counter was cross-checked per phase`);
    const crashes = (r.sut?.exits ?? []).filter((e) => !e.requested).map((e) => Date.parse(e.at));
    if (crashes.length) assert.ok(r.findings!.some((f) => f.kind === 'panic'), `a crash of the rc1-style build is its panic: ${summary([r])}`);
    for (const w of windows) {
      const from = Date.parse(w.from);
      const inWindow = crashes.filter((at) => at > from && at <= Date.parse(w.to));
      const cc = w.crossCheck!;
      // (A window it lives through agrees too, but not always: exec sessions orphaned by the bug are counted by the
      // controller at their 101 and by the server when they end, up to 30 s later — 12 apart once; see the example's README.)
      if (inWindow.some((at) => at - from >= 1000)) assert.ok(!cc.ok, `rc1-style build crashed in window ${w.phase}: its counter lost the requests before the crash (counter ${cc.sut}, server ${cc.server})`);
    }
    if (windows.some((w) => !w.crossCheck!.ok)) assert.ok(r.findings!.some((f) => f.kind === 'metrics-mismatch'), 'a disagreeing window is a metrics-mismatch finding');
  }
});

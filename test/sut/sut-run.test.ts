/**
 * A system under test beside a profile run (`--sut`, `sut:`): started after setup against the run's target with
 * a kubeconfig and placeholders, waited for, its exits recorded as findings (and restarted when asked), its
 * output kept in a log beside the result, and stopped at the end — also after Ctrl-C, leaving no process behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunResult } from '../../src/results/model.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../../..');
const distDir = resolve(here, '../..');

const profile = (extra = '', duration = '2s') => `
name: sut-beside
description: A lister at 5/s while a system under test runs beside it; emulates no controller.
target: {namespace: sutns, createNamespace: true}
phases:
  - name: load
    duration: ${duration}
    components:
      - name: lister
        rate: 5
        scenario:
          - list: {resource: pods}
${extra}`;

function setup(extra?: string, duration?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-sut-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, profile(extra, duration));
  return { dir, file, out: join(dir, 'r.json') };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('--sut runs beside the phases with placeholders and a kubeconfig for the embedded mock; kubectl in the SUT reaches the run namespace', { skip: hasKubectl ? false : 'kubectl is not installed' }, async () => {
  const { dir, file, out } = setup('sut:\n  ready: {log: "^sut ready"}\n');
  const ctx = captureContext({ cwd: dir, env: {} });
  const cmd = `sh -c 'kubectl --kubeconfig {kubeconfig} get ns {namespace} -o name; echo "sut ready server={server} port={port} env=$KUBECONFIG"; exec sleep 30'`;
  const code = await main(['run', file, '-o', out, '-w', '1', '--sut', cmd], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  assert.ok(r.sut, 'the result describes the SUT');
  assert.equal(r.sut.logFile, join(dir, 'r.sut.log'));
  const log = readFileSync(r.sut.logFile, 'utf8');
  assert.match(log, /^namespace\/sutns$/m, 'the setup namespace existed when the SUT started, and its kubeconfig works');
  const m = /^sut ready server=(\S+) port=(\d+) env=(\S+)$/m.exec(log);
  assert.ok(m, log);
  assert.equal(m[1], r.target.url);
  assert.equal(m[3], join(dir, 'r.kubeconfig'), 'KUBECONFIG is the kubeconfig beside the result');
  assert.ok(Number(m[2]) > 0);
  assert.equal(r.sut.starts, 1);
  assert.deepEqual(r.sut.exits.map((e) => [e.requested, e.signal]), [[true, 'SIGTERM']], 'stopped by racerig with SIGTERM at the end');
  assert.deepEqual(r.findings, [], 'observed, nothing found');
  assert.match(ctx.out(), /findings: none/);
});

test('an exit during the run is a finding with its code, phase and last lines; restart: on-failure restarts it and counts restarts', async () => {
  const { dir, file, out } = setup('sut:\n  restart: on-failure\n  ready: {log: "^up"}\n', '2500ms');
  const ctx = captureContext({ cwd: dir, env: {} });
  const code = await main(['run', file, '-o', out, '-w', '1', '--sut', `sh -c 'echo up; sleep 0.4; echo "goodbye from the sut" >&2; exit 3'`], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  const exits = r.findings!.filter((f) => f.kind === 'exit');
  assert.equal(exits.length, 1, 'one signature for the same exit');
  const f = exits[0]!;
  assert.equal(f.signature, 'exit: code 3');
  assert.equal(f.phase, 'load');
  assert.equal(f.source, 'sut');
  assert.match(f.report!, /goodbye from the sut/);
  assert.ok(f.count >= 2, `restarted and exited again (${f.count})`);
  assert.equal(r.sut!.restarts, r.sut!.starts - 1);
  assert.ok(r.sut!.restarts >= 1);
  assert.match(ctx.out(), /finding: exit — the system under test exited \(code 3\)/, 'shown live');
  assert.match(ctx.out(), /findings: exit ×\d+/);
});

test('a SUT that never becomes ready, or cannot start, fails the run with exit code 6 and a clear message, before any load', async () => {
  const a = setup('sut:\n  ready: {log: "never printed", timeout: 700ms}\n');
  const ctxA = captureContext({ cwd: a.dir, env: {} });
  const codeA = await main(['run', a.file, '-o', a.out, '-w', '1', '--sut', `sh -c 'echo still booting; exec sleep 30'`], ctxA);
  assert.equal(codeA, ExitCode.SutFailed, ctxA.err());
  assert.match(ctxA.err(), /did not become ready within 700 ms \(a line matching \/never printed\/\)/);
  assert.match(ctxA.err(), /still booting/, 'the hint shows its last lines');
  assert.equal(existsSync(a.out), false);

  const b = setup();
  const ctxB = captureContext({ cwd: b.dir, env: {} });
  const codeB = await main(['run', b.file, '-o', b.out, '-w', '1', '--sut', '/nonexistent/controller --flag'], ctxB);
  assert.equal(codeB, ExitCode.SutFailed, ctxB.err());
  assert.match(ctxB.err(), /cannot start the system under test: .*ENOENT/);

  const c = setup();
  const ctxC = captureContext({ cwd: c.dir, env: {} });
  assert.equal(await main(['run', c.file, '--sut', `ctrl 'unclosed`], ctxC), ExitCode.Usage);
  assert.match(ctxC.err(), /--sut: unclosed ' /);
  assert.equal(await main(['run', 'http://127.0.0.1:1/', '--sut', 'x'], captureContext({ cwd: c.dir })), ExitCode.Usage);
});

test('a SUT that ignores SIGTERM is killed after stopGrace, its whole process group with it', async () => {
  const { dir, file, out } = setup('sut:\n  stopGrace: 300ms\n  ready: {log: "^child "}\n', '1s');
  const ctx = captureContext({ cwd: dir, env: {} });
  const code = await main(['run', file, '-o', out, '-w', '1', '--sut', `sh -c 'trap "" TERM; sleep 300 & echo "child $!"; while :; do sleep 0.05; done'`], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err());
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  assert.deepEqual(r.sut!.exits.map((e) => [e.requested, e.signal]), [[true, 'SIGKILL']]);
  const child = Number(/child (\d+)/.exec(readFileSync(r.sut!.logFile, 'utf8'))![1]);
  await waitFor(() => !alive(child), 5000, `the SUT's own child ${child} to be gone`);
});

test('Ctrl-C during a run with a SUT: partial result with the SUT summary, and no process of the SUT left', async () => {
  const { dir, file, out } = setup('sut:\n  ready: {log: "^child "}\n', '60s');
  const rig = spawn(process.execPath, [join(root, 'bin/racerig'), 'run', file, '-o', out, '-w', '1', '--sut', `sh -c 'sleep 300 & echo "child $!"; wait'`], {
    cwd: dir,
    env: { ...process.env, RACERIG_DIST: distDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  rig.stdout.on('data', (d) => (stdout += d));
  rig.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => rig.on('exit', (c) => r(c)));
  await waitFor(() => /phase 1\/1/.test(stdout), 20_000, 'the first phase');
  const log = join(dir, 'r.sut.log');
  await waitFor(() => existsSync(log) && /child \d+/.test(readFileSync(log, 'utf8')), 10_000, 'the SUT to start');
  const child = Number(/child (\d+)/.exec(readFileSync(log, 'utf8'))![1]);
  assert.ok(alive(child));
  rig.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 20_000)))]);
  clearTimeout(timer);
  assert.equal(code, ExitCode.Interrupted, stderr);
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  assert.equal(r.partial, true);
  assert.equal(r.sut!.exits.length, 1);
  assert.equal(r.sut!.exits[0]!.requested, true);
  await waitFor(() => !alive(child), 5000, `the SUT's child ${child} to be gone`);
});

test('findings thresholds: findings(exit) == 0 fails when the SUT exited during the run (exit 99), findings(race) == 0 passes', async () => {
  const { dir, file, out } = setup('sut:\n  ready: {log: "^up"}\nthresholds:\n  - findings(exit) == 0\n  - findings(race) == 0\n', '1500ms');
  const ctx = captureContext({ cwd: dir, env: {} });
  const code = await main(['run', file, '-o', out, '-w', '1', '--sut', `sh -c 'echo up; sleep 0.3; exit 1'`], ctx);
  assert.equal(code, ExitCode.ThresholdsFailed, ctx.err() + ctx.out());
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  assert.deepEqual(r.thresholds, [
    { expression: 'findings(exit) == 0', passed: false, actual: 1, unit: 'count' },
    { expression: 'findings(race) == 0', passed: true, actual: 0, unit: 'count' },
  ]);
});

test("the SUT's output is scanned live: a race report and a panic (real Go output) become findings with stable signatures, beside its exit", async () => {
  const fixtures = join(root, 'test/fixtures/go-races');
  const { dir, file, out } = setup('sut:\n  ready: {log: "^up"}\n  patterns: ["/level=(error|fatal)/"]\n', '2s');
  const ctx = captureContext({ cwd: dir, env: {} });
  const sut = `sh -c 'echo up; sleep 0.3; echo "level=error msg=\\"cleanup failed\\""; cat ${fixtures}/race-1.log >&2; cat ${fixtures}/race-2.log >&2; cat ${fixtures}/nil-panic.log >&2; exit 2'`;
  const code = await main(['run', file, '-o', out, '-w', '1', '--sut', sut], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  const kinds = [...new Set(r.findings!.map((f) => f.kind))].sort();
  assert.deepEqual(kinds, ['exit', 'panic', 'pattern', 'race'], JSON.stringify(r.findings, null, 1));
  const race = r.findings!.find((f) => f.kind === 'race' && f.signature.includes('Wrap'))!;
  assert.equal(race.count, 2, 'the same race from two runs (other addresses, other order) is one signature');
  assert.match(race.signature, /^race: read main\.\(\*metricsTransport\)\.RoundTrip .*\| write main\.\(\*metricsTransport\)\.Wrap /);
  assert.doesNotMatch(race.signature, /0x[0-9a-f]+|goroutine \d+|\.go:\d+/);
  assert.match(race.report!, /WARNING: DATA RACE/);
  assert.equal(race.source, 'sut');
  assert.equal(race.phase, 'load');
  assert.match(ctx.out(), /finding: race — /);
  assert.match(ctx.out(), /finding: panic — /);
});

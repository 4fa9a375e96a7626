/**
 * Distributed profile runs end to end, without a real cluster: `run <profile> --shards 2 --image
 * racerig:test --kubeconfig <mock>` against a real `racerig mock --run-image racerig:test=<node bin/racerig>`
 * child process, whose Job controller and process runner run the shards as local racerig processes that
 * reach the mock through the KUBECONFIG the runner gives them (its stand-in for the service account).
 * The merged creates equal the mock's own count and the profile's arrival total; the shards' objects
 * never collide; setup, cleanup and the lifecycle measurements run once; thresholds hold for the merged result; a killed shard gives
 * a partial result naming it, and cleanup still runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killShardWhenRunning, runCli, shardProcesses, startRunImageMock, type RunImageMock } from '../fixtures/run-image-mock.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunResult } from '../../src/results/model.js';
import { parseSamples } from '../../src/mock/metrics-text.js';

const tmp = mkdtempSync(join(tmpdir(), 'racerig-pshards-'));
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as RunResult;
let mock: RunImageMock;
let mockUrl = '';
let kc = '';

/** The profile: setup (a namespace and a ConfigMap from a manifest file), an open-model phase of creates, a closed-model phase of creates. */
function writeProfile(dir: string, openSeconds: number): string {
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  writeFileSync(join(dir, 'manifests', 'settings.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: sharded}\n');
  writeFileSync(join(dir, 'manifests', 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: "open-{{iteration}}"}\nstringData: {worker: "{{worker}}"}\n');
  const file = join(dir, 'pshards.yaml');
  writeFileSync(
    file,
    `name: pshards
description: distributed profile test
target: {namespace: racerig-pshards, createNamespace: true}
setup:
  - file: manifests/settings.yaml
phases:
  - name: open
    duration: ${openSeconds}s
    components:
      - name: creators
        rate: 40
        qps: 60
        burst: 5
        scenario:
          - create: {manifest: {file: manifests/secret.yaml}}
  - name: closed
    components:
      - name: writers
        concurrency: 2
        iterations: 9
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: Secret, metadata: {name: "closed-{{iteration}}"}}
measure:
  - name: secret seen
    resource: secrets
    to: {field: metadata.name, exists: true}
thresholds:
  - count(create secrets) == ${40 * openSeconds + 9}
  - errors == 0
`,
  );
  return file;
}

// The runs use --start-delay 12s: a profile shard's start-up (node, the Kubernetes client, discovery,
// the phase's worker thread) took up to 10 s on the loaded 2-core machine, and a shard ready after its
// phase's window drops the whole phase.
before(async () => {
  mock = await startRunImageMock(tmp);
  mockUrl = mock.url;
  kc = mock.kubeconfig;
});

after(async () => {
  await mock.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const cli = (args: string[], whileRunning?: Parameters<typeof runCli>[2]) => runCli(tmp, args, whileRunning);

const get = async (path: string) => (await fetch(mockUrl + path)).json() as Promise<any>;
/** requests returns the mock's own apiserver_request_total for a verb and resource (every code). */
async function requests(verb: string, resource: string): Promise<number> {
  const text = await (await fetch(`${mockUrl}/metrics`)).text();
  return parseSamples(text, 'apiserver_request_total')
    .filter((s) => s.labels.verb === verb && s.labels.resource === resource)
    .reduce((a, s) => a + s.value, 0);
}

test('a profile as 2 shards: creates equal the mock\'s count (integrity) and the schedule, no collision, setup and cleanup once, thresholds on the merged result', { timeout: 60_000 }, async () => {
  const dir = join(tmp, 'whole');
  const file = writeProfile(dir, 2);
  const before = { secrets: await requests('POST', 'secrets'), namespaces: await requests('POST', 'namespaces'), configmaps: await requests('POST', 'configmaps'), deleteNs: await requests('DELETE', 'namespaces'), sweeps: await requests('DELETECOLLECTION', 'secrets') };
  const out = join(tmp, 'merged.json');
  const r = await cli(['run', file, '--shards', '2', '--image', 'racerig:test', '--kubeconfig', kc, '--namespace', 'default', '-w', '1', '--start-delay', '12s', '--integrity', '-o', out]);
  assert.equal(r.code, ExitCode.Ok, r.err + r.out);
  assert.match(r.err, /shards \d\/2 running · [\d,]+ requests/, 'a merged live line');
  const m = read(out);
  assert.equal(m.partial, false, m.stoppedBy);
  assert.deepEqual(m.shards!.map((s) => s.index), [0, 1]);
  const creates = m.operations.find((o) => o.name === 'create secrets')!;
  const created = (await requests('POST', 'secrets')) - before.secrets;
  assert.equal(creates.requests, created, "the merged create count is the mock's own");
  assert.equal(creates.requests, 80 + 9, 'the whole schedule (40/s for 2 s) and every closed-model iteration, once');
  assert.deepEqual(creates.status, { '201': 89 }, 'no create collided (a 409 would be a name built twice)');
  assert.equal(m.totals.dropped, 0);
  // --integrity: the merged counts against the mock's own over the run, the coordinator's own requests taken out.
  assert.deepEqual(m.integrity, { ok: true, compared: 89, mismatches: [] });
  // Arrivals split k mod 2: 40 each; the closed-model iterations 5 + 4 (shardShare).
  const perShard = m.shards!.map((s) => s.requests);
  assert.deepEqual(perShard, [40 + 5, 40 + 4], `per shard: ${perShard}`);
  assert.deepEqual(m.iterations?.byComponent, { creators: { completed: 80, failed: 0 }, writers: { completed: 9, failed: 0 } });
  // Thresholds on the merged result: each shard alone has 44 or 45 creates, not 89.
  assert.deepEqual(m.thresholds?.map((t) => [t.expression, t.passed, t.actual]), [['count(create secrets) == 89', true, 89], ['errors == 0', true, 0]]);
  // measure: is the coordinator's, once over every shard's objects (one run id): each secret measured once.
  assert.deepEqual(m.lifecycles?.map((l) => [l.name, l.latencyUs.count]), [['secret seen', 89]]);
  // Setup once (one namespace, one settings ConfigMap besides the Job's own), cleanup once (one sweep of secrets, one namespace deletion).
  assert.equal((await requests('POST', 'namespaces')) - before.namespaces, 1, 'the namespace was created once');
  assert.equal((await requests('POST', 'configmaps')) - before.configmaps, 2, "the setup ConfigMap once, and the Job's ConfigMap");
  assert.equal((await requests('DELETECOLLECTION', 'secrets')) - before.sweeps, 1, 'one cleanup of the secrets');
  assert.equal((await requests('DELETE', 'namespaces')) - before.deleteNs, 1, 'one namespace deletion');
  assert.equal((await get('/api/v1/namespaces/racerig-pshards/secrets')).items?.length ?? 0, 0, 'no secret left');
  assert.equal((await fetch(`${mockUrl}/api/v1/namespaces/racerig-pshards/configmaps/settings`)).status, 404, 'the setup object is gone');
  assert.equal((await get('/apis/batch/v1/namespaces/default/jobs')).items.length, 0, 'no job left');
});

test('a profile shard killed mid-run: the merged result is partial naming it, the other ran to its end, cleanup still ran', { timeout: 60_000 }, async () => {
  const dir = join(tmp, 'killed');
  const file = writeProfile(dir, 5);
  const out = join(tmp, 'killed.json');
  let killed = '';
  const r = await cli(['run', file, '--shards', '2', '--image', 'racerig:test', '--kubeconfig', kc, '--namespace', 'default', '-w', '1', '--start-delay', '12s', '-o', out], async (ctx) => {
    const runId = () => /run ([0-9a-f]{8})/.exec(ctx.err())?.[1] ?? '';
    killed = await killShardWhenRunning(ctx, /shards 2\/2 running · [1-9]/, () => shardProcesses(`--run-id ${runId()}`), '--shard 1/2', 30_000);
  });
  assert.ok(killed);
  assert.equal(r.code, ExitCode.WorkerFailed, r.err + r.out);
  const m = read(out);
  assert.equal(m.partial, true);
  assert.match(m.stoppedBy ?? '', /shard 1 \(pod racerig-[0-9a-f]+-1-\w+\): pod failed.*exit code 137/, m.stoppedBy);
  assert.deepEqual(m.shards!.map((s) => [s.index, s.partial]), [[0, false]], 'shard 0 reported and ran to its end');
  assert.equal(m.shards![0]!.requests, 100 + 5, "shard 0's half of 40/s for 5 s and its 5 closed-model iterations");
  assert.equal(m.thresholds?.find((t) => t.expression.startsWith('count'))?.passed, false, 'half the creates: the merged count fails its threshold');
  const until = Date.now() + 10_000;
  while ((await fetch(`${mockUrl}/api/v1/namespaces/racerig-pshards`)).status !== 404 && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
  assert.equal((await fetch(`${mockUrl}/api/v1/namespaces/racerig-pshards`)).status, 404, 'cleanup deleted the namespace');
  assert.equal((await get('/apis/batch/v1/namespaces/default/jobs')).items.length, 0, 'no job left');
});

test('a distributed profile run is refused before anything starts when it cannot run (no target, a broken profile)', async () => {
  const dir = join(tmp, 'refused');
  const file = writeProfile(dir, 1);
  const noTarget = await cli(['run', file, '--shards', '2', '--image', 'racerig:test']);
  assert.equal(noTarget.code, ExitCode.Usage, noTarget.err);
  assert.match(noTarget.err, /needs --kubeconfig or --context/);
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, readFileSync(file, 'utf8').replace('rate: 40', 'rate: -1'));
  const b = await cli(['run', broken, '--shards', '2', '--image', 'racerig:test', '--kubeconfig', kc]);
  assert.match(b.err, /broken\.yaml:\d+:\d+/, 'profile problems with file:line, as for any run');
  assert.equal((await get('/apis/batch/v1/namespaces/default/jobs')).items.length, 0, 'no job was created');
});

test('Ctrl-C on a profile coordinator before the shards start: the Job goes, and cleanup still undoes the setup', { timeout: 30_000 }, async () => {
  const dir = join(tmp, 'interrupted');
  const file = writeProfile(dir, 2);
  const out = join(tmp, 'interrupted.json');
  const r = await cli(['run', file, '--shards', '2', '--image', 'racerig:test', '--kubeconfig', kc, '--namespace', 'default', '-w', '1', '--start-delay', '20s', '-o', out], async (ctx) => {
    const until = Date.now() + 15_000;
    while (!/racerig: job default\/racerig-/.test(ctx.err()) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    assert.equal((await fetch(`${mockUrl}/api/v1/namespaces/racerig-pshards/configmaps/settings`)).status, 200, 'setup ran before the Job');
    ctx.signals.emit('SIGINT');
  });
  assert.equal(r.code, ExitCode.Interrupted, r.err + r.out);
  assert.match(r.err, /no shard reported a result/);
  // A deleted namespace is Terminating until the namespace controller emptied it (asynchronously): wait, bounded.
  const gone = Date.now() + 10_000;
  while ((await fetch(`${mockUrl}/api/v1/namespaces/racerig-pshards`)).status !== 404 && Date.now() < gone) await new Promise((res) => setTimeout(res, 100));
  assert.equal((await fetch(`${mockUrl}/api/v1/namespaces/racerig-pshards`)).status, 404, 'cleanup deleted the namespace it created');
  assert.equal((await fetch(`${mockUrl}/api/v1/namespaces/racerig-pshards/configmaps/settings`)).status, 404, 'and the setup object');
  const until = Date.now() + 10_000;
  while ((await get('/apis/batch/v1/namespaces/default/jobs')).items.length > 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
  assert.equal((await get('/apis/batch/v1/namespaces/default/jobs')).items.length, 0, 'no job left');
});

const PANIC = `panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x50ea3b]

goroutine 1087 [running]:
main.(*spdyFramer).readFrame(0xc000154120)
\t/src/spdy_framing.go:216 +0xb1
main.(*spdyConnection).serve(0xc0002a2ea0)
\t/src/spdy.go:127 +0x55
created by main.newSpdyClientConnection
\t/src/spdy.go:117 +0x36f
`;

test('a profile\'s system under test and observers run once, at the coordinator: one SUT start, one panic finding from a restarted pod, not one per shard', { timeout: 60_000 }, async () => {
  const dir = join(tmp, 'observed');
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  // A controller pod that crashes every 1.5 s; its previous container's log holds a Go panic.
  writeFileSync(
    join(dir, 'manifests', 'ctl.yaml'),
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ctl\n  labels: {app: ctl}\n  annotations:\n    racerig.dev/restart-after-ms: "1500"\n    racerig.dev/previous-log: |\n${PANIC.split('\n').map((l) => `      ${l}`).join('\n')}\nspec:\n  containers: [{name: main, image: busybox}]\n`,
  );
  const file = join(dir, 'observed.yaml');
  writeFileSync(
    file,
    `name: observed
description: distributed run with a SUT and observers
target: {namespace: racerig-observed, createNamespace: true}
setup:
  - file: manifests/ctl.yaml
phases:
  - name: load
    duration: 3s
    components:
      - name: readers
        rate: 20
        scenario:
          - list: {resource: configmaps}
sut:
  command: [${JSON.stringify(process.execPath)}, -e, "console.log('sut ready'); setInterval(() => {}, 1000)"]
  ready: {log: sut ready}
observe:
  - {kind: podLogs, selector: app=ctl}
  - {kind: restarts, selector: app=ctl}
thresholds:
  - count(list configmaps) == 60
`,
  );
  const out = join(tmp, 'observed.json');
  const r = await cli(['run', file, '--shards', '2', '--image', 'racerig:test', '--kubeconfig', kc, '--namespace', 'default', '-w', '1', '--start-delay', '12s', '-o', out]);
  assert.equal(r.code, ExitCode.Ok, r.err + r.out);
  const m = read(out);
  assert.equal(m.partial, false, m.stoppedBy);
  assert.equal(m.operations.find((o) => o.name === 'list configmaps')?.requests, 60, 'the load: 20/s for 3 s over both shards');
  // One system under test, started by the coordinator (a shard would have started a second), its log beside the result.
  assert.equal(m.sut?.starts, 1, JSON.stringify(m.sut));
  assert.match(readFileSync(m.sut!.logFile, 'utf8'), /sut ready/);
  // The observers ran once: the panic in the restarted container's previous log is one finding (counted per restart, by one observer).
  const kinds = new Set((m.findings ?? []).map((f) => f.kind));
  assert.ok(kinds.has('panic') && kinds.has('restart'), JSON.stringify(m.findings?.map((f) => [f.kind, f.count, f.source])));
  const panics = m.findings!.filter((f) => f.kind === 'panic');
  assert.equal(panics.length, 1, 'one signature');
  const restarts = m.findings!.filter((f) => f.kind === 'restart').reduce((a, f) => a + f.count, 0);
  assert.ok(panics[0]!.count <= restarts, `each restart's previous log read once (${panics[0]!.count} panics, ${restarts} restarts), not once per shard`);
  assert.match(panics[0]!.signature, /main\.\(\*spdyFramer\)\.readFrame/);
  assert.ok(m.observations && Object.keys(m.observations).length > 0, 'the observers\' data');
});

/**
 * The coordinator end to end, without a real cluster: `run <loopback url> --shards 3 --image racerig:test`
 * against a real `racerig mock --run-image racerig:test=<node bin/racerig>` child process, whose Job
 * controller and process runner run the three shards as local racerig processes. The merged count is
 * the target server's own; the merged result equals `racerig merge` of the shards' last lines; Ctrl-C
 * leaves no Job, pod or process behind and still writes the merged partial result.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killShardWhenRunning, runCli, shardProcesses as listShards, startRunImageMock, type RunImageMock } from '../fixtures/run-image-mock.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startCountingServer, type TestServer } from '../fixtures/servers.js';
import { parseNdjsonResult } from '../../src/distributed/progress.js';
import type { RunResult } from '../../src/results/model.js';

const tmp = mkdtempSync(join(tmpdir(), 'racerig-coord-'));
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as RunResult;
let server: TestServer;
let mock: RunImageMock;
let mockUrl = '';
let kc = '';

before(async () => {
  server = await startCountingServer();
  mock = await startRunImageMock(tmp);
  mockUrl = mock.url;
  kc = mock.kubeconfig;
});

after(async () => {
  await mock.stop();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const cli = (args: string[], whileRunning?: Parameters<typeof runCli>[2]) => runCli(tmp, args, whileRunning);

const get = async (path: string) => (await fetch(mockUrl + path)).json() as Promise<any>;
const shardProcesses = (port: number) => listShards(`127.0.0.1:${port}/`);

// --start-delay 10s: a shard ready after its 2 s window would drop its arrivals (a helper's run saw 304 of 600
// while a build shared the cores; profile shards were 4.8 s late with 5 s).
test('3 shards as an Indexed Job: the merged count is the server\'s, and equals racerig merge of the shards\' last lines', { timeout: 50_000 }, async () => {
  const before = server.total();
  const out = join(tmp, 'merged.json');
  const r = await cli(['run', `${server.url}/x`, '--shards', '3', '--image', 'racerig:test', '--kubeconfig', kc, '--namespace', 'default', '--keep', '-r', '300', '-d', '2s', '-c', '3', '-w', '1', '--start-delay', '10s', '-o', out]);
  assert.equal(r.code, ExitCode.Ok, r.err + r.out);
  assert.match(r.err, /shards \d\/3 running · [\d,]+ requests/, 'a merged live line');
  const m = read(out);
  assert.equal(m.partial, false, m.stoppedBy);
  assert.equal(m.warnings, undefined, 'no clock warning');
  assert.equal(m.totals.requests, server.total() - before, "the merged count is the target server's own");
  assert.ok(Math.abs(m.totals.requests - 600) <= 3, `300/s for 2 s in all: ${m.totals.requests}`);
  assert.equal(m.shards!.length, 3);
  const pods = (await get('/api/v1/namespaces/default/pods?labelSelector=racerig.io%2Frun')).items as any[];
  for (const s of m.shards!) {
    const pod = pods.find((p) => p.metadata.name === s.pod);
    assert.ok(pod, `shard ${s.index} names its pod ${s.pod}`);
    assert.equal(pod.metadata.annotations['batch.kubernetes.io/job-completion-index'], String(s.index));
    assert.equal(s.node, pod.spec.nodeName);
    // One machine, one clock: the estimate is minus the log stream's fastest transit, a few ms.
    assert.ok(s.clockOffsetMs !== undefined && s.clockOffsetMs <= 0.5 && s.clockOffsetMs > -250, `shard ${s.index}'s clock offset ${s.clockOffsetMs}`);
  }
  // --keep: the pods' logs are still there; their last lines merged offline give the same result.
  const files: string[] = [];
  for (const s of m.shards!) {
    const log = await (await fetch(`${mockUrl}/api/v1/namespaces/default/pods/${s.pod}/log`)).text();
    const res = parseNdjsonResult(log);
    assert.ok(res, `shard ${s.index} ended its log with its result`);
    const f = join(tmp, `shard-${s.index}.json`);
    writeFileSync(f, JSON.stringify(res));
    files.push(f);
  }
  const offline = join(tmp, 'offline.json');
  const mr = await cli(['merge', ...files, '-o', offline, '-q']);
  assert.equal(mr.code, ExitCode.Ok, mr.err);
  const o = read(offline);
  assert.deepEqual(o.totals, m.totals);
  assert.deepEqual(o.operations, m.operations);
  assert.deepEqual(o.timeSeries, m.timeSeries);
  assert.deepEqual(o.shards!.map((s) => [s.index, s.requests, s.errors]), m.shards!.map((s) => [s.index, s.requests, s.errors]));
  const jobs = (await get('/apis/batch/v1/namespaces/default/jobs')).items as any[];
  assert.equal(jobs.length, 1, 'the job was kept');
  assert.equal(jobs[0].status.succeeded, 3);
  await fetch(`${mockUrl}/apis/batch/v1/namespaces/default/jobs/${jobs[0].metadata.name}`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ propagationPolicy: 'Foreground' }) });
  await fetch(`${mockUrl}/api/v1/namespaces/default/configmaps/${jobs[0].metadata.name}`, { method: 'DELETE' });
});

test('Ctrl-C deletes the Job, leaves no pod or process, and writes the merged partial result', { timeout: 40_000 }, async () => {
  const out = join(tmp, 'interrupted.json');
  const port = Number(new URL(server.url).port);
  let running: string[] = [];
  const r = await cli(['run', `${server.url}/y`, '--shards', '3', '--image', 'racerig:test', '--kubeconfig', kc, '-r', '300', '-d', '30s', '-c', '3', '-w', '1', '--start-delay', '5s', '-o', out], async (ctx) => {
    const until = Date.now() + 25_000;
    while (!/shards 3\/3 running · [1-9]/.test(ctx.err()) && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
    running = shardProcesses(port);
    ctx.signals.emit('SIGINT');
  });
  assert.equal(running.length, 3, `three shard processes ran: ${running.join('\n')}`);
  assert.equal(r.code, ExitCode.Interrupted, r.err);
  const m = read(out);
  assert.equal(m.partial, true);
  assert.match(m.stoppedBy ?? '', /^interrupted/);
  assert.ok(m.totals.requests > 0);
  assert.equal((await get('/apis/batch/v1/namespaces/default/jobs')).items.length, 0, 'no job left');
  assert.equal((await get('/api/v1/namespaces/default/configmaps?labelSelector=racerig.io%2Frun')).items.length, 0, 'no configmap left');
  const until = Date.now() + 10_000;
  while (((await get('/api/v1/namespaces/default/pods')).items.length > 0 || shardProcesses(port).length > 0) && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
  assert.equal((await get('/api/v1/namespaces/default/pods')).items.length, 0, 'no pod left');
  assert.deepEqual(shardProcesses(port), [], 'no shard process left');
});

test('a shard killed mid-run: the others run to the end, the merged result is partial naming it and why, nothing is left behind', { timeout: 40_000 }, async () => {
  const out = join(tmp, 'killed.json');
  const port = Number(new URL(server.url).port);
  const before = server.total();
  let killed = '';
  const r = await cli(['run', `${server.url}/z`, '--shards', '3', '--image', 'racerig:test', '--kubeconfig', kc, '-r', '300', '-d', '5s', '-c', '3', '-w', '1', '--start-delay', '5s', '-o', out], async (ctx) => {
    killed = await killShardWhenRunning(ctx, /shards 3\/3 running · [1-9]/, () => shardProcesses(port), '--shard 1/3', 25_000);
  });
  assert.ok(killed);
  assert.equal(r.code, ExitCode.WorkerFailed, r.err + r.out);
  const m = read(out);
  assert.equal(m.partial, true);
  assert.match(m.stoppedBy ?? '', /shard 1 \(pod racerig-[0-9a-f]+-1-\w+\): pod failed.*exit code 137/, m.stoppedBy);
  assert.doesNotMatch(m.stoppedBy ?? '', /shard [02]/, 'only shard 1 is named');
  assert.deepEqual(m.shards!.map((s) => s.index), [0, 2], 'the other shards reported');
  for (const s of m.shards!) {
    assert.equal(s.partial, false, `shard ${s.index} ran to its end`);
    assert.ok(Math.abs(s.requests - 500) <= 2, `shard ${s.index}: 100/s for 5 s: ${s.requests}`);
  }
  assert.equal(m.totals.requests, m.shards![0]!.requests + m.shards![1]!.requests);
  const sent = server.total() - before;
  assert.ok(sent > m.totals.requests && sent < m.totals.requests + 500, `the server saw the two shards' ${m.totals.requests} and part of shard 1's: ${sent}`);
  assert.equal((await get('/api/v1/namespaces/default/configmaps?labelSelector=racerig.io%2Frun')).items.length, 0, 'no configmap left');
  // Foreground deletion: the Job goes once its pods are gone.
  const until = Date.now() + 10_000;
  while (((await get('/apis/batch/v1/namespaces/default/jobs')).items.length > 0 || (await get('/api/v1/namespaces/default/pods')).items.length > 0 || shardProcesses(port).length > 0) && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
  assert.equal((await get('/apis/batch/v1/namespaces/default/jobs')).items.length, 0, 'no job left');
  assert.equal((await get('/api/v1/namespaces/default/pods')).items.length, 0, 'no pod left');
  assert.deepEqual(shardProcesses(port), [], 'no shard process left');
});

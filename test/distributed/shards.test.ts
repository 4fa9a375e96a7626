import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startCountingServer } from '../fixtures/servers.js';
import { startServerThread } from '../fixtures/server-thread.js';
import { decodeHistogram, newHistogram } from '../../src/metrics/histogram.js';
import { parseNdjsonResult } from '../../src/distributed/progress.js';
import type { RunResult } from '../../src/results/model.js';

// The compiled test lives at <root>/<dist>/test/distributed/: the repository root is three levels up.
const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../../..');
const distDir = resolve(here, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'racerig-shards-'));
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as RunResult;

async function cli(args: string[]) {
  const ctx = captureContext({ cwd: tmp });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

test('racerig merge of two real runs: totals are the server\'s count, the histograms hold every response', async () => {
  const server = await startCountingServer();
  try {
    const files = ['a.json', 'b.json'].map((f) => join(tmp, f));
    for (const [i, out] of files.entries()) {
      const r = await cli(['run', `${server.url}/m`, '-n', String(400 + 100 * i), '-c', '4', '-w', '1', '-q', '-o', out]);
      assert.equal(r.code, ExitCode.Ok, r.err);
    }
    const merged = join(tmp, 'merged.json');
    const r = await cli(['merge', ...files, '-o', merged]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    assert.match(r.out, /merged 2 results: .*merged\.json/);
    assert.match(r.out, /shard +requests +errors +dropped/, 'the summary lists the shards');
    const m = read(merged);
    const [a, b] = files.map(read);
    assert.equal(m.totals.requests, 900);
    assert.equal(server.total(), 900);
    assert.equal(m.operations.length, 1);
    assert.equal(m.operations[0]!.status['200'], 900);
    assert.equal(decodeHistogram(m.operations[0]!.latencyUs.hdr).totalCount, 900);
    const all = newHistogram();
    all.add(decodeHistogram(a!.operations[0]!.latencyUs.hdr));
    all.add(decodeHistogram(b!.operations[0]!.latencyUs.hdr));
    assert.equal(m.operations[0]!.latencyUs.p99, all.getValueAtPercentile(99));
    assert.equal(m.timeSeries.reduce((s, p) => s + p.requests, 0), 900, 'the merged time series adds up to the total');
    assert.deepEqual(m.shards!.map((s) => [s.index, s.requests]), [[0, 400], [1, 500]]);
    assert.equal(m.partial, false);
    // Not one run's shards: a result of another target is refused.
    const other = { ...a!, target: { ...a!.target, url: 'http://127.0.0.1:9/' } };
    writeFileSync(join(tmp, 'other.json'), JSON.stringify(other));
    const bad = await cli(['merge', files[0]!, join(tmp, 'other.json'), '-o', join(tmp, 'bad.json')]);
    assert.equal(bad.code, ExitCode.Usage);
    assert.match(bad.err, /not shards of one run[\s\S]*--force/);
  } finally {
    await server.close();
  }
});

test('3 shard processes at -r R with one --start-at: the server counts R·d in all, and their merge has the expected totals', async () => {
  const server = await startServerThread();
  const rate = 300;
  const seconds = 3;
  try {
    // Time enough for three processes to start on a loaded machine; a late one would still keep the schedule.
    const startAt = Date.now() + 8000;
    const shards = await Promise.all(
      [0, 1, 2].map((i) => runShard(['run', `${server.url}/s`, '-r', String(rate), '-d', `${seconds}s`, '-c', '3', '-w', '1', '--shard', `${i}/3`, '--start-at', String(startAt), '--progress', 'ndjson', '-o', `shard-${i}.json`])),
    );
    const late = shards.map((s) => parseNdjsonResult(s.out)?.shard?.startLatenessMs);
    shards.forEach((s, i) => assert.equal(s.code, 0, `shard ${i}: ${s.err} (ready ${late[i]} ms after --start-at)`));
    const total = await server.total();
    assert.ok(Math.abs(total - rate * seconds) <= 3, `the server counted ${total}, expected ${rate * seconds} ±1 per shard`);
    const files = shards.map((_, i) => join(tmp, `shard-${i}.json`));
    shards.forEach((s, i) => {
      assert.equal(s.code, 0, s.err);
      const lines = s.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; shard?: number; requests?: number });
      const progress = lines.filter((l) => l.type === 'progress');
      assert.ok(progress.length >= seconds, `shard ${i}: ${progress.length} progress lines`);
      assert.ok(progress.every((l) => l.shard === i));
      assert.equal(lines.at(-1)!.type, 'result', 'the result is the last line');
      const fromLog = parseNdjsonResult(s.out)!;
      assert.deepEqual(fromLog, read(files[i]!), 'the result line is the result file');
      assert.equal(fromLog.totals.requests, (rate * seconds) / 3);
      assert.equal(fromLog.shard!.index, i);
      assert.equal(fromLog.shard!.count, 3);
      assert.equal(fromLog.shard!.startAt, new Date(startAt).toISOString());
      assert.equal(fromLog.startedAt, new Date(startAt).toISOString(), 'the run clock starts at --start-at');
      assert.equal(typeof fromLog.shard!.startLatenessMs, 'number');
    });
    const merged = join(tmp, 'shards-merged.json');
    const r = await cli(['merge', ...files, '-o', merged, '-q']);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const m = read(merged);
    assert.equal(m.totals.requests, total);
    assert.equal(m.operations[0]!.latencyUs.count, total);
    assert.equal(m.durationSeconds, seconds);
    assert.equal(m.totals.achievedRate, rate);
    assert.equal(m.partial, false);
    assert.deepEqual(m.shards!.map((s) => s.index), [0, 1, 2]);
  } finally {
    await server.close();
  }
});

/** runShard runs bin/racerig in `tmp` and collects its output. */
function runShard(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [join(root, 'bin/racerig'), ...args], { cwd: tmp, env: { ...process.env, RACERIG_DIST: distDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((r) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      r({ code, out, err });
    }),
  );
}

test('closed model: --shard i/N splits connections and --requests', async () => {
  const server = await startCountingServer();
  try {
    for (const i of [0, 1, 2]) {
      const out = join(tmp, `closed-${i}.json`);
      const r = await cli(['run', `${server.url}/c`, '-n', '301', '-c', '7', '-w', '2', '--shard', `${i}/3`, '-q', '-o', out]);
      assert.equal(r.code, ExitCode.Ok, r.err);
      const res = read(out);
      assert.equal(res.totals.requests, i === 0 ? 101 : 100);
      assert.equal((res.config as { connections: number }).connections, i === 0 ? 3 : 2);
    }
    assert.equal(server.total(), 301);
  } finally {
    await server.close();
  }
});

test('shard flags are validated for URL and profile runs', async () => {
  const r = await cli(['run', 'http://127.0.0.1:9/', '--shard', '3/3', '--start-at', '1700000000', '--progress', 'xml', '-c', '2']);
  assert.equal(r.code, ExitCode.Usage);
  assert.match(r.err, /--shard must be i\/N/);
  assert.match(r.err, /--start-at 1700000000 .* more than a day ago/);
  assert.match(r.err, /--progress must be ndjson/);
  const few = await cli(['run', 'http://127.0.0.1:9/', '--shard', '0/4', '-c', '3']);
  assert.match(few.err, /--connections \(3\) must be at least the number of shards \(4\)/);
  // A profile takes the same flags, validated the same way; a shard of several cannot check integrity through a kubeconfig nor start a SUT.
  const profile = await cli(['run', 'smoke', '--shard', '2/2', '--progress', 'xml']);
  assert.equal(profile.code, ExitCode.Usage);
  assert.match(profile.err, /--shard must be i\/N/);
  assert.match(profile.err, /--progress must be ndjson/);
  const alone = await cli(['run', 'smoke', '--shard', '0/2', '--integrity', '--sut', 'true', '--run-id', 'Not_A_Label']);
  assert.equal(alone.code, ExitCode.Usage);
  assert.match(alone.err, /--integrity cannot be combined with --shard/);
  assert.match(alone.err, /--sut cannot be combined with --shard/);
  assert.match(alone.err, /--run-id must be/);
});

test('a profile run as shard 1 of 2 on the embedded mock: half the arrivals, odd iteration numbers, NDJSON progress and result, no thresholds of its own', async () => {
  const file = join(tmp, 'shard-profile.yaml');
  writeFileSync(
    file,
    `name: shard-profile
description: one shard of a profile
phases:
  - name: creates
    duration: 1s
    components:
      - name: creators
        rate: 20
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: "cm-{{iteration}}"}}
          - get: {resource: configmaps, name: "cm-{{iteration}}"}
thresholds:
  - count(create configmaps) == 20
`,
  );
  // No --start-at here (test/distributed/profile-shards.test.ts has it): the embedded mock's start-up on a loaded machine would eat the window.
  const r = await cli(['run', file, '--shard', '1/2', '--progress', 'ndjson', '--run-id', 'shardtest', '-w', '1', '-o', join(tmp, 'shard-profile.json'), '--log', join(tmp, 'shard-profile.log')]);
  assert.equal(r.code, ExitCode.Ok, r.err + r.out);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; shard?: number });
  assert.ok(lines.length >= 2, r.out);
  assert.ok(lines.slice(0, -1).every((l) => l.type === 'progress' && l.shard === 1), 'progress lines of shard 1, nothing else on stdout');
  const res = parseNdjsonResult(r.out)!;
  assert.deepEqual(res, read(join(tmp, 'shard-profile.json')), 'the last line is the result file');
  assert.deepEqual([res.shard?.index, res.shard?.count], [1, 2]);
  // Arrivals 1, 3, … 19 of the 20: iterations numbered 1, 3, … (every get found the object its create made).
  assert.equal(res.operations.find((o) => o.name === 'create configmaps')?.requests, 10);
  assert.deepEqual(res.operations.find((o) => o.name === 'get configmaps')?.status, { '200': 10 });
  const names = readFileSync(join(tmp, 'shard-profile.log'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { method: string; path: string })).filter((l) => l.method === 'GET').map((l) => Number(/cm-(\d+)$/.exec(l.path)?.[1]));
  assert.deepEqual(names.sort((a, b) => a - b), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  assert.equal(res.config.runId, 'shardtest');
  assert.equal(res.thresholds, undefined, "a shard's thresholds are its coordinator's, on the merged result");
});

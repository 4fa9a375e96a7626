// Issue 22: one reproduction per defect (numbers are the issue's items), each bounded in time, against
// servers on loopback or file cases, asserting the documented exit code, a valid result and counts that add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { exitCodeOf } from '../../src/cli/execute-run.js';
import { startCountingServer, closedPort } from '../fixtures/servers.js';
import { startFaultyServer } from '../fixtures/faulty-servers.js';
import { checkCounts } from '../fixtures/result-checks.js';
import { pinnedLookup, useResolver } from '../../src/http/resolve-target.js';
import { startMockServer } from '../../src/mock/server.js';
import type { RunResult } from '../../src/results/model.js';

const tmp = mkdtempSync(join(tmpdir(), 'racerig-rel-'));
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as RunResult;
/** Worker start-up (warm-up) and writing, on a shared machine. */
const START_UP_MS = 6000;

async function run(args: string[], ctx = captureContext({ cwd: tmp })) {
  const started = performance.now();
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err(), ms: performance.now() - started, ctx };
}

/** waitFor polls `cond` every 10 ms until it holds or `ms` pass. */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('1: -o onto a device or special file is refused before any load (exit 2), the device untouched', async () => {
  const server = await startCountingServer();
  try {
    const r = await run(['run', `${server.url}/`, '-d', '1s', '-q', '-o', '/dev/null']);
    assert.equal(r.code, ExitCode.Usage, r.err);
    assert.match(r.err, /\/dev\/null is a character device; racerig writes only regular files/);
    assert.ok(statSync('/dev/null').isCharacterDevice());
    assert.equal(server.total(), 0, 'no load was sent');
  } finally {
    await server.close();
  }
});

test('2, 10, 13: unwritable -o, --hgrm, --log (a folder, under /proc, under a file) are refused before load with every problem listed (exit 2)', async () => {
  const server = await startCountingServer();
  const file = join(tmp, 'plain-file');
  writeFileSync(file, 'x');
  try {
    const r = await run(['run', `${server.url}/`, '-d', '1s', '-q', '-o', tmp, '--hgrm', '/proc/racerig/x/out.hgrm', '--log', join(file, 'sub', 'log.ndjson')]);
    assert.equal(r.code, ExitCode.Usage, r.err);
    assert.match(r.err, /-o, --out .* is a directory/);
    assert.match(r.err, /--hgrm \/proc\/racerig\/x\/out.hgrm is on a kernel filesystem/);
    assert.match(r.err, /--log .*plain-file\/sub\/log.ndjson: a parent of it is not a folder/);
    assert.doesNotMatch(r.err, /internal error|at .*\.js:\d+/);
    assert.ok(r.ms < 2000, `took ${r.ms} ms`);
    assert.equal(server.total(), 0, 'no load was sent');
    const html = await run(['report', '--html', '/proc/self/racerig.html', 'x.json']);
    assert.equal(html.code, ExitCode.Usage, html.err);
    assert.match(html.err, /--html .* kernel filesystem/);
  } finally {
    await server.close();
  }
});

test('2: when writing the result still fails at the end, it is written to a fallback place, which is named (exit 13)', async () => {
  const server = await startCountingServer();
  const dir = join(tmp, 'vanishing');
  mkdirSync(dir);
  try {
    const out = join(dir, 'sub', 'result.json');
    const running = run(['run', `${server.url}/`, '-r', '100', '-d', '1s', '-c', '2', '-w', '1', '-q', '-o', out]);
    await waitFor(() => server.total() > 0, 15_000, 'load');
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'now a file'); // the result's folder can no longer be made
    const r = await running;
    assert.equal(r.code, ExitCode.OutputFallback, r.err);
    const m = /written to (\S+) instead/.exec(r.err);
    assert.ok(m, r.err);
    const res = read(m[1]!);
    checkCounts(res);
    assert.equal(res.totals.requests, server.total());
  } finally {
    await server.close();
  }
});

test('3, 4: SIGHUP stops a run like SIGTERM and writes the partial result (exit 130); a third signal exits, saying what it left', async () => {
  const server = await startCountingServer({ stallMs: 30_000, periodMs: 60_000 });
  try {
    const out = join(tmp, 'hup.json');
    const ctx = captureContext({ cwd: tmp });
    const running = run(['run', `${server.url}/`, '-r', '50', '-d', '30s', '-c', '4', '-w', '1', '-o', out], ctx);
    await waitFor(() => server.total() >= 4, 15_000, 'load');
    const at = performance.now();
    ctx.signals.emit('SIGHUP');
    const r = await running;
    assert.ok(performance.now() - at < 1000 + 1500 + 500, 'the stop waited at most a second, then aborted');
    assert.equal(r.code, ExitCode.Interrupted, r.err);
    assert.match(r.err, /SIGHUP: stopping/);
    const res = read(out);
    assert.equal(res.partial, true);
    checkCounts(res);
    // 5: the held requests were aborted and counted as such, never dropped and never as successes.
    assert.equal(res.operations[0]!.errorKinds.aborted, server.total(), JSON.stringify(res.operations[0]));
    assert.equal(res.totals.requests, server.total());
    // Later signals still find a listener while the run lives; a third one exits at once.
    const ctx2 = captureContext({ cwd: tmp });
    const running2 = run(['run', `${server.url}/`, '-r', '50', '-d', '30s', '-c', '2', '-w', '1', '-q', '-o', join(tmp, 'three.json')], ctx2);
    const before = server.total();
    await waitFor(() => server.total() > before, 15_000, 'load');
    ctx2.signals.emit('SIGINT');
    ctx2.signals.emit('SIGTERM');
    ctx2.signals.emit('SIGINT');
    assert.equal(ctx2.exited(), 130);
    assert.match(ctx2.err(), /SIGINT: exiting now; no result file was written/);
    assert.equal((await running2).code, ExitCode.Interrupted);
  } finally {
    await server.close();
  }
});

test('5, 7: Ctrl-C against a trickling server ends the run within a second; requests in flight count as aborted', async () => {
  for (const client of ['fast', 'undici']) {
    const server = await startFaultyServer('trickle');
    try {
      const out = join(tmp, `trickle-int-${client}.json`);
      const ctx = captureContext({ cwd: tmp });
      const running = run(['run', `${server.url}/`, '-d', '60s', '-c', '3', '-w', '1', '-q', '--http-client', client, '-o', out], ctx);
      await waitFor(() => server.requests() >= 3, 15_000, 'requests');
      const at = performance.now();
      ctx.signals.emit('SIGINT');
      const r = await running;
      assert.ok(performance.now() - at < 1000 + 1000, `ended ${Math.round(performance.now() - at)} ms after Ctrl-C`);
      assert.equal(r.code, ExitCode.Interrupted, r.err);
      const res = read(out);
      checkCounts(res);
      assert.equal(res.totals.requests, server.requests(), `${client}: every request the server received is counted`);
      assert.equal(res.operations[0]!.errorKinds.aborted, server.requests());
      assert.deepEqual(res.operations[0]!.status, {});
    } finally {
      await server.close();
    }
  }
});

test('6: a closed-model run whose requests all fail at once ends at its duration; control characters in headers are refused (exit 2)', async () => {
  const port = await closedPort();
  const out = join(tmp, 'refused.json');
  const r = await run(['run', `http://127.0.0.1:${port}/`, '-d', '1s', '-c', '4', '-w', '1', '-q', '-o', out]);
  assert.equal(r.code, ExitCode.TargetFailed, r.err);
  assert.ok(r.ms < 1000 + START_UP_MS, `took ${r.ms} ms`);
  const res = read(out);
  checkCounts(res);
  assert.ok(res.operations[0]!.errorKinds.refused! > 0);
  const bad = await run(['run', `http://127.0.0.1:${port}/`, '-H', 'x-a: 1\r\nx-b: 2', '-m', 'CONNECT', '-q']);
  assert.equal(bad.code, ExitCode.Usage);
  assert.match(bad.err, /control character/);
  assert.match(bad.err, /CONNECT/);
});

test('9: -r 1e9 ends on time, arrivals past --max-lag dropped in bulk, and the counts add up', async () => {
  const server = await startCountingServer();
  try {
    const out = join(tmp, 'huge-rate.json');
    const r = await run(['run', `${server.url}/`, '-r', '1e9', '-d', '1s', '--max-lag', '100ms', '-c', '4', '-w', '1', '-q', '-o', out]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    assert.ok(r.ms < 1000 + START_UP_MS, `took ${r.ms} ms`);
    const res = read(out);
    checkCounts(res);
    assert.equal(res.totals.requests, server.total());
    assert.ok(res.totals.dropped > 1e8, `dropped ${res.totals.dropped}`);
    assert.ok(res.totals.requests + res.totals.dropped <= 1e9 + 1);
  } finally {
    await server.close();
  }
});

test('11: -w is bounded (4 per core) for URL and profile runs, with a clear error (exit 2)', async () => {
  const url = await run(['run', 'http://127.0.0.1:9/', '-w', '100000']);
  assert.equal(url.code, ExitCode.Usage);
  assert.match(url.err, /--workers must be at most \d+ \(4 per available core/);
  const profile = await run(['run', 'smoke', '-w', '100000']);
  assert.equal(profile.code, ExitCode.Usage);
  assert.match(profile.err, /--workers must be at most/);
});

test('12: a YAML bomb in a profile is a problem with file:line (exit 3), not a stack trace', async () => {
  const file = join(tmp, 'bomb.yaml');
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 8; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  writeFileSync(file, lines.join('\n') + '\nname: bomb\n');
  const r = await run(['run', file, '-q']);
  assert.equal(r.code, ExitCode.ProfileInvalid, r.err);
  assert.match(r.err, /bomb\.yaml:2:\d+: .*alias/i);
  assert.doesNotMatch(r.err, /internal error|at .*\.js:\d+/);
});

test('14: a corrupt hdr field or a timeSeries that is not an array: compare and report name the file and the field (exit 2)', async () => {
  const server = await startCountingServer();
  try {
    const good = join(tmp, 'good.json');
    const r = await run(['run', `${server.url}/`, '-n', '20', '-c', '1', '-w', '1', '-q', '-o', good]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const doc = JSON.parse(readFileSync(good, 'utf8'));
    const badHdr = join(tmp, 'bad-hdr.json');
    writeFileSync(badHdr, JSON.stringify({ ...doc, operations: [{ ...doc.operations[0], latencyUs: { ...doc.operations[0].latencyUs, hdr: 'bm90IGEgaGlzdG9ncmFt' } }] }));
    const badSeries = join(tmp, 'bad-series.json');
    writeFileSync(badSeries, JSON.stringify({ ...doc, timeSeries: 'nope' }));
    for (const args of [['report', '--hgrm', '--', badHdr], ['report', '--html', join(tmp, 'r.html'), badHdr], ['compare', good, badHdr]]) {
      const x = await run(args);
      assert.equal(x.code, ExitCode.Usage, `${args.join(' ')}: ${x.err}`);
      assert.match(x.err, /bad-hdr\.json: [\s\S]*operations\[0\]\.latencyUs\.hdr is not a compressed HdrHistogram/);
      assert.doesNotMatch(x.err, /internal error/);
    }
    const y = await run(['report', '--html', join(tmp, 'r.html'), badSeries]);
    assert.equal(y.code, ExitCode.Usage, y.err);
    assert.match(y.err, /bad-series\.json: [\s\S]*timeSeries is not an array/);
  } finally {
    await server.close();
  }
});

test('15: a *.localhost name is resolved and every address checked; load goes only to the checked address', async () => {
  // The server listens on 127.0.0.3 only: the system resolver's answer for the name (127.0.0.1 or none) would miss it.
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.3', r));
  const port = (server.address() as AddressInfo).port;
  const asked: string[] = [];
  const restore = useResolver(async (host) => {
    asked.push(host);
    if (host === 'good.localhost') return [{ address: '127.0.0.3', family: 4 }];
    if (host === 'mixed.localhost') return [{ address: '127.0.0.1', family: 4 }, { address: '10.11.12.13', family: 4 }];
    return [{ address: '192.168.77.1', family: 4 }];
  });
  try {
    const evil = await run(['run', `http://evil.localhost:${port}/`, '-n', '5', '-q']);
    assert.equal(evil.code, ExitCode.Usage, evil.err);
    assert.match(evil.err, /evil\.localhost resolves to 192\.168\.77\.1, not a loopback address/);
    const mixed = await run(['run', `http://mixed.localhost:${port}/`, '-n', '5', '-q']);
    assert.equal(mixed.code, ExitCode.Usage, mixed.err);
    assert.match(mixed.err, /10\.11\.12\.13/);
    const out = join(tmp, 'good-localhost.json');
    const good = await run(['run', `http://good.localhost:${port}/`, '-n', '20', '-c', '2', '-w', '1', '-q', '-o', out]);
    assert.equal(good.code, ExitCode.Ok, good.err);
    assert.equal(read(out).operations[0]!.status['200'], 20, 'every request reached the checked address');
    assert.deepEqual(asked, ['evil.localhost', 'mixed.localhost', 'good.localhost']);
    // The connector's lookup answers only from the checked addresses.
    const looked: string[] = [];
    const lookup = pinnedLookup([{ address: '127.0.0.3', family: 4 }], (h) => looked.push(h));
    const answer = await new Promise<unknown>((r) => (lookup as unknown as (h: string, o: object, cb: (...a: unknown[]) => void) => void)('good.localhost', { all: true }, (_e, a) => r(a)));
    assert.deepEqual(answer, [{ address: '127.0.0.3', family: 4 }]);
    assert.deepEqual(looked, ['good.localhost']);
  } finally {
    restore();
    await new Promise((r) => server.close(r));
  }
});

test('17: a worker failure and a run that sent nothing get their own exit codes (11, 12)', () => {
  const ctx = captureContext();
  const base = { partial: false, totals: { requests: 10, errors: 0, dropped: 0, achievedRate: 1 }, operations: [{ status: { 200: 10 }, errorKinds: {} }] } as unknown as RunResult;
  assert.equal(exitCodeOf(base, false, ctx), ExitCode.Ok);
  assert.equal(exitCodeOf({ ...base, partial: true, stoppedBy: 'worker failure' }, false, ctx), ExitCode.WorkerFailed);
  assert.equal(exitCodeOf({ ...base, totals: { requests: 0, errors: 0, dropped: 50, achievedRate: 0 }, operations: [{ status: {}, errorKinds: {} }] } as unknown as RunResult, false, ctx), ExitCode.NothingSent);
  assert.equal(exitCodeOf(base, true, ctx), ExitCode.OutputFallback);
  assert.match(ctx.err(), /a worker thread failed/);
  assert.match(ctx.err(), /sent no request \(50 planned arrivals were dropped\)/);
});

test('18, 19: --timeout below the 10 ms resolution and empty values are refused, every problem listed (exit 2)', async () => {
  const short = await run(['run', 'http://127.0.0.1:9/', '--timeout', '1us']);
  assert.equal(short.code, ExitCode.Usage);
  assert.match(short.err, /--timeout must be at least 10ms/);
  const empty = await run(['run', 'http://127.0.0.1:9/', '--log-sample', '', '-o', '', '--hgrm', '', '--log', '', '--name', '']);
  assert.equal(empty.code, ExitCode.Usage);
  for (const flag of ['--log-sample', '--out', '--hgrm', '--log', '--name']) assert.match(empty.err, new RegExp(`${flag} must not be empty`));
});

test('20: the achieved rate is requests over the planned duration', async () => {
  const server = await startCountingServer();
  try {
    const out = join(tmp, 'slow-rate.json');
    const r = await run(['run', `${server.url}/`, '-r', '0.5', '-d', '1s', '-c', '1', '-w', '1', '-q', '-o', out]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const res = read(out);
    assert.equal(res.totals.requests, 1);
    assert.equal(res.durationSeconds, 1);
    assert.equal(res.totals.achievedRate, 1);
    assert.ok(res.elapsedSeconds! < 1);
  } finally {
    await server.close();
  }
});

test('22: the mock answers JSON nested past 10,000 levels with 400 BadRequest, and keeps serving', async () => {
  const mock = await startMockServer({});
  try {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const res = await fetch(`${mock.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    assert.equal(res.status, 400, await res.clone().text());
    assert.match(await res.text(), /nesting depth/);
    const patch = await fetch(`${mock.url}/api/v1/namespaces/default/configmaps/x`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: deep });
    assert.equal(patch.status, 400);
    const ok = await fetch(`${mock.url}/api/v1/namespaces/default/configmaps`);
    assert.equal(ok.status, 200);
  } finally {
    await mock.close();
  }
});

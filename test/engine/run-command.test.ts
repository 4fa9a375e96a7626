import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startCountingServer, closedPort } from '../fixtures/servers.js';
import { startServerThread } from '../fixtures/server-thread.js';
import type { RunResult } from '../../src/results/model.js';
import { decodeHistogram } from '../../src/metrics/histogram.js';
import { startMockServer } from '../../src/mock/server.js';

const tmp = mkdtempSync(join(tmpdir(), 'racerig-run-'));
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as RunResult;

async function run(args: string[]) {
  const ctx = captureContext({ cwd: tmp });
  const code = await main(['run', ...args], ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

test('closed model: requests in the result equal the requests the server counted, to the request (both HTTP clients)', async () => {
  for (const client of ['fast', 'undici']) {
    await closedModelCounts(client);
  }
});

async function closedModelCounts(client: string): Promise<void> {
  const server = await startCountingServer();
  try {
    const out = join(tmp, `closed-${client}.json`);
    const r = await run([`${server.url}/x`, '-n', '3000', '-c', '8', '-w', '2', '-q', '--http-client', client, '-o', out]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const res = read(out);
    assert.equal((res.config as { httpClient?: string }).httpClient, client);
    assert.equal(res.schema, 'racerig/result@1');
    assert.equal(res.totals.requests, 3000);
    assert.equal(server.total(), 3000);
    assert.equal(res.operations[0]!.status['200'], 3000);
    assert.equal(res.operations[0]!.latencyUs.count, 3000);
    assert.equal(res.partial, false);
    assert.equal(decodeHistogram(res.operations[0]!.latencyUs.hdr).totalCount, 3000);
    assert.equal(res.operations[0]!.bytesIn, 3000 * '{"ok":true}'.length);
    assert.equal(res.timeSeries.reduce((a, p) => a + p.requests, 0), 3000, 'the time series adds up to the total');
  } finally {
    await server.close();
  }
}

test('workers open their --connections before the start and send every request over them, plain and TLS', async () => {
  const server = await startCountingServer();
  try {
    const out = join(tmp, 'preconnect.json');
    const r = await run([`${server.url}/p`, '-n', '600', '-c', '6', '-w', '2', '-q', '-o', out]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    assert.equal(read(out).totals.requests, 600);
    assert.equal(server.total(), 600);
    assert.equal(server.connections(), 6, 'one connection per --connections, none opened twice');
    assert.equal(server.connectionsAtFirstRequest(), 6, 'all connected before the first request');
  } finally {
    await server.close();
  }
  // HTTPS with -k against the mock's self-signed TLS: pre-opened sockets complete their handshake.
  const mock = await startMockServer({ tls: true });
  try {
    const out = join(tmp, 'preconnect-tls.json');
    const r = await run([`${mock.url}/api/v1/namespaces`, '-k', '-H', `authorization: Bearer ${mock.auth!.token}`, '-n', '300', '-c', '4', '-w', '2', '-q', '-o', out]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    assert.equal(read(out).operations[0]!.status['200'], 300);
  } finally {
    await mock.close();
  }
});

test('open model: every planned arrival is sent once and the achieved rate is within 1% of --rate', async () => {
  // The server runs on its own thread so that it keeps up whatever the test's main thread does.
  const server = await startServerThread();
  try {
    const out = join(tmp, 'open.json');
    const r = await run([`${server.url}/y`, '-r', '1000', '-d', '3s', '-c', '20', '-w', '2', '-q', '-o', out, '-l', 'build=a', '-l', 'env=test']);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const res = read(out);
    assert.equal(res.totals.requests + res.totals.dropped, 3000);
    assert.equal(res.totals.dropped, 0);
    assert.equal(await server.total(), res.totals.requests);
    assert.ok(Math.abs(res.totals.achievedRate - 1000) / 1000 < 0.01, `achieved ${res.totals.achievedRate}/s`);
    assert.deepEqual(res.labels, { build: 'a', env: 'test' });
    // Start lateness is reported (its precision is a benchmark target, not a unit-test bound).
    assert.ok(res.schedule && res.schedule.lateUs.max >= res.schedule.lateUs.p50, `start lateness ${JSON.stringify(res.schedule)}`);
    assert.ok(res.timeSeries.length >= 3);
    const seriesTotal = res.timeSeries.reduce((a, p) => a + p.requests, 0);
    assert.equal(seriesTotal, res.totals.requests);
  } finally {
    await server.close();
  }
});

test('status codes >= 400 count as errors and transport failures are reported by kind', async () => {
  const server = await startCountingServer();
  try {
    const out = join(tmp, 'status.json');
    const r = await run([`${server.url}/status/503`, '-n', '200', '-c', '4', '-w', '1', '-q', '-o', out]);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const res = read(out);
    assert.deepEqual(res.operations[0]!.status, { '503': 200 });
    // The body is not a metav1 Status: the reason is the one client-go gives the code.
    assert.deepEqual(res.operations[0]!.reasons, { ServiceUnavailable: 200 });
    assert.equal(res.totals.errors, 200);
  } finally {
    await server.close();
  }
  const port = await closedPort();
  const out = join(tmp, 'refused.json');
  const r = await run([`http://127.0.0.1:${port}/`, '-n', '50', '-c', '2', '-w', '1', '-q', '-o', out]);
  assert.equal(r.code, ExitCode.TargetFailed);
  assert.match(r.err, /every request failed/);
  const res = read(out);
  assert.equal(res.totals.requests, 50);
  assert.deepEqual(res.operations[0]!.errorKinds, { refused: 50 });
});

test('invalid flags and URLs exit with the usage code before anything starts, listing every problem', async () => {
  const r = await run(['ftp://127.0.0.1/', '-r', 'fast', '-c', '0', '-d', 'soon', '-H', 'nocolon', '-l', 'x', '--http-client', 'curl', '--gather', '2ms']);
  assert.equal(r.code, ExitCode.Usage);
  for (const want of [/http or https/, /--rate must be a positive number, got "fast"/, /--connections/, /--duration/, /--header/, /--label/, /--http-client must be fast or undici, got "curl"/, /--gather must be a duration from 0 to 1ms.*got "2ms"/]) assert.match(r.err, want);
  const remote = await run(['http://192.0.2.1/', '-n', '1']);
  assert.equal(remote.code, ExitCode.Usage);
  assert.match(remote.err, /not a loopback address.*--allow-remote/);
  // Anything without a scheme names a profile: an unknown one is a profile error (exit 3), not a crash.
  const notUrl = await run(['not-a-profile']);
  assert.equal(notUrl.code, ExitCode.ProfileInvalid);
  assert.match(notUrl.err, /not-a-profile.*profile file not found/);
  const unknown = await run(['http://127.0.0.1/', '--no-such-flag']);
  assert.equal(unknown.code, ExitCode.Usage);
  assert.equal(readdirSync(tmp).filter((f) => f.startsWith('results')).length, 0, 'no result written');
});

test('--hgrm writes the percentile distribution and --log one NDJSON line per request', async () => {
  const server = await startCountingServer();
  try {
    const out = join(tmp, 'hgrm.json');
    const hgrm = join(tmp, 'lat.hgrm');
    const log = join(tmp, 'req.ndjson');
    const r = await run([`${server.url}/z`, '-n', '500', '-c', '4', '-w', '2', '-q', '-o', out, '--hgrm', hgrm, '--log', log, '-m', 'post', '--body', 'hello']);
    assert.equal(r.code, ExitCode.Ok, r.err);
    const text = readFileSync(hgrm, 'utf8');
    assert.match(text, /Value\s+Percentile\s+TotalCount/);
    assert.match(text, /Total count\s*=\s*500\]/);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.length, 500);
    for (const l of lines) {
      const rec = JSON.parse(l) as { method: string; path: string; status: number; worker: number };
      assert.equal(rec.method, 'POST');
      assert.equal(rec.path, '/z');
      assert.equal(rec.status, 200);
    }
    assert.equal(read(out).operations[0]!.bytesOut, 500 * 5);
  } finally {
    await server.close();
  }
});

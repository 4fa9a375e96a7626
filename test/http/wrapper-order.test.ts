/**
 * composeWrappers puts racerig's wrappers in one order whatever the path (load worker, profile
 * worker): metrics next to the client, speaking its raw interface, and logging just outside it, so
 * every logged line carries the outcome metrics counted. Against a real server, with both clients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Dispatcher } from 'undici';
import { H1Client } from '../../src/http/h1/client.js';
import { composeWrappers, roleOf, WRAPPER_ORDER } from '../../src/http/interceptors/compose.js';
import { metricsInterceptor } from '../../src/http/interceptors/metrics.js';
import { loggingInterceptor } from '../../src/http/interceptors/logging.js';
import { rateLimitInterceptor } from '../../src/http/interceptors/rate-limit.js';
import { authInterceptor } from '../../src/http/interceptors/auth.js';
import { retryAfterInterceptor } from '../../src/http/interceptors/retry-after.js';
import { staticCredentials } from '../../src/kube/credentials.js';
import { LogSink } from '../../src/http/log-sink.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { allocateMetrics, createLayout } from '../../src/metrics/layout.js';
import { Snapshot } from '../../src/metrics/snapshot.js';
import { createRunClock, wallMs } from '../../src/engine/clock.js';
import type { RawHandler } from '../../src/http/raw-handler.js';
import type { RigDispatchOptions } from '../../src/http/request-options.js';
import { closedPort, startCountingServer } from '../fixtures/servers.js';

/** Probe is a dispatcher that keeps the handler it is given and answers nothing by itself. */
class Probe extends Dispatcher {
  handler: Dispatcher.DispatchHandler | undefined;
  override dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.handler = handler;
    return true;
  }
}

function wrappers(logPath: string) {
  const layout = createLayout(['GET /a', 'GET /status/404', 'GET /status/503', 'GET refused']);
  const buffer = allocateMetrics(layout);
  const recorder = new MetricsRecorder(layout, buffer);
  const epoch = wallMs();
  const clock = createRunClock(epoch);
  const sink = new LogSink(logPath);
  return {
    layout,
    buffer,
    sink,
    list: () => [metricsInterceptor({ recorder, clock }), loggingInterceptor({ sink, clock, worker: 0, operations: layout.operations, epochWallMs: epoch })],
  };
}

interface Line {
  operation: string;
  status: number;
  error?: string;
  uncorrectedUs: number;
}

function readLines(path: string): Line[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

function send(dispatch: (o: RigDispatchOptions, h: Dispatcher.DispatchHandler) => boolean, opts: RigDispatchOptions): Promise<void> {
  return new Promise((resolve) => {
    dispatch(opts, { onRequestStart() {}, onResponseEnd: () => resolve(), onResponseError: () => resolve() });
  });
}

test('composeWrappers puts metrics next to the client (raw handler, no adapter) and logging outside it, logging the outcome metrics counted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-order-'));
  try {
    const w = wrappers(join(dir, 'log.ndjson'));
    const probe = new Probe();
    const dispatch = composeWrappers(probe, w.list());
    let ended = false;
    dispatch({ method: 'GET', path: '/status/503', operation: 2 }, { onRequestStart() {}, onResponseEnd: () => (ended = true) });
    const h = probe.handler as RawHandler & { onRequestStart?: unknown };
    assert.equal(h.onRequestStart, undefined, 'the client gets a raw handler, not an adapter');
    assert.equal(h.ignoresHeaders, false, 'logging (outside) reads headers, so the metrics handler asks for them');
    assert.equal(h.countsBodyOnly, false, 'and the body chunks, which logging passes on');
    h.onConnect!(() => {});
    h.onHeaders!(503, ['content-length', '0'], () => {}, 'Service Unavailable');
    h.onComplete!([]);
    assert.ok(ended);
    w.sink.close();
    const [line] = readLines(join(dir, 'log.ndjson'));
    const counted = Snapshot.take(w.layout, w.buffer, 0).counters(2);
    assert.deepEqual(counted.status, { '503': 1 });
    assert.equal(line!.status, 503);
    assert.ok(line!.uncorrectedUs >= Snapshot.take(w.layout, w.buffer, 0).uncorrected(2).maxValue, 'logging encloses metrics');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('composeWrappers refuses racerig wrappers out of the one order, and takes the full chain in it', () => {
  const w = wrappers(join(tmpdir(), `racerig-order-${process.pid}.ndjson`));
  const [metrics, logging] = w.list();
  const probe = new Probe();
  assert.throws(() => composeWrappers(probe, [logging!, metrics!]), /wrapper metrics composed after logging/);
  const bucket = { acquire: () => 0 } as unknown as Parameters<typeof rateLimitInterceptor>[0]['bucket'];
  const full = [metrics!, logging!, rateLimitInterceptor({ bucket }), authInterceptor({ credentials: staticCredentials({}) }), retryAfterInterceptor()];
  assert.deepEqual(full.map(roleOf), WRAPPER_ORDER);
  assert.equal(typeof composeWrappers(probe, full), 'function');
  assert.throws(() => composeWrappers(probe, [...full].reverse()), /composed after/);
  w.sink.close();
  rmSync(join(tmpdir(), `racerig-order-${process.pid}.ndjson`), { force: true });
});

test('through composeWrappers, each logged line has the status or error kind metrics counted, on H1Client and undici\'s Client', async () => {
  const server = await startCountingServer();
  const refused = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), 'racerig-order-'));
  try {
    for (const kind of ['h1', 'undici'] as const) {
      const logPath = join(dir, `${kind}.ndjson`);
      const w = wrappers(logPath);
      const make = (origin: string) => (kind === 'h1' ? new H1Client(origin, { pipelining: 2 }) : new Client(origin, { pipelining: 2 }));
      const ok = make(server.url);
      const bad = make(`http://127.0.0.1:${refused}`);
      bad.on('connectionError', () => {});
      const d = composeWrappers(ok, w.list());
      const dBad = composeWrappers(bad, w.list());
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        pending.push(send(d, { method: 'GET', path: '/a', operation: 0 }));
        pending.push(send(d, { method: 'GET', path: '/status/404', operation: 1 }));
        pending.push(send(d, { method: 'GET', path: '/status/503', operation: 2 }));
      }
      for (let i = 0; i < 3; i++) pending.push(send(dBad, { method: 'GET', path: '/', operation: 3 }));
      await Promise.all(pending);
      w.sink.close();
      await Promise.all([ok.close(), bad.close()]);
      const lines = readLines(logPath);
      const snap = Snapshot.take(w.layout, w.buffer, 0);
      for (let op = 0; op < w.layout.operations.length; op++) {
        const mine = lines.filter((l) => l.operation === w.layout.operations[op]);
        const statuses: Record<string, number> = {};
        const kinds: Record<string, number> = {};
        for (const l of mine) {
          if (l.error) kinds[l.error.split(':')[0]!] = (kinds[l.error.split(':')[0]!] ?? 0) + 1;
          else statuses[String(l.status)] = (statuses[String(l.status)] ?? 0) + 1;
        }
        const c = snap.counters(op);
        assert.deepEqual(statuses, c.status, `${kind}: statuses of ${w.layout.operations[op]}`);
        assert.deepEqual(kinds, c.errorKinds, `${kind}: error kinds of ${w.layout.operations[op]}`);
      }
      assert.equal(lines.length, 63, kind);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

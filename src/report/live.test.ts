import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveView } from './live.js';
import { Snapshot } from '../metrics/snapshot.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import { allocateMetrics, createLayout } from '../metrics/layout.js';
import type { EngineTick } from '../engine/engine.js';

function tick(elapsedMs: number): EngineTick {
  const layout = createLayout(['get']);
  const buf = allocateMetrics(layout);
  const rec = new MetricsRecorder(layout, buf);
  for (let i = 0; i < 900; i++) rec.response(0, 200, 1500, 1000, 10, 0);
  for (let i = 0; i < 100; i++) rec.response(0, 500, 20_000, 20_000, 10, 0);
  rec.dropped(0, 7);
  const total = Snapshot.take(layout, buf, elapsedMs);
  const empty = new Snapshot(layout, new Uint32Array(total.data.length), 0);
  return { elapsedMs, total, interval: total.minus(empty), intervalMs: 1000, targetRate: 1000, point: { t: 1, requests: 1000, errors: 100, dropped: 7, p50: 1500, p99: 20_000, inFlight: 3 } };
}

test('on a terminal the panel is redrawn in place with rate, in-flight, dropped, p50/p99 and errors', () => {
  let out = '';
  const view = new LiveView({ out: { write: (s: string) => (out += s), isTTY: true, columns: 100 }, quiet: false, title: 'http://127.0.0.1:1/', durationMs: 10_000 });
  view.update(tick(1000));
  const first = out;
  assert.match(first, /racerig ▸ http:\/\/127\.0\.0\.1:1\/ .*1\.00s \/ 10\.00s/);
  assert.match(first, /target 1,000\.0\/s {2}achieved 1,000\.0\/s {2}in flight 0 {2}dropped 7/);
  assert.match(first, /p50 1\.50ms {2}p99 20\.0ms {2}errors 100/);
  assert.doesNotMatch(first, /\x1b\[\d+F/, 'the first frame does not move the cursor up');
  view.update(tick(2000));
  assert.match(out.slice(first.length), /^\x1b\[3F/, 'later frames overwrite the three panel lines');
});

test('off a terminal one plain line every few seconds; quiet prints nothing', () => {
  let out = '';
  const plain = new LiveView({ out: { write: (s: string) => (out += s), isTTY: false }, quiet: false, title: 't', durationMs: 10_000, plainEverySeconds: 2 });
  for (let s = 1; s <= 4; s++) plain.update(tick(s * 1000));
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.doesNotMatch(out, /\x1b/);
  assert.match(lines[0]!, /^\[2\.00s\/10\.00s\] rate 1,000\.0\/s \(target 1,000\.0\/s\)/);
  let quietOut = '';
  const quiet = new LiveView({ out: { write: (s: string) => (quietOut += s), isTTY: true }, quiet: true, title: 't', durationMs: 1000 });
  quiet.update(tick(1000));
  assert.equal(quietOut, '');
});

test('a finding is printed above the panel as it arrives and the panel is drawn again below it, with the findings so far', () => {
  let out = '';
  let found: string | undefined;
  const view = new LiveView({ out: { write: (s: string) => (out += s), isTTY: true, columns: 100 }, quiet: false, title: 't', durationMs: 10_000, findings: () => found });
  view.update(tick(1000));
  assert.doesNotMatch(out, /findings/, 'no findings line before the first finding');
  const before = out.length;
  view.note('racerig: finding: race — DATA RACE in main.(*metricsTransport).RoundTrip\n');
  assert.equal(out.slice(before), '\x1b[3F\x1b[Jracerig: finding: race — DATA RACE in main.(*metricsTransport).RoundTrip\n', 'the panel is cleared and the note takes its place');
  found = 'race ×1';
  const mid = out.length;
  view.update(tick(2000));
  const frame = out.slice(mid);
  assert.doesNotMatch(frame, /^\x1b\[\d+F/, 'the next frame starts below the note');
  assert.match(frame, /\n\x1b\[2K {2}findings race ×1\n$/);

  let plain = '';
  const p = new LiveView({ out: { write: (s: string) => (plain += s), isTTY: false }, quiet: false, title: 't', durationMs: 10_000, plainEverySeconds: 1, findings: () => 'exit ×2' });
  p.note('racerig: finding: exit — the system under test exited (code 2)\n');
  p.update(tick(1000));
  assert.match(plain, /^racerig: finding: exit .*\n\[1\.00s\/10\.00s\] .* findings exit ×2\n$/);
});

function profileTick(): EngineTick {
  // A profile run: a watch operation with its stream-duration measurement; 3 requests in flight, 2 watches open.
  const layout = createLayout(['watch pods', 'create pods', 'watch pods · duration'], undefined, [], { 0: 2 });
  const buf = allocateMetrics(layout);
  const rec = new MetricsRecorder(layout, buf);
  rec.response(0, 200, 2000, 2000, 0, 0);
  rec.response(0, 200, 2500, 2500, 0, 0);
  rec.streamOpened();
  rec.streamOpened();
  for (let i = 0; i < 50; i++) rec.response(1, 201, 4000, 4000, 0, 100);
  rec.inFlight(3);
  const total = Snapshot.take(layout, buf, 1000);
  const empty = new Snapshot(layout, new Uint32Array(total.data.length), 0);
  return { elapsedMs: 1000, total, interval: total.minus(empty), intervalMs: 1000, targetRate: NaN, point: { t: 1, requests: 52, errors: 0, dropped: 0, p50: 4000, p99: 4000, inFlight: 3, openStreams: 2 } };
}

test('a profile run shows requests in flight and the streams open, and says "closed model" rather than "target closed"', () => {
  let out = '';
  const view = new LiveView({ out: { write: (s: string) => (out += s), isTTY: true, columns: 100 }, quiet: false, title: 'p', durationMs: 10_000 });
  view.update(profileTick());
  assert.match(out, / {2}rate {5}closed model {2}achieved 52\.0\/s {2}in flight 3 requests, 2 streams open {2}dropped 0/);
  assert.doesNotMatch(out, /target closed/);
  let plain = '';
  const p = new LiveView({ out: { write: (s: string) => (plain += s), isTTY: false }, quiet: false, title: 'p', durationMs: 10_000, plainEverySeconds: 1 });
  p.update(profileTick());
  assert.match(plain, /rate 52\.0\/s \(closed model\) {2}in flight 3 requests, 2 streams open/);
});

test('setup progress shows before the first tick: one line redrawn on a terminal, which the panel then replaces', () => {
  let out = '';
  const view = new LiveView({ out: { write: (s: string) => (out += s), isTTY: true, columns: 100 }, quiet: false, title: 'p', durationMs: 10_000 });
  view.setup('starting workers 0/2');
  view.setup('starting workers 0/2');
  view.setup('starting workers 1/2');
  assert.equal(out, '\x1b[2Kracerig ▸ p  starting workers 0/2\n\x1b[1F\x1b[2Kracerig ▸ p  starting workers 1/2\n');
  const before = out.length;
  view.update(profileTick());
  assert.match(out.slice(before), /^\x1b\[1F\x1b\[2Kracerig ▸ p /, 'the panel starts where the setup line was');
  let plain = '';
  const p = new LiveView({ out: { write: (s: string) => (plain += s), isTTY: false }, quiet: false, title: 'p', durationMs: 10_000 });
  p.setup('starting workers 0/2');
  p.setup('starting workers 2/2');
  assert.equal(plain, 'racerig ▸ p  starting workers 0/2\nracerig ▸ p  starting workers 2/2\n');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLogScanner, MAX_LINE_CHARS, normalizeMessage } from '../../src/observe/log-scanner.js';
import { FindingsCollector, MAX_REPORT_CHARS } from '../../src/observe/findings.js';
import type { Finding } from '../../src/results/model.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/go-races/', import.meta.url));
const fixture = (name: string): string => readFileSync(FIXTURES + name, 'utf8');

/** scan feeds `text` in chunks of `chunk` bytes (as Buffers when `bytes`) and returns the findings. */
function scan(text: string, o: { chunk?: number; bytes?: boolean; patterns?: string[] } = {}): Finding[] {
  const collector = new FindingsCollector();
  const s = createLogScanner({ source: 'test', collector, ...(o.patterns ? { patterns: o.patterns } : {}) });
  const data = o.bytes ? Buffer.from(text) : text;
  const n = o.chunk ?? data.length;
  for (let i = 0; i < data.length; i += Math.max(1, n)) s.write(data.slice(i, i + Math.max(1, n)) as string & Buffer);
  s.end();
  return collector.list();
}

const sigs = (fs: Finding[]) => fs.map((f) => `${f.kind} ${f.signature}`);

const WRAP_RACE =
  'race: read main.(*metricsTransport).RoundTrip < main.doRequest < main.main.func2 | write main.(*metricsTransport).Wrap < main.newClient < main.main.func1';
const COUNTER_RACE =
  'race: read main.(*metricsTransport).RoundTrip < main.doRequest < main.main.func2 | write main.(*metricsTransport).RoundTrip < main.doRequest < main.main.func2';
const PUBLISH_RACE = 'race: read main.(*baseTransport).RoundTrip < main.(*metricsTransport).RoundTrip < main.doRequest | write main.newClient < main.main.func1';
const NIL_PANIC = 'panic: runtime error: invalid memory address or nil pointer dereference | main.(*upgrader).Dial < main.handleExec';
const MAP_FATAL = 'fatal: concurrent map writes | main.record < main.worker';
const REPANIC = 'panic: boom: request N failed [recovered] / handler: boom: request N failed | main.serve.func1 < main.process < main.serve';

/** The blocks of a clean log as the scanner should report them: from `first` to the closing line. */
function blockOf(log: string, startLine: string, endAt?: (line: string, i: number, lines: string[]) => boolean): string {
  const lines = log.split('\n');
  const i = lines.indexOf(startLine);
  assert.ok(i >= 0, `no ${startLine}`);
  let j = i + 1;
  while (j < lines.length && !(endAt?.(lines[j]!, j, lines) ?? false)) j++;
  return lines.slice(i, j + (endAt ? 1 : 0)).join('\n').replace(/\n+$/, '');
}

test('a real race report: both stacks by function name, the two sides sorted, the block verbatim', () => {
  const log = fixture('race-1.log');
  const fs = scan(log);
  assert.deepEqual(sigs(fs), [`race ${WRAP_RACE}`, `race ${PUBLISH_RACE}`, `race ${COUNTER_RACE}`]);
  const f = fs[0]!;
  assert.equal(f.kind, 'race');
  assert.equal(f.source, 'test');
  assert.equal(f.count, 1);
  assert.equal(f.message, 'DATA RACE: read in main.(*metricsTransport).RoundTrip vs write in main.(*metricsTransport).Wrap');
  // The first block of the file, separator to separator, exactly as written.
  const lines = log.split('\n');
  const close = lines.indexOf('==================', 1);
  assert.equal(f.report, lines.slice(0, close + 1).join('\n'));
  for (const x of fs) assert.doesNotMatch(x.signature, /0x|goroutine|\.go:|\+0x|\d{2,}/);
});

test('two runs of the same racy program (other build paths, addresses, goroutine ids, report order) give the same signatures', () => {
  const a = fixture('race-1.log');
  const b = fixture('race-2.log');
  // The second run reported the first race with the sides the other way round, from a -trimpath build.
  assert.match(a.split('\n')[2]!, /^Write at/);
  assert.match(b.split('\n')[2]!, /^Read at/);
  assert.notEqual(a.split('\n')[2], b.split('\n')[2]);
  assert.deepEqual(new Set(sigs(scan(a))), new Set(sigs(scan(b))));
});

test('a different bug gets a different signature (the counter race, the publication race, a panic, a fatal error)', () => {
  const all = [...scan(fixture('race-1.log')), ...scan(fixture('nil-panic.log')), ...scan(fixture('map-writes.log')), ...scan(fixture('repanic.log'))];
  assert.equal(new Set(all.map((f) => f.signature)).size, all.length);
  assert.equal(all.length, 6);
});

test('a nil-pointer panic in a goroutine: message class without the signal line, top frames of the panicking goroutine, stable across builds', () => {
  const log = fixture('nil-panic.log');
  const fs = scan(log);
  assert.deepEqual(sigs(fs), [`panic ${NIL_PANIC}`]);
  assert.equal(fs[0]!.message, 'panic: runtime error: invalid memory address or nil pointer dereference (in main.(*upgrader).Dial)');
  assert.equal(fs[0]!.report, blockOf(log, 'panic: runtime error: invalid memory address or nil pointer dereference'));
  assert.match(fs[0]!.report!, /^created by main\.main$/m);
  assert.deepEqual(sigs(scan(fixture('nil-panic-2.log'))), [`panic ${NIL_PANIC}`]);
});

test('fatal error: concurrent map writes: the first goroutine stack, every goroutine in the report, stable across runs', () => {
  const log = fixture('map-writes.log');
  const fs = scan(log);
  assert.deepEqual(sigs(fs), [`fatal ${MAP_FATAL}`]);
  assert.equal(fs[0]!.message, 'fatal error: concurrent map writes (in main.record)');
  assert.equal(fs[0]!.report, log.replace(/\n+$/, ''));
  assert.ok(fs[0]!.report!.split('\n').filter((l) => /^goroutine \d+ \[/.test(l)).length > 3);
  assert.deepEqual(sigs(scan(fixture('map-writes-2.log'))), [`fatal ${MAP_FATAL}`]);
});

test('a recovered and re-panicked panic: both messages (numbers replaced), frames skip panic()', () => {
  const log = fixture('repanic.log');
  const fs = scan(log);
  assert.deepEqual(sigs(fs), [`panic ${REPANIC}`]);
  assert.equal(fs[0]!.report, log.replace(/\n+$/, ''));
});

const ALL_LOGS = ['race-1.log', 'race-2.log', 'nil-panic.log', 'nil-panic-2.log', 'map-writes.log', 'map-writes-2.log', 'repanic.log'];

test('lines of other goroutines interleaved into every report are left out: same signatures and reports', () => {
  for (const name of ALL_LOGS) {
    const log = fixture(name);
    const clean = scan(log);
    const mixed = log
      .split('\n')
      .flatMap((l, i) => (i % 2 === 0 ? [l, `I1206 02:30:0${i % 10}.123456       1 controller.go:${100 + i}] reconciled workflow wf-${i} (took ${i} ms)`] : [l]))
      .join('\n');
    const got = scan(mixed);
    assert.deepEqual(sigs(got), sigs(clean), name);
    assert.deepEqual(
      got.map((f) => f.report),
      clean.map((f) => f.report),
      name,
    );
  }
});

test('two logs merged line by line with a log of plain lines: each report found with its own signature', () => {
  const race = fixture('race-1.log').split('\n');
  const other = Array.from({ length: 400 }, (_, i) => `time="2026-12-06T02:30:00Z" level=info msg="processing item ${i}"`);
  const merged: string[] = [];
  for (let i = 0; i < Math.max(race.length, other.length); i++) {
    if (i < other.length) merged.push(other[i]!);
    if (i < race.length) merged.push(race[i]!);
  }
  const panicLog = fixture('nil-panic.log');
  const fs = scan(merged.join('\n') + '\n' + panicLog);
  assert.deepEqual(sigs(fs), [`race ${WRAP_RACE}`, `race ${PUBLISH_RACE}`, `race ${COUNTER_RACE}`, `panic ${NIL_PANIC}`]);
});

test('Windows line endings, chunks of any size, bytes split inside UTF-8 characters', () => {
  for (const name of ALL_LOGS) {
    const log = fixture(name);
    const clean = scan(log);
    for (const chunk of [1, 7, 4096]) {
      const got = scan(log.replace(/\n/g, '\r\n'), { chunk, bytes: true });
      assert.deepEqual(sigs(got), sigs(clean), `${name} chunk ${chunk}`);
      assert.deepEqual(
        got.map((f) => f.report),
        clean.map((f) => f.report),
      );
    }
  }
  const fs = scan('größe überschritten: Ü\n', { chunk: 1, bytes: true, patterns: ['überschritten: Ü'] });
  assert.equal(fs[0]?.report, 'größe überschritten: Ü');
});

test('a report cut off at the end of the log is reported with what it has', () => {
  const race = fixture('race-1.log').split('\n');
  // Up to the first frame of the second access.
  const prev = race.findIndex((l) => l.startsWith('Previous read'));
  const fs = scan(race.slice(0, prev + 2).join('\n'));
  assert.deepEqual(sigs(fs), ['race race: read main.(*metricsTransport).RoundTrip | write main.(*metricsTransport).Wrap < main.newClient < main.main.func1']);
  assert.equal(fs[0]!.report, race.slice(0, prev + 2).join('\n'));

  const p = fixture('nil-panic.log').split('\n');
  const g = p.findIndex((l) => l.startsWith('goroutine'));
  assert.deepEqual(sigs(scan(p.slice(0, g + 2).join('\n'))), ['panic panic: runtime error: invalid memory address or nil pointer dereference | main.(*upgrader).Dial']);
  assert.deepEqual(sigs(scan('panic: lost connection to 10.0.0.7:6443')), ['panic panic: lost connection to N.N.N.N:N']);
  assert.deepEqual(sigs(scan('==================\nWARNING: DATA RACE\n')), ['race race: ?']);
});

test('a panic ends at exit status, at a non-stack line after a blank line, and at the next report', () => {
  const p = fixture('nil-panic.log').replace(/\n+$/, '');
  const fs = scan(`${p}\nexit status 2\n${p}\n\nI1206 controller restarted\n${fixture('repanic.log')}`);
  assert.deepEqual(sigs(fs), [`panic ${NIL_PANIC}`, `panic ${REPANIC}`]);
  assert.equal(fs[0]!.count, 2);
  assert.doesNotMatch(fs[0]!.report!, /exit status|restarted/);
  // The next report starts right after the stack.
  const race = fixture('race-1.log');
  assert.deepEqual(sigs(scan(p + '\n' + race)).slice(0, 2), [`panic ${NIL_PANIC}`, `race ${WRAP_RACE}`]);
});

test('user patterns: substrings and /regex/flags, every matching line, the line as report; a bad regex is an ObserveError', () => {
  const log = 'E1206 leader election lost\nok\nE1206 Leader Election lost again\nW1206 throttling request took 1.2s\n';
  const fs = scan(log, { patterns: ['leader election lost', '/throttling request took \\d/', '/LEADER/i'] });
  assert.deepEqual(
    fs.map((f) => [f.kind, f.signature, f.count, f.report]),
    [
      ['pattern', 'pattern: leader election lost', 1, 'E1206 leader election lost'],
      ['pattern', 'pattern: /LEADER/i', 2, 'E1206 leader election lost'],
      ['pattern', 'pattern: /throttling request took \\d/', 1, 'W1206 throttling request took 1.2s'],
    ],
  );
  assert.throws(
    () => createLogScanner({ source: 's', collector: new FindingsCollector(), patterns: ['/([/'] }),
    (e: Error & { code?: string }) => e.code === 'RACERIG_OBSERVE_PATTERN' && e.name === 'ObserveError',
  );
});

test('bounded memory: a line is cut at MAX_LINE_CHARS, a report at MAX_REPORT_CHARS, the signature still from the top frames', () => {
  const long = 'x'.repeat(3 * MAX_LINE_CHARS);
  const fs = scan(`${long}MARK\n`, { patterns: ['x'], chunk: 1000 });
  assert.equal(fs[0]!.report!.length, MAX_LINE_CHARS);
  assert.equal(scan(`${long}MARK\n`, { patterns: ['MARK'] }).length, 0);

  const race = fixture('race-1.log').split('\n');
  const close = race.indexOf('==================', 1);
  const frames = Array.from({ length: 20000 }, (_, i) => `  main.deep${i}()\n      /src/deep.go:${i} +0x1`).join('\n');
  const first = race.slice(0, close);
  const prev = first.findIndex((l) => l.startsWith('Previous read'));
  const huge = [...first.slice(0, prev - 1), frames, ...first.slice(prev - 1), '=================='].join('\n');
  const got = scan(huge, { chunk: 65536 });
  assert.equal(got.length, 1);
  assert.equal(got[0]!.signature, WRAP_RACE);
  assert.ok(got[0]!.report!.length <= MAX_REPORT_CHARS + 20, String(got[0]!.report!.length));
});

test('normalizeMessage replaces values and addresses only', () => {
  assert.equal(normalizeMessage('runtime error: index out of range [5] with length 3'), 'runtime error: index out of range [N] with length N');
  assert.equal(normalizeMessage('(*main.T) 0xc000012345 k8s'), '(*main.T) 0x? k8s');
  assert.equal(normalizeMessage('runtime error: invalid memory address or nil pointer dereference'), 'runtime error: invalid memory address or nil pointer dereference');
});

test('flushIdle reports an open report now (a stream gone quiet) and nothing when none is open', () => {
  const collector = new FindingsCollector();
  const s = createLogScanner({ source: 'idle', collector });
  s.write(fixture('map-writes.log'));
  assert.equal(collector.list().length, 0, 'the dump may go on: still open');
  assert.equal(s.flushIdle(), true);
  assert.deepEqual(sigs(collector.list()), [`fatal ${MAP_FATAL}`]);
  assert.equal(s.flushIdle(), false);
  s.end();
  assert.equal(collector.total, 1);
});

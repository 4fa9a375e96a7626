import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkProfile, loadProfile } from '../../src/profile/loader.js';
import { formatProblem } from '../../src/profile/problem.js';
import { ProfileError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';

/** profile builds a profile whose scenario steps start on line 10 (indented by 10 spaces). */
const profile = (steps: string, { duration = '1s', tail = '' } = {}) =>
  `name: t\ndescription: d\nphases:\n  - name: p\n    duration: ${duration}\n    components:\n      - name: c\n        rate: 1\n        scenario:\n${steps}${tail}`;

/** Expect is one expected problem: file, line, the text its column points at, and the message. */
type Expect = [file: string, line: number, needle: string, message: RegExp];

interface Case {
  name: string;
  files: Record<string, string>;
  expect: Expect[];
}

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "p-{{nope.name}}"\nspec: {containers: [{name: main, image: busybox}]}\n';

const CASES: Case[] = [
  {
    name: 'unknown step',
    files: { 'bad.yaml': profile('          - scale: {resource: pods}\n') },
    expect: [['bad.yaml', 10, 'scale', /scenario\[0\]: unknown step "scale"/]],
  },
  {
    name: 'bad duration',
    files: { 'bad.yaml': profile('          - get: {resource: pods, name: a}\n', { duration: '30x' }) },
    expect: [['bad.yaml', 5, '30x', /phases\[0\]\.duration: invalid duration "30x" \(use a number and a unit/]],
  },
  {
    name: 'missing manifest file',
    files: { 'bad.yaml': profile('          - create: {manifest: {file: nope.yaml}}\n') },
    expect: [['bad.yaml', 10, 'nope.yaml', /file not found: nope\.yaml/]],
  },
  {
    name: 'template referring to an unknown object',
    files: { 'bad.yaml': profile('          - create: {manifest: {file: pod.yaml}}\n            as: pod\n          - get: {resource: pods, name: "{{pdo.name}}"}\n') , 'pod.yaml': POD.replace('{{nope.name}}', '{{iteration}}') },
    expect: [['bad.yaml', 12, '{{pdo.name}}', /unknown template reference "pdo" in \{\{pdo\.name\}\} \(.*objects: pod\)/]],
  },
  {
    name: 'template error inside a manifest file is located in that file',
    files: { 'bad.yaml': profile('          - create: {manifest: {file: pod.yaml}}\n'), 'pod.yaml': POD },
    expect: [['pod.yaml', 4, '{{nope.name}}', /unknown template reference "nope"/]],
  },
  {
    name: 'YAML syntax error',
    files: { 'bad.yaml': 'name: t\nname: u\ndescription: d\n' },
    expect: [['bad.yaml', 2, 'name', /YAML syntax: Map keys must be unique/]],
  },
  {
    name: 'threshold naming an unknown operation',
    files: { 'bad.yaml': profile('          - get: {resource: pods, name: a}\n', { tail: 'thresholds:\n  - p99(get pods) < 1s\n  - p99(create pods) < 1s\n' }) },
    expect: [['bad.yaml', 13, 'create pods', /threshold names unknown operation "create pods" \(operations: get pods\)/]],
  },
  {
    name: 'missing required key and unknown key',
    files: { 'bad.yaml': 'name: t\ndescription: d\ncolour: red\nphases:\n  - name: p\n    duration: 1s\n' },
    expect: [
      ['bad.yaml', 3, 'colour', /unknown key "colour"/],
      ['bad.yaml', 5, 'name', /phases\[0\]: missing required key "components"/],
    ],
  },
  {
    name: 'misspelt keys get a suggestion',
    files: { 'bad.yaml': profile('          - get: {resource: pods, name: a, namespce: x}\n          - craete: {manifest: {file: pod.yaml}}\n') },
    expect: [
      ['bad.yaml', 10, 'namespce', /scenario\[0\]\.get: unknown key "namespce" \(did you mean "namespace"\?\)/],
      ['bad.yaml', 11, 'craete', /unknown step "craete" \(did you mean "create"\? a step is one of/],
    ],
  },
  {
    name: 'empty file and a step that is not a map',
    files: { 'bad.yaml': profile('          - get\n'), 'empty.yaml': '' },
    expect: [['bad.yaml', 10, 'get', /scenario\[0\]: a step is a map with one kind key, got string "get"/]],
  },
  {
    name: 'as: on a step that returns no object, and a reserved as: name',
    files: { 'bad.yaml': profile('          - delete: {resource: pods, name: a}\n            as: gone\n          - get: {resource: pods, name: a}\n            as: phase\n') },
    expect: [
      ['bad.yaml', 11, 'as', /as: on a delete step stores nothing \(only create, get, list, update, patch, wait steps return an object\)/],
      ['bad.yaml', 13, 'phase', /as: "phase" is a reserved template name/],
    ],
  },
  {
    name: 'union values: a kind with a typo, a value of the wrong type',
    files: { 'bad.yaml': profile('          - sleep: 1s\n', { tail: 'cleanup: maybe\nobserve: [{kind: podLog, selector: app=x, patterns: [panic]}]\n' }) },
    expect: [
      ['bad.yaml', 11, 'maybe', /cleanup: expected boolean or object, got string "maybe"/],
      ['bad.yaml', 12, 'podLog', /observe\[0\]\.kind: unknown value string "podLog" \(did you mean "podLogs"\?\)/],
    ],
  },
  {
    name: 'observers: a bad regex pattern, a metric name that is no Prometheus name, the old interval key',
    files: {
      'bad.yaml': profile('          - sleep: 1s\n', {
        tail: 'observe:\n  - {kind: podLogs, selector: app=x, patterns: [panic, "/([/"]}\n  - {kind: metrics, url: "http://127.0.0.1:9090/metrics", metrics: [a-b], interval: 15s}\n',
      }),
    },
    expect: [
      ['bad.yaml', 12, '"/([/"', /pattern \/\(\[\/ is not a valid regular expression/],
      ['bad.yaml', 13, 'a-b', /observe\[1\]\.metrics\[0\]: must be a Prometheus metric name/],
      ['bad.yaml', 13, 'interval', /observe\[1\].*interval/],
    ],
  },
  {
    name: 'a negative mock exec start delay',
    files: { 'bad.yaml': profile('          - get: {resource: pods, name: a}\n', { tail: 'mock:\n  watchBatchMs: 2\n  execStartDelayMs: -5\n' }) },
    expect: [['bad.yaml', 13, '-5', /mock\.execStartDelayMs: must be ≥ 0/]],
  },
  {
    name: 'several problems at once',
    files: {
      'bad.yaml': profile(
        '          - scale: {resource: pods}\n          - get: {resource: pods, name: "{{pod.name}}"}\n          - create: {manifest: {file: missing.yaml}}\n          - wait: {resource: pods, name: "{{nope.name}}", until: {field: status.phase}, timeout: soon}\n',
        { duration: '1 minute', tail: 'thresholds:\n  - errors < 1%\n  - p99(nothing) < 1s\n' },
      ),
    },
    expect: [
      ['bad.yaml', 5, '1 minute', /invalid duration/],
      ['bad.yaml', 10, 'scale', /unknown step "scale"/],
      ['bad.yaml', 11, '{{pod.name}}', /unknown template reference "pod"/],
      ['bad.yaml', 12, 'missing.yaml', /file not found/],
      ['bad.yaml', 13, '{{nope.name}}', /unknown template reference "nope"/],
      ['bad.yaml', 13, 'soon', /scenario\[3\]\.wait\.timeout: invalid duration "soon"/],
      ['bad.yaml', 16, 'nothing', /unknown operation "nothing"/],
    ],
  },
];

function columnOf(text: string, line: number, needle: string): number {
  const l = text.split('\n')[line - 1] ?? '';
  const i = l.indexOf(needle);
  assert.ok(i >= 0, `line ${line} holds ${JSON.stringify(needle)}: ${JSON.stringify(l)}`);
  return i + 1;
}

function withFiles<T>(files: Record<string, string>, f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-profile-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return f(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

for (const c of CASES) {
  test(`broken profile: ${c.name} → every problem at its file:line:column`, () =>
    withFiles(c.files, async (dir) => {
      const { profile: loaded, problems } = await checkProfile('bad.yaml', { cwd: dir });
      assert.equal(loaded, undefined);
      const got = problems.map(formatProblem);
      assert.equal(got.length, c.expect.length, got.join('\n'));
      c.expect.forEach(([file, line, needle, message], i) => {
        const p = problems[i]!;
        assert.deepEqual([p.file, p.line, p.column], [file, line, columnOf(c.files[file]!, line, needle)], got[i]);
        assert.match(got[i]!, message);
        assert.ok(got[i]!.startsWith(`${file}:${line}:${p.column}: `));
      });
      await assert.rejects(loadProfile('bad.yaml', { cwd: dir }), (err: unknown) => {
        assert.ok(err instanceof ProfileError);
        assert.equal(err.code, 'RACERIG_PROFILE_INVALID');
        assert.equal(err.exitCode, ExitCode.ProfileInvalid);
        assert.deepEqual(err.problems, got);
        return true;
      });
    }));
}

test('racerig profiles validate prints every problem and exits 3; valid files print OK', () =>
  withFiles({ ...CASES.at(-1)!.files, 'good.yaml': profile('          - get: {resource: pods, name: a}\n') }, async (dir) => {
    const ctx = captureContext({ cwd: dir });
    const code = await main(['profiles', 'validate', 'good.yaml', 'bad.yaml'], ctx);
    assert.equal(code, 3);
    assert.equal(ctx.out(), 'OK good.yaml\n');
    const lines = ctx.err().trim().split('\n');
    assert.equal(lines.length, 8);
    assert.match(lines[0]!, /^bad\.yaml:5:15: phases\[0\]\.duration: invalid duration "1 minute"/);
    assert.match(lines[1]!, /^bad\.yaml:10:13: .*unknown step "scale" \(a step is one of create, get, /);
    assert.equal(lines[7], 'bad.yaml: 7 problems');
  }));

test('racerig profiles show on a broken profile exits 3 with the problems and a hint', () =>
  withFiles(CASES[2]!.files, async (dir) => {
    const ctx = captureContext({ cwd: dir });
    assert.equal(await main(['profiles', 'show', 'bad.yaml'], ctx), 3);
    assert.match(ctx.err(), /^racerig: error: bad\.yaml:10:39: file not found: nope\.yaml/);
    assert.match(ctx.err(), /\nhint: see docs\/profiles\.md/);
  }));

test('an empty profile is one problem at 1:1', () =>
  withFiles({ 'empty.yaml': '# nothing\n' }, async (dir) => {
    const { problems } = await checkProfile('empty.yaml', { cwd: dir });
    assert.deepEqual(problems.map(formatProblem), ['empty.yaml:1:1: a profile is a map with name, description and phases; this file holds nothing']);
  }));

test('a missing profile file is a profile problem (exit 3), and validate without files is a usage error', () =>
  withFiles({}, async (dir) => {
    const ctx = captureContext({ cwd: dir });
    assert.equal(await main(['profiles', 'validate', 'absent.yaml'], ctx), 3);
    assert.match(ctx.err(), /^absent\.yaml:1:1: profile file not found/);
    const usage = captureContext({ cwd: dir });
    assert.equal(await main(['profiles', 'validate'], usage), 2);
  }));

test('the mock settings of a profile carry the watch batch window and the exec start delay (spread into the embedded mock options)', () =>
  withFiles({ 'ok.yaml': profile('          - get: {resource: pods, name: a}\n', { tail: 'mock:\n  watchBatchMs: 0\n  execStartDelayMs: 35\n' }) }, async (dir) => {
    const p = await loadProfile('ok.yaml', { cwd: dir });
    assert.equal(p.mock.watchBatchMs, 0);
    assert.equal(p.mock.execStartDelayMs, 35);
  }));

test('mock.lifecycle.workflows: false loads (spread into the embedded mock options); a non-boolean is reported', () =>
  withFiles(
    {
      'ok.yaml': profile('          - get: {resource: pods, name: a}\n', { tail: 'mock:\n  lifecycle:\n    workflows: false\n    podStartDelayMs: 5\n' }),
      'bad.yaml': profile('          - get: {resource: pods, name: a}\n', { tail: 'mock:\n  lifecycle:\n    workflows: sometimes\n' }),
    },
    async (dir) => {
      const p = await loadProfile('ok.yaml', { cwd: dir });
      assert.deepEqual(p.mock.lifecycle, { workflows: false, podStartDelayMs: 5 });
      const bad = await checkProfile('bad.yaml', { cwd: dir });
      assert.equal(bad.profile, undefined);
      assert.ok(bad.problems.some((x) => /mock\.lifecycle\.workflows/.test(x.message)), JSON.stringify(bad.problems));
    },
  ));

test('a metrics observer takes exactly one of url and pod; the pod form loads with its namespace template and default path', () =>
  withFiles(
    {
      'ok.yaml': profile('          - get: {resource: pods, name: a}\n', { tail: 'observe:\n  - {kind: metrics, pod: {selector: app=workflow-controller, port: 9090}, metrics: [x_total]}\n' }),
      'bad.yaml': profile('          - get: {resource: pods, name: a}\n', {
        tail: 'observe:\n  - {kind: metrics, metrics: [x]}\n  - {kind: metrics, url: "http://127.0.0.1:1/metrics", pod: {selector: app=x, port: 9090}}\n  - {kind: metrics, pod: {selector: app=x, port: 70000, path: metrics}}\n',
      }),
    },
    async (dir) => {
      const p = await loadProfile('ok.yaml', { cwd: dir });
      const m = p.observe[0]!;
      assert.ok(m.kind === 'metrics' && m.pod);
      assert.deepEqual([m.pod.selector, m.pod.port, m.pod.path, m.url], ['app=workflow-controller', 9090, '/metrics', undefined]);
      const bad = await checkProfile('bad.yaml', { cwd: dir });
      const messages = bad.problems.map((x) => x.message);
      assert.ok(messages.some((x) => /a metrics observer needs url or pod/.test(x)), JSON.stringify(messages));
      assert.ok(messages.some((x) => /either url or pod, not both/.test(x)), JSON.stringify(messages));
      assert.ok(messages.some((x) => /observe\[2\]\.pod\.port/.test(x)), JSON.stringify(messages));
      assert.ok(messages.some((x) => /observe\[2\]\.pod\.path/.test(x)), JSON.stringify(messages));
    },
  ));

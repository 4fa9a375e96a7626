import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, parseTemplate, type TemplateScope } from './template.js';
import { buildValueTemplate, compileValueTemplate } from './value-template.js';
import { parseFieldPath, readField, writeField } from './field-path.js';

const scope = (objects: Record<string, unknown> = {}): TemplateScope => ({
  runId: 'r1', profile: 'p', phase: 'load', component: 'c', iteration: 7, worker: 2, namespace: 'ns', objects,
});

const render = (text: string, objects: string[] = [], s = scope()) => {
  const { template, issues } = parseTemplate(text, new Set(objects));
  assert.deepEqual(issues, []);
  return compileTemplate(template)(s);
};

test('variables render from the scope', () => {
  assert.equal(render('{{run.id}}/{{phase}}/{{component}}/{{iteration}}/{{worker}}/{{namespace}}/{{profile}}'), 'r1/load/c/7/2/ns/p');
  assert.equal(render('plain text'), 'plain text');
  assert.equal(render(''), '');
  assert.equal(render('{{ run.id }}'), 'r1', 'spaces inside the braces are allowed');
});

test('uuid, now and random values have their shapes and bounds', () => {
  assert.match(render('{{uuid}}'), /^[0-9a-f-]{36}$/);
  assert.match(render('{{now}}'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const { template } = parseTemplate('{{random.int 3 5}}', new Set());
  const fn = compileTemplate(template);
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) seen.add(fn(scope()));
  assert.deepEqual([...seen].sort(), ['3', '4', '5']);
  assert.match(render('{{random.string 12}}'), /^[a-z0-9]{12}$/);
});

test('objects of earlier steps render by field path, with metadata shortcuts', () => {
  const pod = {
    metadata: { name: 'web-1', namespace: 'prod', labels: { 'app.kubernetes.io/name': 'web' } },
    status: { podIP: '10.0.0.1', conditions: [{ type: 'Scheduled', status: 'True' }, { type: 'Ready', status: 'False' }] },
  };
  const s = scope({ pod });
  assert.equal(render('{{pod.name}}', ['pod'], s), 'web-1');
  assert.equal(render('{{pod.metadata.namespace}}/{{pod.namespace}}', ['pod'], s), 'prod/prod');
  assert.equal(render('{{pod.status.podIP}}', ['pod'], s), '10.0.0.1');
  assert.equal(render('{{pod.status.conditions[type=Ready].status}}', ['pod'], s), 'False');
  assert.equal(render('{{pod.labels[app.kubernetes.io/name]}}', ['pod'], s), 'web');
  assert.equal(render('{{pod.status.missing}}', ['pod'], s), '', 'a missing field renders empty');
});

test('unknown references and bad expressions are reported with the text to point at', () => {
  const cases: Array<[string, string[], RegExp, string]> = [
    ['x-{{pdo.name}}', ['pod'], /unknown template reference "pdo"/, '{{pdo.name}}'],
    ['{{podd}}', [], /unknown template reference "podd"/, '{{podd}}'],
    ['{{pod}}', ['pod'], /needs a field/, '{{pod}}'],
    ['{{random.int 5 1}}', [], /random.int/, '{{random.int 5 1}}'],
    ['{{random.string 0}}', [], /random.string/, '{{random.string 0}}'],
    ['{{run.id extra}}', [], /invalid template expression/, '{{run.id extra}}'],
    ['a {{phase', [], /unclosed/, '{{phase'],
  ];
  for (const [text, objects, message, needle] of cases) {
    const { issues } = parseTemplate(text, new Set(objects));
    assert.equal(issues.length, 1, text);
    assert.match(issues[0]!.message, message, text);
    assert.equal(issues[0]!.needle, needle, text);
  }
  const { issues } = parseTemplate('{{pdo.name}}', new Set(['pod']));
  assert.match(issues[0]!.hint ?? '', /objects: pod/);
});

test('value templates render JSON text with rendered strings escaped', () => {
  const value = { metadata: { name: 'p-{{iteration}}', labels: { quote: '{{pod.name}}' } }, spec: { n: 3, ok: true, list: ['a', '{{worker}}'], none: null } };
  const vt = buildValueTemplate(value, (_path, text) => (text.includes('{{') ? parseTemplate(text, new Set(['pod'])).template : undefined));
  assert.equal(vt.slots.length, 3);
  assert.equal(vt.chunks.length, 4);
  const json = compileValueTemplate(vt)(scope({ pod: { metadata: { name: 'say "hi"\n' } } }));
  assert.deepEqual(JSON.parse(json), { metadata: { name: 'p-7', labels: { quote: 'say "hi"\n' } }, spec: { n: 3, ok: true, list: ['a', '2'], none: null } });
  const fixed = buildValueTemplate({ a: [1, 'b'] }, () => undefined);
  assert.equal(compileValueTemplate(fixed)(scope()), '{"a":[1,"b"]}');
});

test('field paths parse, read and write', () => {
  assert.deepEqual(parseFieldPath('status.conditions[type=Ready].status'), [{ key: 'status' }, { key: 'conditions' }, { match: { field: 'type', value: 'Ready' } }, { key: 'status' }]);
  assert.deepEqual(parseFieldPath('spec.containers[0].image'), [{ key: 'spec' }, { key: 'containers' }, { index: 0 }, { key: 'image' }]);
  for (const bad of ['', 'a..b', 'a.', 'a[', 'a[]', 'a[0]b']) assert.equal(typeof parseFieldPath(bad), 'string', bad);
  const obj: Record<string, unknown> = { spec: { containers: [{ image: 'a' }] } };
  assert.equal(writeField(obj, parseFieldPath('metadata.annotations.x') as never, 'y'), true);
  assert.equal(writeField(obj, parseFieldPath('spec.containers[0].image') as never, 'b'), true);
  assert.equal(writeField(obj, parseFieldPath('spec.containers[5].image') as never, 'b'), false);
  assert.deepEqual(obj, { spec: { containers: [{ image: 'b' }] }, metadata: { annotations: { x: 'y' } } });
  assert.equal(readField(obj, parseFieldPath('metadata.annotations.x') as never), 'y');
});

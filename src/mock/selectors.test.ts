import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldMatcher, labelMatcher, parseLabelSelectorRequirements, exactNameFromFieldSelector } from './selectors.js';
import { StatusError } from './status.js';

const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ metadata: { name: 'p', namespace: 'n', labels }, ...extra });

test('label selectors: every operator, whitespace, and set syntax', () => {
  const o = obj({ app: 'web', tier: 'fe' });
  const cases: Array<[string, boolean]> = [
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app != db', true],
    ['app in (web, db)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=fe', true],
    ['app=web,tier=be', false],
    ['missing notin (x)', true],
    ['', true],
  ];
  for (const [sel, want] of cases) assert.equal(labelMatcher(sel)(o), want, sel);
  assert.equal(labelMatcher('app')({ metadata: {} }), false);
  assert.equal(parseLabelSelectorRequirements('a in (x,y),b').length, 2);
});

test('label selectors: bad syntax is a 400 StatusError', () => {
  for (const sel of ['a in b', 'a in (x', '=x', 'a=b c']) {
    assert.throws(() => labelMatcher(sel), (e: unknown) => e instanceof StatusError && e.httpStatus === 400, sel);
  }
});

test('field selectors: supported fields per resource, = == !=, and unsupported fields rejected', () => {
  const pod = obj({}, { spec: { nodeName: 'n1' }, status: { phase: 'Running' } });
  assert.equal(fieldMatcher('status.phase=Running', '/pods')(pod), true);
  assert.equal(fieldMatcher('status.phase!=Running', '/pods')(pod), false);
  assert.equal(fieldMatcher('spec.nodeName==n1,metadata.namespace=n', '/pods')(pod), true);
  assert.equal(fieldMatcher('spec.nodeName=', '/pods')(obj({})), true);
  assert.throws(() => fieldMatcher('status.phase=Running', '/configmaps'), /field label not supported/);
  assert.equal(exactNameFromFieldSelector('metadata.name=abc'), 'abc');
  assert.equal(exactNameFromFieldSelector('metadata.name=abc,status.phase=x'), undefined);
});

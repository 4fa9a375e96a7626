import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonEqual } from './json-equal.js';

test('jsonEqual ignores key order and undefined members, but not array order or types', () => {
  assert.equal(jsonEqual({ a: 1, b: { c: [1, { d: 'x' }] } }, { b: { c: [1, { d: 'x' }] }, a: 1 }), true);
  assert.equal(jsonEqual({ a: 1, u: undefined }, { a: 1 }), true);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
  assert.equal(jsonEqual({ a: '1' }, { a: 1 }), false);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: null }), false);
  assert.equal(jsonEqual([], {}), false);
  assert.equal(jsonEqual(null, undefined), false);
});

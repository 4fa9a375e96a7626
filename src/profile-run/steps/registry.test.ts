import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STEP_KINDS } from '../../profile/schema.js';
import { STEP_MODULES } from './registry.js';

test('every step kind of the profile schema has its module, registered under its own kind', () => {
  assert.deepEqual(Object.keys(STEP_MODULES).sort(), [...STEP_KINDS].sort());
  for (const [kind, m] of Object.entries(STEP_MODULES)) {
    assert.equal(m.kind, kind);
    assert.equal(typeof m.run, 'function');
  }
});

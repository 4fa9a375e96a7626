import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coordinatorOptions } from './coordinator-options.js';
import { CLOCK_OFFSET_WARN_MS } from './clock.js';

const base = { shards: '3', image: 'racerig:test', rate: '100', duration: '2s' };

test('--clock-offset-warn sets the offset beyond which a shard is named (default 250 ms); a bad value is refused naming the flag', () => {
  assert.equal(coordinatorOptions('http://127.0.0.1:1/x', { ...base }, '/tmp').clockOffsetWarnMs, CLOCK_OFFSET_WARN_MS);
  assert.equal(coordinatorOptions('http://127.0.0.1:1/x', { ...base, clockOffsetWarn: '1.5s' }, '/tmp').clockOffsetWarnMs, 1500);
  assert.equal(coordinatorOptions('http://127.0.0.1:1/x', { ...base, clockOffsetWarn: '40ms' }, '/tmp').clockOffsetWarnMs, 40);
  for (const bad of ['soon', '0ms', '-5ms']) {
    assert.throws(() => coordinatorOptions('http://127.0.0.1:1/x', { ...base, clockOffsetWarn: bad }, '/tmp'), (err: Error) => err.message.includes('--clock-offset-warn must be a positive duration') && err.message.includes(bad));
  }
});

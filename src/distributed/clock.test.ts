import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClockEstimate, clockWarnings } from './clock.js';

test('the offset estimate is the largest shard-minus-received difference (the fastest line), a lower bound of the true offset', () => {
  const c = new ClockEstimate();
  assert.equal(c.offsetMs, undefined);
  const trueOffset = 400;
  // Lines written at shard time t arrive at our time t - offset + transit (transit 3..80 ms).
  for (const [t, transit] of [[1000, 80], [2000, 3], [3000, 40], [4000, 12]] as const) c.sample(t, t - trueOffset + transit);
  assert.equal(c.offsetMs, trueOffset - 3);
  assert.equal(c.samples, 4);
  c.sample(Number.NaN, 0);
  assert.equal(c.samples, 4, 'a line without a timestamp is no sample');
});

test('clock warnings name only the shards beyond the threshold, either sign', () => {
  const w = clockWarnings([{ index: 0, clockOffsetMs: -2.5 }, { index: 1, clockOffsetMs: 900 }, { index: 2 }, { index: 3, clockOffsetMs: -300 }], 250);
  assert.equal(w.length, 2);
  assert.match(w[0]!, /^shard 1: clock ahead by about 900 ms/);
  assert.match(w[1]!, /^shard 3: clock behind by about 300 ms .*late/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatThresholdActual } from './threshold-actual.js';

const outcomes = [
  { expression: 'p99(pod startup) < 5s', passed: true, actual: 64.863 },
  { expression: 'errors < 1%', passed: true, actual: 0.0025 },
  { expression: 'errors(exec pods) == 0', passed: true, actual: 0 },
  { expression: 'count(create pods) >= 100', passed: true, actual: 1204 },
  { expression: 'rate(list pods) > 50/s', passed: false, actual: 48.2345 },
  { expression: 'max(get pods) <= 250ms', passed: true, actual: 1.5, unit: 'ms' as const },
];

test('a threshold\'s actual value is printed in its unit: latency as a duration, ratios as %, counts plain, rates /s', () => {
  assert.deepEqual(outcomes.map(formatThresholdActual), ['64.9ms', '0.25%', '0', '1,204', '48.2/s', '1.50ms']);
  assert.equal(formatThresholdActual({ expression: 'p99 < 1s' }), '');
});


import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, parseThreshold } from './threshold.js';

test('thresholds parse into their typed form', () => {
  assert.deepEqual(parseThreshold('p99(create pods) < 1s'), { source: 'p99(create pods) < 1s', comparator: '<', operation: 'create pods', stat: 'percentile', percentile: 99, value: 1000, unit: 'ms' });
  assert.deepEqual(parseThreshold('p99.9(get pods)<=250ms'), { source: 'p99.9(get pods)<=250ms', comparator: '<=', operation: 'get pods', stat: 'percentile', percentile: 99.9, value: 250, unit: 'ms' });
  assert.deepEqual(parseThreshold('errors < 1%'), { source: 'errors < 1%', comparator: '<', stat: 'errors', value: 0.01, unit: 'ratio' });
  assert.deepEqual(parseThreshold('dropped == 0'), { source: 'dropped == 0', comparator: '==', stat: 'dropped', value: 0, unit: 'count' });
  assert.deepEqual(parseThreshold('errors(exec pods) == 0'), { source: 'errors(exec pods) == 0', comparator: '==', operation: 'exec pods', stat: 'errors', value: 0, unit: 'count' });
  assert.deepEqual(parseThreshold('count(create workflows) >= 100'), { source: 'count(create workflows) >= 100', comparator: '>=', operation: 'create workflows', stat: 'count', value: 100, unit: 'count' });
  assert.deepEqual(parseThreshold('rate(list pods) > 50/s'), { source: 'rate(list pods) > 50/s', comparator: '>', operation: 'list pods', stat: 'rate', value: 50, unit: 'per-second' });
  assert.deepEqual(parseThreshold('findings == 0'), { source: 'findings == 0', comparator: '==', stat: 'findings', value: 0, unit: 'count' });
  assert.deepEqual(parseThreshold('findings(race) == 0'), { source: 'findings(race) == 0', comparator: '==', operation: 'race', stat: 'findings', value: 0, unit: 'count' });
  assert.deepEqual(parseThreshold('max < 2s'), { source: 'max < 2s', comparator: '<', stat: 'max', value: 2000, unit: 'ms' });
});

test('invalid thresholds give a message naming the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['p99(create pods) < fast', /invalid latency "fast"/],
    ['p0(x) < 1s', /invalid percentile/],
    ['errors < 200%', /invalid percentage/],
    ['bogus > 3', /unknown statistic "bogus"/],
    ['p99 create pods < 1s', /invalid threshold/],
    ['rate(x) > lots', /invalid rate/],
    ['findings(races) == 0', /unknown finding kind "races".*race, panic/],
    ['findings < 1%', /invalid count "1%"/],
  ];
  for (const [text, re] of cases) {
    const r = parseThreshold(text);
    assert.equal(typeof r, 'string', text);
    assert.match(r as string, re, text);
  }
});

test('compare applies every comparator', () => {
  assert.deepEqual(
    (['<', '<=', '>', '>=', '==', '!='] as const).map((c) => [compare(c, 1, 2), compare(c, 2, 2)]),
    [[true, false], [true, true], [false, false], [false, true], [false, true], [true, false]],
  );
});

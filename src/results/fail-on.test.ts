import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateRules, parseFailRule } from './fail-on.js';
import { looksLikeSelector, matchesSelector, parseSelector } from './label-selector.js';
import type { Comparison, ComparisonRow } from './compare.js';
import { UsageError } from '../errors.js';

test('--fail-on rules parse by the documented grammar', () => {
  assert.deepEqual(parseFailRule('p99 > +10%'), { kind: 'metric', text: 'p99 > +10%', metric: 'p99', subject: undefined, comparator: '>', threshold: 10, unit: '%' });
  assert.deepEqual(parseFailRule('errors>+0.5pp'), { kind: 'metric', text: 'errors>+0.5pp', metric: 'errors', subject: undefined, comparator: '>', threshold: 0.5, unit: 'pp' });
  assert.deepEqual(parseFailRule(' throughput <= -5% '), { kind: 'metric', text: 'throughput <= -5%', metric: 'throughput', subject: undefined, comparator: '<=', threshold: -5, unit: '%' });
  const scoped = parseFailRule('p999[GET /api/v1/pods] >= 20%');
  assert.equal(scoped.kind === 'metric' && scoped.metric, 'p99.9');
  assert.equal(scoped.kind === 'metric' && scoped.subject, 'GET /api/v1/pods');
  assert.deepEqual(parseFailRule('new-findings'), { kind: 'new-findings', text: 'new-findings' });
  for (const bad of ['p99 > 10', 'p98 > +10%', 'p99 ~ 10%', 'errors > +1%', 'p99 > +1pp', 'latency']) {
    assert.throws(() => parseFailRule(bad), (e: unknown) => e instanceof UsageError && e.message.includes(bad), bad);
  }
});

function row(subject: string, metric: ComparisonRow['metric'], base: number, cand: number, significant: boolean | null, p?: number): ComparisonRow {
  const pp = metric === 'errors' || metric === 'dropped';
  return {
    subject, metric, unit: pp ? '%' : 'us', deltaUnit: pp ? 'pp' : '%',
    baseline: { values: [base], median: base }, candidate: { values: [cand], median: cand },
    delta: pp ? cand - base : base === 0 ? null : ((cand - base) / base) * 100, p, significant, worse: cand > base,
  };
}

function comparison(rows: ComparisonRow[]): Comparison {
  const side = { spec: 'x', kind: 'file' as const, files: [], runs: 1, labels: {}, partialRuns: 0, profile: 'p' };
  return {
    schema: 'racerig/compare@1', mode: 'runs', alpha: 0.05, confidence: 0.95, baseline: side, candidate: side, rows,
    findings: { baseline: {}, candidate: { panic: 1 }, observed: true, goneInCandidate: [],
      newInCandidate: [{ kind: 'panic', signature: 'nil pointer in spdy.(*Conn).Close', message: 'panic: ...', count: 1, runs: 1 }] },
    warnings: [], runsNeeded: { significance: 4, interval: 6 },
  };
}

test('a rule breaks on significant or untestable changes past its threshold, never on insignificant ones', () => {
  const cmp = comparison([
    row('all', 'p99', 1000, 1200, true, 0.002), // +20%, significant
    row('GET pods', 'p99', 1000, 1300, false, 0.3), // +30%, not significant: noise
    row('POST pods', 'p99', 1000, 1150, null), // +15%, too few runs to test
    row('exec', 'p99', 1000, 1050, true, 0.01), // +5%, below the threshold
    row('all', 'errors', 0.1, 0.7, true, 0.01), // +0.6pp
    row('all', 'throughput', 0, 50, null), // from 0
  ]);
  const failures = evaluateRules(cmp, [parseFailRule('p99 > +10%')]);
  assert.deepEqual(failures.map((f) => f.subject), ['all', 'POST pods']);
  assert.match(failures[0]!.message, /^all p99 changed \+20\.00% \(p=0\.002 < alpha 0\.05\)$/);
  assert.match(failures[1]!.message, /not tested for significance/);
  assert.equal(evaluateRules(cmp, [parseFailRule('errors > +0.5pp')]).length, 1);
  assert.equal(evaluateRules(cmp, [parseFailRule('errors > +0.7pp')]).length, 0);
  assert.equal(evaluateRules(cmp, [parseFailRule('p99[exec] > +4%')]).length, 1);
  assert.equal(evaluateRules(cmp, [parseFailRule('throughput > +100%')])[0]!.message, 'all throughput changed from 0 (not tested for significance: too few runs)');
  assert.match(evaluateRules(cmp, [parseFailRule('new-findings')])[0]!.message, /new panic in the candidate \(1× in 1 run\(s\)\): nil pointer/);
  assert.throws(() => evaluateRules(cmp, [parseFailRule('p99[nope] > 1%')]), /no compared p99 for "nope"/);
});

test('label selectors', () => {
  assert.equal(looksLikeSelector('build=3.6.0-rc1'), true);
  assert.equal(looksLikeSelector('build!=3.5.0,node=n2'), true);
  assert.equal(looksLikeSelector('results/run.json'), false);
  const sel = parseSelector('build=3.6.0, node!=n1');
  assert.deepEqual(sel, [{ key: 'build', value: '3.6.0', negated: false }, { key: 'node', value: 'n1', negated: true }]);
  assert.equal(matchesSelector({ build: '3.6.0', node: 'n2' }, sel), true);
  assert.equal(matchesSelector({ build: '3.6.0', node: 'n1' }, sel), false);
  assert.equal(matchesSelector({ build: '3.6.0' }, sel), true);
  assert.equal(matchesSelector({ build: '3.5.0' }, sel), false);
});

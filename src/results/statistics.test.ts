import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erfc, normalTwoSidedP } from './erfc.js';
import { mannWhitneyU, minimumTwoSidedP, runsNeededForSignificance } from './mann-whitney.js';
import { binomialCdfHalf, median, medianConfidenceInterval, samplesNeededForInterval } from './median-ci.js';

const close = (actual: number, expected: number, rel = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-300, `${actual} != ${expected}`);

test('erfc matches reference values (Python math.erfc)', () => {
  const ref: [number, number][] = [
    [0, 1],
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.96, 0.005573724535172132],
    [2, 0.004677734981047265],
    [2.5, 0.0004069520174449589],
    [3, 2.2090496998585438e-5],
    [5, 1.5374597944280351e-12],
    [8, 1.1224297172982928e-29],
  ];
  for (const [x, y] of ref) close(erfc(x), y, 1e-10);
  close(erfc(-1), 2 - 0.15729920705028513, 1e-12);
  close(normalTwoSidedP(1.959963984540054), 0.05, 1e-9);
});

// Exact values were enumerated over every assignment of the pooled values (itertools.combinations)
// and agree with scipy.stats.mannwhitneyu(method='exact') where scipy supports it (no ties).
test('Mann-Whitney U exact p-value without ties', () => {
  const r = mannWhitneyU([1.1, 3.4, 2.2, 5.6], [4.5, 6.7, 7.8, 8.9, 9.1]);
  assert.equal(r.u, 1);
  assert.equal(r.method, 'exact');
  assert.equal(r.ties, false);
  close(r.p, 0.031746031746031744); // = 2 * 2 / C(9, 4)
  const s = mannWhitneyU([10.2, 10.5, 10.1, 10.8, 10.3, 10.4], [11.0, 11.3, 10.9, 11.6, 11.1, 10.6]);
  assert.equal(s.u, 1);
  close(s.p, 0.004329004329004329); // = 2 * 2 / C(12, 6)
  // U of the other side is n1*n2 - U, with the same p-value.
  const t = mannWhitneyU([11.0, 11.3, 10.9, 11.6, 11.1, 10.6], [10.2, 10.5, 10.1, 10.8, 10.3, 10.4]);
  assert.equal(t.u, 35);
  close(t.p, s.p);
});

test('Mann-Whitney U exact p-value with ties (enumerated null distribution)', () => {
  const r = mannWhitneyU([1, 2, 2, 3, 3], [2, 3, 4, 4, 5]);
  assert.equal(r.u, 4);
  assert.equal(r.ties, true);
  assert.equal(r.method, 'exact');
  close(r.p, 0.1111111111111111); // enumeration: 14 of C(10, 5) = 252 arrangements in the smaller tail, doubled
  const same = mannWhitneyU([5, 6, 7, 8], [5, 6, 7, 8]);
  assert.equal(same.u, 8);
  assert.equal(same.p, 1);
  const constant = mannWhitneyU([3, 3, 3], [3, 3, 3]);
  assert.equal(constant.p, 1);
});

// Random small samples with many ties; U and p enumerated over every assignment in Python (itertools.combinations).
test('Mann-Whitney U exact p-values match full enumeration on tied samples', () => {
  const table: [number[], number[], number, number][] = [
    [[4, 6, 6, 3], [3, 4, 6, 4, 1, 1, 6], 18.5, 0.503030303030303],
    [[5, 4, 6, 1, 0], [3, 2, 1, 0], 14, 0.3968253968253968],
    [[5, 5, 0, 4, 3], [3, 5, 5, 4, 5, 1, 4], 15.5, 0.797979797979798],
    [[4], [0, 0, 0, 1, 1, 4, 0], 6.5, 0.5],
    [[2, 3, 4, 6, 1, 4, 1], [5, 2, 3, 0], 16, 0.7878787878787878],
    [[3, 5, 2, 3, 4, 6], [0], 6, 0.2857142857142857],
    [[2, 6, 1, 4, 2, 0], [0, 4, 6], 7.5, 0.7857142857142857],
    [[0], [6, 2, 3, 0], 0.5, 0.8],
  ];
  for (const [x, y, u, p] of table) {
    const r = mannWhitneyU(x, y);
    assert.equal(r.u, u, `U of ${x} vs ${y}`);
    close(r.p, p, 1e-12);
  }
});

test('Mann-Whitney U normal approximation with tie and continuity correction (scipy asymptotic)', () => {
  const x = [97, 105, 98, 97, 91, 98, 111, 104, 110, 102, 104, 102, 83, 109, 105, 105, 83, 83, 91, 95, 103, 100, 105, 94, 103,
    104, 93, 117, 106, 112, 94, 93, 97, 99, 106, 102, 96, 90, 95, 112, 92, 102, 104, 85, 100, 113, 80, 97, 99, 92, 105, 99,
    85, 108, 107, 109, 114, 104, 101, 87];
  const y = [111, 99, 100, 92, 95, 100, 118, 85, 90, 107, 119, 111, 86, 80, 109, 98, 94, 115, 116, 107, 107, 109, 121, 111,
    110, 110, 89, 118, 115, 110, 85, 99, 113, 87, 103, 115, 92, 121, 111, 103, 108, 111, 106, 116, 98, 101, 115, 105, 96, 114,
    120, 101, 91, 104, 104, 102, 119, 95, 118, 92, 97, 111, 116, 114, 108, 106, 107, 111, 103, 108];
  const r = mannWhitneyU(x, y);
  assert.equal(r.method, 'normal');
  assert.equal(r.u, 1388.5);
  close(r.p, 0.0008925049727675997, 1e-8);
});

test('smallest reachable p-value and the runs needed for significance', () => {
  close(minimumTwoSidedP(3, 3), 0.1); // 2 / C(6, 3)
  close(minimumTwoSidedP(4, 4), 2 / 70);
  assert.equal(runsNeededForSignificance(0.05), 4); // benchstat: "need >= 4 samples ... at alpha level 0.05"
  assert.equal(runsNeededForSignificance(0.01), 5); // 2 / C(10, 5) = 0.0079
});

// Textbook order-statistic intervals for the median at 95% (e.g. Conover, Practical Nonparametric
// Statistics, table A3; coverage = 1 - 2 P(Bin(n, 1/2) <= k - 1), checked with scipy.stats.binom).
test('median confidence intervals by order statistics', () => {
  const sample = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) * 10).reverse();
  assert.deepEqual(medianConfidenceInterval(sample(5)), { median: 30, n: 5 });
  const six = medianConfidenceInterval(sample(6));
  assert.equal(six.lo, 10);
  assert.equal(six.hi, 60);
  close(six.coverage!, 0.96875);
  const ten = medianConfidenceInterval(sample(10));
  assert.equal(ten.median, 55);
  assert.equal(ten.lo, 20); // x(2)
  assert.equal(ten.hi, 90); // x(9)
  close(ten.coverage!, 0.978515625);
  const twenty = medianConfidenceInterval(sample(20));
  assert.equal(twenty.lo, 60); // x(6)
  assert.equal(twenty.hi, 150); // x(15)
  close(twenty.coverage!, 0.9586105346679688);
  assert.equal(samplesNeededForInterval(0.95), 6);
  assert.equal(median([3, 1, 2]), 2);
  close(binomialCdfHalf(10, 1), 11 / 1024);
});

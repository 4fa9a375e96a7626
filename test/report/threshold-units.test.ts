import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSummary } from '../../src/report/summary.js';
import { renderResultMarkdown } from '../../src/report/result-markdown.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { makeRun } from '../results/make-run.js';

// As older result files store them: no unit, actual in the threshold's unit (ms for latencies).
const outcomes = [
  { expression: 'p99(pod startup) < 5s', passed: true, actual: 64.863 },
  { expression: 'errors < 1%', passed: true, actual: 0.0025 },
  { expression: 'rate(list pods) > 50/s', passed: false, actual: 48.2345 },
];

test('the summary, the markdown and the HTML report print actual values with units (older files without a stored unit too)', () => {
  const result = { ...makeRun({ seed: 1 }), thresholds: outcomes };
  const summary = renderSummary(result);
  assert.match(summary, /✓ p99\(pod startup\) < 5s {2}\(actual 64\.9ms\)/);
  assert.match(summary, /✗ rate\(list pods\) > 50\/s {2}\(actual 48\.2\/s\)/);
  assert.match(summary, /✓ errors < 1% {2}\(actual 0\.25%\)/);
  const md = renderResultMarkdown({ file: 'r.json', result });
  assert.match(md, /`p99\(pod startup\) < 5s` \(actual 64\.9ms\)/);
  const html = renderHtmlReport([{ file: 'r.json', result }]);
  assert.match(html, /<td>64\.9ms<\/td>/);
  assert.doesNotMatch(html, /64\.863/);
});

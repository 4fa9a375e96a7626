import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetricsScrapeObserver, deltaOf, relativeDifference } from './metrics-scrape.js';
import { FindingsCollector } from './findings.js';

test('deltaOf: per series and summed; a series that went down was reset; new series count from 0; non-finite values left out', () => {
  const before = new Map([
    ['{a="1"}', 10],
    ['{a="2"}', 50],
    ['{a="nan"}', NaN],
  ]);
  const after = new Map([
    ['{a="1"}', 15],
    ['{a="2"}', 7],
    ['{a="3"}', 4],
    ['{a="nan"}', NaN],
    ['{a="inf"}', Infinity],
  ]);
  assert.deepEqual(deltaOf(before, after), { total: 16, series: { '{a="1"}': 5, '{a="2"}': 7, '{a="3"}': 4 } });
  assert.deepEqual(deltaOf(undefined, undefined), { total: 0, series: {} });
});

test('relativeDifference', () => {
  assert.equal(relativeDifference(0, 0), 0);
  assert.equal(relativeDifference(100, 99), 0.01);
  assert.equal(relativeDifference(0, 5), 1);
});

test('windows per phase end and stop from fake scrapes; a failed scrape joins its window to the next; a cross-check without a server reader is refused', async () => {
  let n = 0;
  const bodies = ['x_total 1\n', 'x_total{k="a"} 4\nx_total{k="b"} 1\n', 'boom', 'x_total{k="a"} 9\nx_total{k="b"} 1\n'];
  const said: string[] = [];
  const findings = new FindingsCollector();
  const o = createMetricsScrapeObserver(
    { findings, say: (l) => void said.push(l), signal: new AbortController().signal },
    {
      url: 'http://127.0.0.1:1/metrics',
      metrics: ['x_total', 'missing_total'],
      fetchText: async () => {
        const b = bodies[n++]!;
        if (b === 'boom') throw new Error('connection refused');
        return b;
      },
    },
  );
  await o.start();
  await o.onPhase({ phase: 'p1', at: 'start' });
  await o.onPhase({ phase: 'p1', at: 'end' });
  await o.onPhase({ phase: 'p2', at: 'end' });
  findings.setPhase('cleanup');
  await o.stop();
  await o.stop();
  assert.equal(n, 4);
  assert.deepEqual(
    o.windows.map((w) => [w.phase, w.deltas.x_total!.total, w.deltas.x_total!.series, w.deltas.missing_total!.total]),
    [
      ['p1', 5, { '{k="a"}': 4, '{k="b"}': 1 }, 0],
      ['cleanup', 5, { '{k="a"}': 5, '{k="b"}': 0 }, 0],
    ],
  );
  assert.equal(o.failures, 1);
  assert.match(said[0]!, /scrape at the end of p2 failed: connection refused/);
  assert.throws(
    () => createMetricsScrapeObserver({ findings, say: () => {}, signal: new AbortController().signal }, { url: 'http://127.0.0.1:1/', metrics: [], crossCheck: { sutMetric: 'a', userAgent: 'b' } }),
    (e: Error & { code?: string }) => e.code === 'RACERIG_OBSERVE_METRICS',
  );
});

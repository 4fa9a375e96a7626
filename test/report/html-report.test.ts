import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderHtmlReport } from '../../src/report/html-report.js';
import type { LoadedResult } from '../../src/results/read-result.js';
import { makeRun, OPERATIONS } from '../results/make-run.js';
import { findChromium, openHeadless } from './headless-chromium.js';

// The build folder this test runs from (dist/, dist-compare/ ...): screenshots go to <build>/test-artifacts/.
const buildDir = fileURLToPath(new URL('../../', import.meta.url));

async function writeReport(): Promise<{ dir: string; html: string; page: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'racerig-html-'));
  const results: LoadedResult[] = [
    { file: join(dir, 'base.json'), result: makeRun({ seed: 1, labels: { build: '3.5.0' }, podStartupUs: 800_000 }) },
    {
      file: join(dir, 'cand.json'),
      result: makeRun({
        seed: 2, labels: { build: '3.6.0-rc1' }, extraUs: 1500, errorRate: 0.02, podStartupUs: 1_100_000,
        findings: [{ kind: 'race', signature: 'DATA RACE: metrics.(*Transport).RoundTrip', message: 'DATA RACE: write in metrics.(*Transport).RoundTrip', count: 2, phase: 'load', source: 'sut', firstAt: '2026-12-06T03:00:00.000Z', report: '==================\nWARNING: DATA RACE\nWrite at 0x00c000 by goroutine 7:\n  metrics.(*Transport).RoundTrip()\n<end>' }],
      }),
    },
  ];
  const page = join(dir, 'report.html');
  const html = renderHtmlReport(results);
  await writeFile(page, html);
  return { dir, html, page };
}

test('the HTML report is one self-contained file with every section', async () => {
  const { dir, html } = await writeReport();
  try {
    assert.doesNotMatch(html, /<(link|img|iframe)\b/i);
    assert.doesNotMatch(html, /<script[^>]+src=/i);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    for (const id of ['runs', 'over-time', 'spectrum', 'latency', 'status', 'thresholds', 'findings', 'config']) {
      assert.match(html, new RegExp(`<section id="${id}">`));
    }
    // One spectrum per operation, overlaying both results, corrected and uncorrected.
    for (const op of OPERATIONS) assert.ok(html.includes(`${op}: latency by percentile`));
    assert.equal((html.match(/data-series="#2 build=3\.6\.0-rc1 uncorrected"/g) ?? []).length, OPERATIONS.length);
    assert.match(html, /DATA RACE: metrics\.\(\*Transport\)\.RoundTrip/);
    // Each signature's first full report, escaped, with its phase.
    assert.match(html, /<td class="l">load<\/td>/);
    assert.match(html, /<details><summary>first report \(2026-12-06T03:00:00\.000Z, sut\)<\/summary><pre>==================\nWARNING: DATA RACE\nWrite at 0x00c000 by goroutine 7:\n {2}metrics\.\(\*Transport\)\.RoundTrip\(\)\n&lt;end&gt;<\/pre><\/details>/);
    assert.match(html, /<code>p99 &lt; 50ms<\/code>/);
    assert.ok(html.includes('lifecycle pod startup: latency by percentile'));
    assert.match(html, /<td class="l">config concurrency<\/td><td class="l">8<\/td><td class="l">8<\/td>/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the HTML report renders in headless Chromium without errors', async (t) => {
  const chromium = findChromium();
  if (!chromium) {
    t.skip('chromium is not installed (.ci/run installs it; or set RACERIG_CHROMIUM)');
    return;
  }
  const { dir, page: file } = await writeReport();
  const page = await openHeadless(chromium, pathToFileURL(file).href);
  try {
    const state = await page.evaluate<{ charts: string; drawn: string; paths: number; title: string }>(
      `({ charts: document.body.dataset.charts, drawn: document.body.dataset.chartsDrawn,
          paths: document.querySelectorAll('svg.chart path[data-series]').length, title: document.title })`,
    );
    // 4 over time + 3 operation spectra + 1 lifecycle spectrum + 1 status bar chart, every one with visible marks.
    assert.equal(state.charts, '9');
    assert.equal(state.drawn, '9');
    assert.ok(state.paths >= 4 * 2 + OPERATIONS.length * 4, `paths: ${state.paths}`);
    assert.equal(state.title, 'racerig report: 2 results');
    const png = await page.screenshot();
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    await mkdir(join(buildDir, 'test-artifacts'), { recursive: true });
    const shot = join(buildDir, 'test-artifacts', 'html-report.png');
    await writeFile(shot, png);
    t.diagnostic(`screenshot: ${shot}`);
    // The legend checkbox hides a result's curves.
    const hidden = await page.evaluate<number>(
      `(() => { const box = document.querySelector('input[data-toggle="1"]'); box.click();
        return document.querySelectorAll('svg .series.hidden[data-result="1"]').length; })()`,
    );
    assert.ok(hidden >= 4 + OPERATIONS.length, `hidden series: ${hidden}`);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('HTML report of profile runs: measurements are no HTTP 200, 200 and 201 differ in colour, short legends, one row when corrected = uncorrected, the partial last second is a rate, a constant in-flight is a sentence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'racerig-html-profile-'));
  try {
    const run = (seed: number, repeat: string): LoadedResult => {
      const r = makeRun({ seed, labels: { build: '3.6.0', repeat } });
      const [get, post] = r.operations;
      get!.status = { '200': get!.requests };
      post!.status = { '201': post!.requests };
      // As files written before measurements were recorded apart: a delivery-lag operation with "HTTP 200".
      r.operations.push({ ...get!, name: 'watch pods · delivery lag', measurement: true, status: { '200': 500 }, requests: 500, uncorrectedLatencyUs: get!.latencyUs });
      // Closed model: corrected = uncorrected.
      post!.uncorrectedLatencyUs = post!.latencyUs;
      // The last interval is 0.25 s long with a quarter of a second's requests; in flight never changes.
      const ts = r.timeSeries;
      const last = ts[ts.length - 1]!;
      ts.push({ ...last, t: last.t + 0.25, requests: Math.round(last.requests / 4) });
      for (const p of ts) p.inFlight = 16;
      return { file: join(dir, `2025-01-01T00-00-0${repeat}Z-argo-multi-component.json`), result: r };
    };
    const results = [run(1, '1'), run(2, '2')];
    const html = renderHtmlReport(results);
    // The status chart and table: no measurement row.
    const status = html.slice(html.indexOf('<section id="status">'), html.indexOf('<section id="thresholds">'));
    assert.doesNotMatch(status, /delivery lag/);
    const color = (code: string) => new Set([...status.matchAll(new RegExp(`data-series="HTTP ${code}"[^>]*fill="(#[0-9a-f]+)"`, 'g'))].map((m) => m[1]));
    const c200 = color('200');
    const c201 = color('201');
    assert.equal(c200.size, 1, `HTTP 200 has one colour: ${[...c200]}`);
    assert.equal(c201.size, 1, `HTTP 201 has one colour: ${[...c201]}`);
    assert.notDeepEqual([...c200], [...c201]);
    // Legends name results by the labels that differ, never by the file name.
    assert.match(html, /data-series="#1 repeat=1 requests\/s"/);
    assert.doesNotMatch(html.replace(/<section id="(runs|config)">[\s\S]*?<\/section>/g, ''), /argo-multi-component\.json/);
    // One latency row for an operation whose corrected and uncorrected latencies are the same.
    const latency = html.slice(html.indexOf('<section id="latency">'), html.indexOf('<section id="status">'));
    assert.equal((latency.match(/POST \/api\/v1\/namespaces\/\{ns\}\/pods<\/td><td class="l">[^<]*</g) ?? []).length, 2, 'one row per result');
    assert.match(latency, /corrected = uncorrected/);
    assert.match(latency, /watch pods · delivery lag<\/td><td class="l">samples<\/td>(<td>[^<]*<\/td>){7}<td>–<\/td>/);
    // Throughput of the last (0.25 s) interval is drawn as a rate, not a drop to a quarter.
    const last = results[0]!.result.timeSeries.at(-1)!;
    assert.match(html, new RegExp(`<title>#1 repeat=1 requests/s: ${last.t}s → ${last.requests * 4}</title>`), 'last point at its rate');
    assert.match(html, /id="inflight-constant">Requests in flight: 16 at every second of every run/);
    assert.doesNotMatch(html, /id="chart-inflight"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

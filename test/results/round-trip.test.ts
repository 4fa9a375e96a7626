import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { ExitCode } from '../../src/exit-codes.js';
import { newHistogram, decodeHistogram } from '../../src/metrics/histogram.js';
import { mergeHistograms } from '../../src/results/merge-histograms.js';
import { runMetrics, ALL_OPERATIONS } from '../../src/results/run-metrics.js';
import type { RunResult } from '../../src/results/model.js';
import { makeRun, writeRuns, OPERATIONS } from './make-run.js';

let dir = '';
let files: string[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'racerig-report-'));
  files = await writeRuns(join(dir, 'results'), 'run', [{ seed: 7, labels: { build: 'a' } }, { seed: 8, labels: { build: 'b' }, extraUs: 500 }]);
});
after(() => rm(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const ctx = captureContext({ cwd: dir });
  const code = await main(argv, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

test('a merged histogram equals the histogram of all samples', () => {
  const samples = new Map<string, number[]>();
  const result = makeRun({ seed: 3, samples });
  const merged = mergeHistograms(result.operations.map((o) => o.latencyUs.hdr));
  const direct = newHistogram();
  for (const values of samples.values()) for (const v of values) direct.recordValue(v);
  assert.equal(merged.totalCount, OPERATIONS.length * 2000);
  assert.equal(merged.totalCount, direct.totalCount);
  for (let p = 0; p <= 100; p += 0.25) assert.equal(merged.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
  assert.equal(merged.getValueAtPercentile(99.999), direct.getValueAtPercentile(99.999));
  assert.equal(merged.mean, direct.mean);
  // maxValue differs in representation only: a decoded histogram knows the bucket (highest equivalent value), not the raw sample.
  assert.equal(merged.getValueAtPercentile(100), direct.getValueAtPercentile(100));
  assert.equal(merged.maxValue, direct.getValueAtPercentile(100));
  // The `all` subject of a comparison uses exactly these merged percentiles.
  const all = runMetrics(result).get(ALL_OPERATIONS)!;
  assert.equal(all.get('p99'), direct.getValueAtPercentile(99));
  assert.equal(all.get('p50'), direct.getValueAtPercentile(50));
});

test('report --format json gives back the numbers of the result file and of its histograms', async () => {
  const r = await run('report', files[0]!, '--format', 'json');
  assert.equal(r.code, ExitCode.Ok, r.err);
  const doc = JSON.parse(r.out) as { schema: string; results: RunResult[] };
  const original = JSON.parse(await readFile(files[0]!, 'utf8')) as RunResult;
  assert.equal(doc.schema, 'racerig/report@1');
  assert.equal(doc.results.length, 1);
  const got = doc.results[0]!;
  assert.deepEqual(got.totals, original.totals);
  assert.deepEqual(got.labels, { build: 'a' });
  original.operations.forEach((op, i) => {
    const { hdr, ...latency } = op.latencyUs;
    assert.deepEqual(got.operations[i]!.latencyUs, latency);
    assert.equal(got.operations[i]!.requests, op.requests);
    assert.deepEqual(got.operations[i]!.status, op.status);
    const h = decodeHistogram(hdr);
    assert.equal(got.operations[i]!.latencyUs.p99, h.getValueAtPercentile(99));
    assert.equal(got.operations[i]!.latencyUs.count, h.totalCount);
  });
});

test('report renders the terminal summary, markdown, and several results by selector', async () => {
  const text = await run('report', files[0]!);
  assert.equal(text.code, ExitCode.Ok, text.err);
  for (const op of OPERATIONS) assert.ok(text.out.includes(op), `summary lists ${op}`);
  assert.match(text.out, /build=a/);
  const md = await run('report', 'build=b', '--format', 'markdown');
  assert.equal(md.code, ExitCode.Ok, md.err);
  assert.match(md.out, /^## racerig: pod-churn$/m);
  assert.match(md.out, /^\| operation \| requests \| rate \| p50 \| p90 \| p99 \| p99\.9 \| max \| errors \| dropped \|$/m);
  assert.match(md.out, /- \*\*labels\*\*: `build=b`/);
  // A folder: other JSON (not a racerig result) is skipped.
  await writeFile(join(dir, 'results', 'notes.json'), JSON.stringify({ hello: 1 }));
  const both = await run('report', 'results');
  assert.equal(both.code, ExitCode.Ok, both.err);
  assert.equal((both.out.match(/^file: /gm) ?? []).length, 2);
});

test('report --hgrm prints the percentile distribution of one operation', async () => {
  const r = await run('report', files[0]!, '--hgrm', OPERATIONS[0]!);
  assert.equal(r.code, ExitCode.Ok, r.err);
  assert.match(r.out, /Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
  assert.match(r.out, /#\[Mean\s+=/);
  assert.match(r.out, /Total count\s+=\s+2000\]/);
  const bad = await run('report', files[0]!, '--hgrm', 'DELETE nothing');
  assert.equal(bad.code, ExitCode.Usage);
  assert.match(bad.err, /has no operation "DELETE nothing"/);
});

test('report --html writes the HTML report beside the text output', async () => {
  const r = await run('report', ...files, '--html', 'out/report.html');
  assert.equal(r.code, ExitCode.Ok, r.err);
  assert.match(r.err, /wrote HTML report .*out\/report\.html/);
  const html = await readFile(join(dir, 'out', 'report.html'), 'utf8');
  assert.match(html, /<title>racerig report: 2 results<\/title>/);
  assert.ok((await stat(join(dir, 'out', 'report.html'))).size > 10_000);
});

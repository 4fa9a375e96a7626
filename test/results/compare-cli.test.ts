import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { Comparison } from '../../src/results/compare.js';
import { writeRuns, OPERATIONS } from './make-run.js';

// Six runs per side: enough for Mann-Whitney significance (4) and for 95% median intervals (6).
const SEEDS_A = [1, 2, 3, 4, 5, 6];
const SEEDS_B = [11, 12, 13, 14, 15, 16];
const RACE = { kind: 'race', signature: 'DATA RACE: write at metrics.(*Transport).RoundTrip', message: 'WARNING: DATA RACE', count: 3 };
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'racerig-compare-'));
  // Baseline build and a candidate whose every request takes 1 ms longer (median is 2-4 ms), with a new race.
  await writeRuns(join(dir, 'results', 'v1'), 'run', SEEDS_A.map((seed) => ({ seed, labels: { build: '3.5.0' } })));
  await writeRuns(join(dir, 'results', 'v2'), 'run', SEEDS_B.map((seed) => ({
    seed, labels: { build: '3.6.0-rc1' }, extraUs: 1000, findings: seed === 12 ? [RACE] : [],
  })));
  // Two builds without any change (different seeds, same distributions).
  await writeRuns(join(dir, 'same', 'a'), 'run', [21, 22, 23, 24, 25].map((seed) => ({ seed })));
  await writeRuns(join(dir, 'same', 'b'), 'run', [31, 32, 33, 34, 35].map((seed) => ({ seed })));
  await writeRuns(join(dir, 'one'), 'run', [{ seed: 100 }, { seed: 101, extraUs: 1000 }]);
  await writeRuns(join(dir, 'two', 'a'), 'run', [{ seed: 41 }, { seed: 42 }]);
  await writeRuns(join(dir, 'two', 'b'), 'run', [{ seed: 43 }, { seed: 44 }]);
  // Three runs a side of profile runs (each with its own runId), the candidate clearly slower.
  const profileConfig = (runId: string) => ({ profile: 'profiles/pod-churn.yaml', runId, workers: 2, connectionsPerWorker: 16 });
  await writeRuns(join(dir, 'three', 'a'), 'run', [81, 82, 83].map((seed) => ({ seed, config: profileConfig(`a${seed}`) })));
  await writeRuns(join(dir, 'three', 'b'), 'run', [84, 85, 86].map((seed) => ({ seed, extraUs: 1000, config: profileConfig(`b${seed}`) })));
  await writeRuns(join(dir, 'life', 'a'), 'run', [61, 62, 63, 64].map((seed) => ({ seed, podStartupUs: 800_000 })));
  await writeRuns(join(dir, 'life', 'b'), 'run', [65, 66, 67, 68].map((seed) => ({ seed, podStartupUs: 1_200_000 })));
  const single = ['GET /api/v1/pods'];
  await writeRuns(join(dir, 'url', 'a'), 'run', [{ seed: 71, noProfile: true, url: 'http://127.0.0.1:40001/api/v1/pods', operations: single }]);
  await writeRuns(join(dir, 'url', 'b'), 'run', [{
    seed: 72, noProfile: true, url: 'http://127.0.0.1:40002/api/v1/pods', operations: single,
    config: { concurrency: 16, rate: 600, duration: '10s', url: 'http://127.0.0.1:40002/api/v1/pods' },
  }]);
  await writeRuns(join(dir, 'url', 'c'), 'run', [{ seed: 73, noProfile: true, url: 'http://127.0.0.1:40003/api/v1/nodes' }]);
  await writeRuns(join(dir, 'other'), 'run', [{ seed: 51, profileName: 'exec-storm', profileSha: 'b'.repeat(64) }]);
});
after(() => rm(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const ctx = captureContext({ cwd: dir });
  const code = await main(argv, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

test('compare flags injected latency as significant and --fail-on exits 10', async () => {
  const r = await run('compare', 'build=3.5.0', 'build=3.6.0-rc1', '--fail-on', 'p50 > +10%', '--fail-on', 'new-findings', '--format', 'json');
  assert.equal(r.code, ExitCode.Regression);
  const cmp = JSON.parse(r.out) as Comparison & { gate: { passed: boolean; failures: { rule: string; message: string }[] } };
  assert.equal(cmp.mode, 'runs');
  assert.equal(cmp.baseline.runs, 6);
  assert.deepEqual(cmp.candidate.labels, { build: '3.6.0-rc1' });
  for (const op of OPERATIONS) {
    const p50 = cmp.rows.find((row) => row.subject === op && row.metric === 'p50')!;
    assert.equal(p50.significant, true, `${op} p50 should differ significantly`);
    assert.ok(p50.p! < 0.01 && p50.delta! > 10, `${op}: p=${p50.p} delta=${p50.delta}`);
    assert.ok(p50.baseline.lo! <= p50.baseline.median && p50.baseline.median <= p50.baseline.hi!);
    // Six runs: the 95% interval is [min, max] of the six medians (coverage 1 - 2/64).
    assert.equal(p50.baseline.lo, Math.min(...p50.baseline.values));
  }
  const throughput = cmp.rows.find((row) => row.subject === 'all' && row.metric === 'throughput')!;
  assert.equal(throughput.significant, false);
  assert.equal(cmp.gate.passed, false);
  assert.ok(cmp.gate.failures.some((f) => f.rule === 'p50 > +10%' && f.message.startsWith(OPERATIONS[0]!)));
  assert.ok(cmp.gate.failures.some((f) => f.rule === 'new-findings' && f.message.includes(RACE.signature)));
  assert.deepEqual(cmp.findings.candidate, { race: 3 });
  assert.deepEqual(cmp.findings.baseline, {});
  assert.match(r.err, /racerig: regression: p50 > \+10%/);
});

test('compare text output reads like benchstat', async () => {
  const r = await run('compare', 'results/v1', 'results/v2');
  assert.equal(r.code, ExitCode.Ok); // no --fail-on: a report, not a gate
  assert.match(r.out, /^baseline: {2}build=3\.5\.0: 6 runs from folder results\/v1; profile pod-churn/m);
  assert.match(r.out, /GET \/api\/v1\/namespaces\/\{ns\}\/pods +throughput +200\.0\/s ±0% +200\.0\/s ±0% +~ +p=1\.000 n=6\+6/);
  assert.match(r.out, /p50 +2\.\d\dms ±\d+% +(2|3)\.\d\dms ±\d+% +\+\d+\.\d\d% +p=0\.002 n=6\+6/);
  assert.match(r.out, /errors +0\.\d\d% ±0\.\d\dpp +0\.\d\d% ±0\.\d\dpp/);
  assert.match(r.out, /new in candidate: race 3× in 1 run\(s\): DATA RACE/);
});

test('compare of two unchanged builds finds no significant difference and exits 0', async () => {
  const r = await run('compare', 'same/a', 'same/b', '--fail-on', 'p99 > +10%', '--fail-on', 'p50 > +5%', '--format', 'json');
  assert.equal(r.code, ExitCode.Ok, r.err);
  const cmp = JSON.parse(r.out) as Comparison;
  // Fixed seeds make this deterministic; every row is tested (5 runs a side) and none is significant.
  assert.ok(cmp.rows.length >= 28);
  assert.deepEqual(cmp.rows.filter((row) => row.significant !== false).map((row) => `${row.subject} ${row.metric}`), []);
});

test('one run per side compares the histograms directly and says significance needs repeated runs', async () => {
  const r = await run('compare', 'one/run-1.json', 'one/run-2.json', '--fail-on', 'p50 > +10%');
  assert.equal(r.code, ExitCode.Regression);
  assert.match(r.out, /one run per side: the runs' HdrHistograms are compared directly; significance needs repeated runs \(at least 4 per side at alpha 0\.05/);
  assert.match(r.out, /gate FAILED/);
  assert.match(r.out, /not tested for significance/);
  const json = JSON.parse((await run('compare', 'one/run-1.json', 'one/run-2.json', '--format', 'json')).out) as Comparison;
  assert.equal(json.mode, 'histograms');
  const p99 = json.rows.find((row) => row.subject === 'all' && row.metric === 'p99')!;
  assert.equal(p99.p, undefined);
  assert.equal(p99.baseline.median, p99.baseline.merged);
});

test('too few runs: the warning names the number of runs needed', async () => {
  const r = await run('compare', 'two/a', 'two/b', '--alpha', '0.01');
  assert.equal(r.code, ExitCode.Ok);
  assert.match(r.out, /warning: too few runs for significance at alpha 0\.01: baseline has 2, candidate has 2; need at least 5 per side/);
  assert.match(r.out, /warning: confidence intervals \(95%\) need at least 6 runs per side/);
});

test('three runs a side: every row says it cannot be significant, the too-few-runs warning comes first, runId is no difference', async () => {
  const r = await run('compare', 'three/a', 'three/b');
  assert.equal(r.code, ExitCode.Ok);
  const lines = r.out.split('\n');
  const warning = lines.findIndex((l) => l.startsWith('warning: too few runs for significance at alpha 0.05: baseline has 3, candidate has 3; need at least 4 per side'));
  const header = lines.findIndex((l) => /^subject +metric +baseline/.test(l));
  assert.ok(warning >= 0 && header > warning, `the warning comes before the table:\n${r.out}`);
  // A row with a change carries the mark and says why in its own p-value column.
  assert.match(r.out, /p50 +\S+ +\S+ +\+\d+\.\d\d% \? +n=3\+3: too few runs to test/);
  assert.match(r.out, /^\?: cannot be significant with this many runs.*racerig run --repeat 4\)$/m);
  assert.doesNotMatch(r.out, /^~:/m, 'no legend for a mark that never appears');
  assert.doesNotMatch(r.out, /runId/);
  const md = (await run('compare', 'three/a', 'three/b', '--format', 'markdown')).out;
  assert.ok(md.indexOf('### Warnings') < md.indexOf('| subject'), 'markdown: warnings before the table');
  assert.match(md, /\| \+\d+\.\d\d% \? \| n=3\+3: too few runs to test \|/);
});

test('runs of different profiles do not compare unless --ignore-profile', async () => {
  const r = await run('compare', 'one/run-1.json', 'other');
  assert.equal(r.code, ExitCode.Usage);
  assert.match(r.err, /these runs do not compare: the runs come from different profiles/);
  assert.match(r.err, /profile exec-storm \(sha256 bbbbbbbbbbbb\): candidate /);
  assert.match(r.err, /hint: .*--ignore-profile/);
  const forced = await run('compare', 'one/run-1.json', 'other', '--ignore-profile');
  assert.equal(forced.code, ExitCode.Ok);
  assert.match(forced.out, /warning: these runs do not compare.*compared anyway/);
});

test('a newer result schema is refused with the version this racerig reads', async () => {
  const file = join(dir, 'future.json');
  const doc = JSON.parse(await readFile(join(dir, 'one', 'run-1.json'), 'utf8'));
  await writeFile(file, JSON.stringify({ ...doc, schema: 'racerig/result@2' }));
  const r = await run('compare', 'future.json', 'one/run-2.json');
  assert.equal(r.code, ExitCode.Usage);
  assert.match(r.err, /future\.json: result schema "racerig\/result@2" is newer than this racerig reads \("racerig\/result@1"\)/);
  await writeFile(file, JSON.stringify({ hello: 1 }));
  const r2 = await run('compare', 'future.json', 'one/run-2.json');
  assert.match(r2.err, /not a racerig result file \(schema is null, expected "racerig\/result@1"\)/);
});

test('selectors that match nothing and malformed rules are usage errors', async () => {
  const none = await run('compare', 'build=9.9.9', 'build=3.5.0');
  assert.equal(none.code, ExitCode.Usage);
  assert.match(none.err, /label selector "build=9\.9\.9" matches none of the 12 results in results/);
  assert.match(none.err, /labels found there: build: 3\.5\.0, 3\.6\.0-rc1/);
  const bad = await run('compare', 'same/a', 'same/b', '--fail-on', 'p99 > 10ms');
  assert.equal(bad.code, ExitCode.Usage);
  assert.match(bad.err, /invalid --fail-on rule "p99 > 10ms"/);
  const alpha = await run('compare', 'same/a', 'same/b', '--alpha', '5');
  assert.equal(alpha.code, ExitCode.Usage);
});

test('compare --format markdown and csv', async () => {
  const md = await run('compare', 'build=3.5.0', 'build=3.6.0-rc1', '--format', 'markdown');
  assert.match(md.out, /^## racerig compare$/m);
  assert.match(md.out, /^\| subject \| metric \| baseline \| candidate \| delta \| p-value \|$/m);
  assert.match(md.out, /^\| GET \/api\/v1\/namespaces\/\{ns\}\/pods \| throughput \|/m);
  const csv = await run('compare', 'build=3.5.0', 'build=3.6.0-rc1', '--format', 'csv');
  const lines = csv.out.trimEnd().split('\n');
  assert.equal(lines[0], 'subject,metric,unit,baseline_median,baseline_lo,baseline_hi,baseline_n,baseline_merged,candidate_median,candidate_lo,candidate_hi,candidate_n,candidate_merged,delta,delta_unit,p,significant');
  assert.equal(lines.length, 1 + 4 * 7);
  const p50 = lines.find((l) => l.startsWith('GET /api/v1/namespaces/{ns}/pods,p50,us,'))!.split(',');
  assert.equal(p50[6], '6');
  assert.equal(p50[16], 'true');
});

test('lifecycle latencies compare like operations and rules can name them', async () => {
  const r = await run('compare', 'life/a', 'life/b', '--fail-on', 'p50[lifecycle: pod startup] > +25%', '--format', 'json');
  assert.equal(r.code, ExitCode.Regression, r.err);
  const cmp = JSON.parse(r.out) as Comparison & { gate: { failures: { subject: string }[] } };
  const rows = cmp.rows.filter((row) => row.subject === 'lifecycle: pod startup');
  assert.deepEqual(rows.map((row) => row.metric), ['p50', 'p90', 'p99', 'p99.9']);
  assert.equal(rows[0]!.significant, true);
  assert.ok(Math.abs(rows[0]!.delta! - 50) < 10, `delta ${rows[0]!.delta}`);
  assert.deepEqual(cmp.gate.failures.map((f) => f.subject), ['lifecycle: pod startup']);
});

test('runs without a profile compare by URL path, and differing options are warned about', async () => {
  const r = await run('compare', 'url/a', 'url/b');
  assert.equal(r.code, ExitCode.Ok, r.err);
  assert.match(r.out, /run of \/api\/v1\/pods \(no profile\)/);
  assert.match(r.out, /warning: the sides ran with different config concurrency: baseline 8, candidate 16/);
  assert.doesNotMatch(r.out, /different config url/);
  // One operation: no `all` rows repeating it.
  assert.doesNotMatch(r.out, /^all /m);
  assert.match(r.out, /^GET \/api\/v1\/pods +throughput/m);
  const other = await run('compare', 'url/a', 'url/c');
  assert.equal(other.code, ExitCode.Usage);
  assert.match(other.err, /run of \/api\/v1\/nodes \(no profile\): candidate/);
});

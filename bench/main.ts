/**
 * The benchmark suite: `npm run bench` (full, within 10 minutes) and `npm run bench:quick` (about 2).
 * Starts its own loopback targets, runs racerig and the installed peers scenario by scenario, and
 * writes the tables, the machine, the date and the exact commands to bench/results.md.
 *
 * Options: --quick, --only <id,id> (peak, co, rate, cpu, mock, profile, profile-peak, shards, responsive, memory), --memory-minutes <n>, --co-rate <n>,
 * --target nginx|node, --out <file.md>, --json <file.json> (raw results), --cpu-prof <dir> (profile racerig),
 * --note <text> (repeatable; printed under Notes, e.g. which commit the build was made from).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './measure/paths.js';
import { startNginx } from './targets/nginx.js';
import { startJsonServerProcess } from './targets/json-server.js';
import { assertLoopback, type Target } from './targets/target.js';
import { autocannon } from './tools/autocannon.js';
import { hey } from './tools/hey.js';
import { RACERIG_NODE_ARGS, racerig, racerigBuildProblem } from './tools/racerig.js';
import { wrk } from './tools/wrk.js';
import type { Tool } from './tools/tool.js';
import { coordinatedOmission } from './scenarios/coordinated-omission.js';
import { cpuCost } from './scenarios/cpu-cost.js';
import { memoryOverTime } from './scenarios/memory.js';
import { mockApi } from './scenarios/mock-api.js';
import { defaultProfile } from './scenarios/default-profile.js';
import { profilePeak } from './scenarios/profile-peak.js';
import { peakThroughput } from './scenarios/peak-throughput.js';
import { rateAccuracy } from './scenarios/rate-accuracy.js';
import { sharding } from './scenarios/sharding.js';
import { responsiveness } from './scenarios/responsiveness.js';
import type { BenchContext, Scenario, ScenarioReport } from './scenarios/scenario.js';
import { machineFacts } from './report/machine.js';
import { renderResults } from './report/results-md.js';

const SCENARIOS: [string, Scenario][] = [
  ['peak', peakThroughput],
  ['co', coordinatedOmission],
  ['rate', rateAccuracy],
  ['cpu', cpuCost],
  ['mock', mockApi],
  ['profile', defaultProfile],
  ['profile-peak', profilePeak],
  ['shards', sharding],
  ['responsive', responsiveness],
];
/** Seconds the full suite may take; the memory run gets what the other scenarios leave. */
const FULL_BUDGET_SEC = 570;
const DEFAULT_MEMORY_MINUTES = 4;

async function startTarget(kind: string | undefined): Promise<Target> {
  const target = kind === 'node' ? undefined : await startNginx();
  if (target) return target;
  if (kind === 'nginx') throw new Error('nginx was requested (--target nginx) but is not installed or did not start');
  return startJsonServerProcess();
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'memory-minutes': { type: 'string' },
      'co-rate': { type: 'string' },
      'cpu-prof': { type: 'string' },
      note: { type: 'string', multiple: true },
      target: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  for (const key of ['co-rate', 'memory-minutes'] as const) {
    const v = values[key];
    if (v !== undefined && !(Number(v) > 0)) throw new Error(`--${key} needs a positive number, got ${JSON.stringify(v)}`);
  }
  const only = values.only?.split(',').map((s) => s.trim());
  const wanted = (id: string): boolean => (only ? only.includes(id) : id !== 'memory' || !quick);
  const out = values.out ?? join(REPO_ROOT, 'bench', quick ? 'results-quick.md' : 'results.md');
  const started = Date.now();
  const elapsed = (): number => (Date.now() - started) / 1000;
  const log = (line: string): void => void process.stderr.write(`[${elapsed().toFixed(0).padStart(3)} s] ${line}\n`);

  const notes: string[] = [...(values.note ?? [])];
  if (values['cpu-prof']) {
    // Every racerig thread (main and workers) writes a .cpuprofile; profiling costs CPU, so say so in the results.
    RACERIG_NODE_ARGS.push('--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`);
    notes.push(`racerig ran under \`node --cpu-prof\` (profiles in ${values['cpu-prof']}); its CPU and throughput numbers include the profiler's cost.`);
  }
  const build = racerigBuildProblem();
  if (build) {
    log(`${build.fatal ? 'racerig skipped' : 'warning'}: ${build.message}`);
    notes.push(build.message);
  }
  const tools: Tool[] = [racerig, autocannon, wrk, hey].filter((t) => (t === racerig ? !build?.fatal : t.available()));
  for (const t of [autocannon, wrk, hey]) if (!t.available()) notes.push(`${t.name} is not installed; its rows are missing.`);

  const facts = machineFacts();
  const target = await startTarget(values.target);
  assertLoopback(target.url);
  log(`target: ${target.name} at ${target.url}; tools: ${tools.map((t) => t.name).join(', ')}`);
  const ctx: BenchContext = { quick, coRate: Number(values['co-rate'] ?? 500), target, tools, log, failures: [] };
  const reports: ScenarioReport[] = [];
  const raw: Record<string, unknown> = {};
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    log('interrupted: finishing the current run, then writing what was measured');
  });
  try {
    const scenarios = SCENARIOS.filter(([id]) => wanted(id));
    if (wanted('memory')) {
      const asked = values['memory-minutes'] !== undefined ? Number(values['memory-minutes']) : undefined;
      scenarios.push([
        'memory',
        async (c) => {
          // Without an explicit length, the memory run takes what is left of the full suite's budget.
          const minutes = asked ?? Math.max(1.5, Math.min(DEFAULT_MEMORY_MINUTES, (FULL_BUDGET_SEC - elapsed() - 20) / 60));
          return memoryOverTime(minutes)(c);
        },
      ]);
    }
    for (const [id, scenario] of scenarios) {
      if (stopping) break;
      const t0 = elapsed();
      const load = loadavg().map((x) => x.toFixed(2)).join(' / ');
      const report = await scenario(ctx);
      report.body.push(`Load average (1/5/15 min) when this scenario started: ${load}; ${(elapsed() - t0).toFixed(0)} s.`);
      reports.push(report);
      raw[id] = report;
      log(`${id} done in ${(elapsed() - t0).toFixed(0)} s`);
    }
  } finally {
    await target.close();
  }
  facts.push(['Load average at end (1/5/15 min)', loadavg().map((x) => x.toFixed(2)).join(' / ')]);
  const markdown = renderResults({
    quick,
    date: new Date(started).toISOString(),
    seconds: elapsed(),
    argv: process.argv.slice(2),
    facts,
    target: target.name,
    reports,
    failures: ctx.failures,
    notes,
  });
  writeFileSync(out, markdown);
  if (values.json) writeFileSync(values.json, JSON.stringify({ facts, reports, failures: ctx.failures }, null, 2));
  log(`wrote ${out} (${elapsed().toFixed(0)} s in all)`);
  process.stdout.write(markdown);
  return ctx.failures.length > 0 || stopping ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);

/**
 * The cost of sharding (issue 20's "Measure"): the same total open-model rate against the same
 * loopback target, as one run with 2 workers and as 2 shard processes with 1 worker each
 * (`--shard i/2 --start-at`, merged with `racerig merge`). Achieved rate and p99 side by side, with
 * the CPU each configuration cost and the shards' start lateness.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../src/results/model.js';
import { REPO_ROOT } from '../measure/paths.js';
import { ms, num, table } from '../report/markdown.js';
import { median } from '../report/stats.js';
import { RACERIG_NODE_ARGS, runRacerig } from '../tools/racerig.js';
import { timeoutFor } from '../tools/tool.js';
import type { Check, Scenario } from './scenario.js';

interface Row {
  config: string;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  dropped: number;
  cpuSeconds: number;
  lateMs?: number;
}

const p = (r: RunResult) => r.operations[0]!.latencyUs;
/** START_AHEAD_MS is how far ahead the shards' common start is: node and the workers must be up by then on a busy machine. */
const START_AHEAD_MS = 3000;

/** sharding alternates one run -w 2 and two shards -w 1 at the same total rate, `rounds` times each. */
export const sharding: Scenario = async (ctx) => {
  const rate = ctx.quick ? 4000 : 8000;
  const durationSec = ctx.quick ? 2 : 4;
  const rounds = ctx.quick ? 1 : 3;
  const connections = 50;
  const url = ctx.target.url;
  const common = ['-c', String(connections), '-r', String(rate), '-d', `${durationSec}s`, '-q'];
  const rows: Row[] = [];
  const commands = new Set<string>();
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-shards-'));
  ctx.log(`sharding: ${num(rate)}/s for ${durationSec} s, 1 run × 2 workers vs 2 shards × 1 worker, ${rounds} round(s), against ${ctx.target.name}`);
  try {
    for (let round = 0; round < rounds; round++) {
      try {
        const one = await runRacerig(url, [...common, '-w', '2'], timeoutFor(durationSec));
        commands.add(one.command);
        const l = p(one.result);
        rows.push({ config: '1 run × 2 workers', rate: one.result.totals.achievedRate, p50Ms: l.p50 / 1000, p99Ms: l.p99 / 1000, requests: one.result.totals.requests, dropped: one.result.totals.dropped, cpuSeconds: one.measured.cpuSeconds });
        ctx.log(`  1 run × 2 workers: ${num(one.result.totals.achievedRate)}/s, p99 ${ms(l.p99 / 1000)} ms, cpu ${num(one.measured.cpuSeconds, 2)} s`);
      } catch (err) {
        ctx.failures.push(`sharding 1 run × 2 workers: ${(err as Error).message.split('\n')[0]}`);
      }
      try {
        // Both shard processes start now; their common start is far enough ahead for node and the workers to be up.
        const startAt = Date.now() + START_AHEAD_MS;
        const shards = await Promise.all([0, 1].map((i) => runRacerig(url, [...common, '-w', '1', '--shard', `${i}/2`, '--start-at', String(startAt)], timeoutFor(durationSec + 3))));
        const files = shards.map((s, i) => {
          const f = join(dir, `shard-${i}.json`);
          writeFileSync(f, JSON.stringify(s.result));
          return f;
        });
        const out = join(dir, 'merged.json');
        const args = [...RACERIG_NODE_ARGS, 'bin/racerig', 'merge', ...files, '-o', out, '-q'];
        const mr = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
        if (mr.status !== 0) throw new Error(`racerig merge exited with ${mr.status}: ${mr.stderr}`);
        const merged = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
        for (const s of shards) commands.add(s.command);
        commands.add(`node ${args.join(' ')}`.replaceAll(dir + '/', ''));
        const l = p(merged);
        const late = Math.max(...shards.map((s) => s.result.shard?.startLatenessMs ?? 0));
        const cpu = shards.reduce((a, s) => a + s.measured.cpuSeconds, 0);
        rows.push({ config: '2 shards × 1 worker (merged)', rate: merged.totals.achievedRate, p50Ms: l.p50 / 1000, p99Ms: l.p99 / 1000, requests: merged.totals.requests, dropped: merged.totals.dropped, cpuSeconds: cpu, lateMs: late });
        ctx.log(`  2 shards × 1 worker: ${num(merged.totals.achievedRate)}/s, p99 ${ms(l.p99 / 1000)} ms, cpu ${num(cpu, 2)} s, start lateness ≤ ${late.toFixed(1)} ms`);
      } catch (err) {
        ctx.failures.push(`sharding 2 shards × 1 worker: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const configs = ['1 run × 2 workers', '2 shards × 1 worker (merged)'];
  const med = (c: string, f: (r: Row) => number) => median(rows.filter((r) => r.config === c).map(f));
  const tableRows = configs.map((c) => {
    const n = rows.filter((r) => r.config === c).length;
    const late = rows.filter((r) => r.config === c && r.lateMs !== undefined).map((r) => r.lateMs!);
    return [c, `${n}/${rounds}`, num(med(c, (r) => r.rate), 1), num(med(c, (r) => r.requests)), num(med(c, (r) => r.dropped)), ms(med(c, (r) => r.p50Ms)), ms(med(c, (r) => r.p99Ms)), num(med(c, (r) => r.cpuSeconds), 2), late.length ? ms(median(late)) : '–'];
  });
  const shardRate = med(configs[1]!, (r) => r.rate);
  const checks: Check[] = [
    {
      target: `2 shards × 1 worker achieve the total rate (${num(rate)}/s) within 0.5%`,
      measured: Number.isFinite(shardRate) ? `${num(shardRate, 1)}/s (${(((shardRate - rate) / rate) * 100).toFixed(2)}%)` : '–',
      met: Number.isFinite(shardRate) ? Math.abs(shardRate - rate) / rate <= 0.005 : null,
    },
  ];
  return {
    id: 'shards',
    title: 'Cost of sharding (2 shards × 1 worker vs 1 run × 2 workers)',
    body: [
      `${num(rate)} requests/s in total for ${durationSec} s, ${connections} connections in total, ${rounds} round(s) (medians), target ${ctx.target.name}. The shards are two \`racerig run --shard i/2 --start-at <now + ${START_AHEAD_MS / 1000} s> -w 1\` processes started together and merged with \`racerig merge\` (histograms added, so the p99 is that of every sample); the achieved rate of the merge is over the common window (first start to last end). CPU is user + system of the racerig processes (both shards summed), node start-up included. On one machine both configurations share the same cores with the target; the difference is the per-process cost of a second node process and its main thread.`,
      table(['configuration', 'runs ok', 'achieved/s', 'requests', 'dropped', 'p50 ms', 'p99 ms', 'CPU s', 'shard start lateness ms (max)'], tableRows),
    ],
    commands: [...commands],
    checks,
    raw: rows,
  };
};

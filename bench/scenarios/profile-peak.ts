/**
 * Profile peak: how many operations/s a profile run reaches when its load is not the limit — one
 * closed-model component (64 iterations in flight) that gets, lists, creates, patches and deletes
 * config maps back to back against the embedded mock, `-w 2`. The mock runs on a thread of the
 * same process, so the number is racerig and the mock together on this machine's cores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRacerig } from '../tools/racerig.js';
import { ms, num, table } from '../report/markdown.js';
import type { Scenario } from './scenario.js';

/** peakProfileYaml is the profile the scenario runs, `durationSec` long. */
export function peakProfileYaml(durationSec: number, concurrency = 64): string {
  return `name: profile-peak
description: Closed-model peak of a profile run on the embedded mock; get, list, create, patch and delete config maps back to back. Emulates no controller.
mock:
  lifecycle: {disabled: true}
setup:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: peak-target}, data: {a: "1"}}
phases:
  - name: peak
    duration: ${durationSec}s
    components:
      - name: crud
        concurrency: ${concurrency}
        scenario:
          - get: {resource: configmaps, name: peak-target}
          - list: {resource: configmaps, labelSelector: app=peak, limit: 10}
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: peak-, labels: {app: peak}}, data: {n: "{{iteration}}"}}
            as: cm
          - patch: {resource: configmaps, name: "{{cm.name}}", body: {data: {p: "{{iteration}}"}}}
          - delete: {resource: configmaps, name: "{{cm.name}}"}
`;
}

/** profilePeak runs the peak profile once (twice in the full suite) and tabulates operations/s. */
export const profilePeak: Scenario = async (ctx) => {
  const durationSec = ctx.quick ? 5 : 10;
  const runs = ctx.quick ? 1 : 2;
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-profile-peak-'));
  const file = join(dir, 'profile-peak.yaml');
  writeFileSync(file, peakProfileYaml(durationSec));
  const body: string[] = [];
  const commands: string[] = [];
  const raw: unknown[] = [];
  try {
    if (!ctx.tools.some((t) => t.name === 'racerig')) {
      body.push('racerig is not built, so the profile was not run.');
    } else {
      const rows: string[][] = [];
      let last: Awaited<ReturnType<typeof runRacerig>> | undefined;
      for (let i = 0; i < runs; i++) {
        ctx.log(`profile peak: racerig run profile-peak.yaml -w 2 [run ${i + 1}/${runs}]`);
        try {
          const run = await runRacerig(file, ['-w', '2', '-q'], 120_000);
          last = run;
          const r = run.result;
          const its = r.iterations?.completed ?? 0;
          raw.push({ totals: r.totals, durationSeconds: r.durationSeconds, iterations: r.iterations, integrity: r.integrity, cpuSeconds: run.measured.cpuSeconds });
          ctx.log(`  ${num(r.totals.achievedRate)} operations/s, ${num(its / r.durationSeconds)} iterations/s, cpu ${num(run.measured.cpuSeconds, 2)} s`);
          rows.push([
            String(i + 1),
            num(r.totals.achievedRate),
            num(its / r.durationSeconds),
            num(r.totals.errors),
            r.integrity ? (r.integrity.ok ? 'OK' : 'MISMATCH') : '–',
            num(run.measured.cpuSeconds, 2),
            num((run.measured.cpuSeconds / r.totals.requests) * 1e6, 0),
            num(run.measured.peakRssMb),
          ]);
          if (i === 0) commands.push(run.command.replace(file, 'profile-peak.yaml'));
        } catch (err) {
          const message = (err as Error).message.split('\n').slice(0, 6).join(' / ');
          ctx.log(`  profile peak: FAILED: ${message}`);
          ctx.failures.push(`racerig run profile-peak.yaml: ${message}`);
        }
      }
      body.push(table(['run', 'operations/s', 'iterations/s', 'errors', 'integrity', 'CPU s (all threads, mock included)', 'CPU µs per operation', 'peak RSS MiB'], rows));
      if (last) {
        body.push(
          table(
            ['operation (last run)', 'requests', 'ops/s', 'p50 ms', 'p99 ms'],
            last.result.operations.map((o) => [o.name, num(o.requests), num(o.achievedRate, 1), ms(o.latencyUs.p50 / 1000), ms(o.latencyUs.p99 / 1000)]),
          ),
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: 'profile-peak',
    title: 'Profile peak: a closed-model profile at full speed on the embedded mock',
    body: [
      `A profile whose one component keeps 64 iterations in flight (get, list, create, patch, delete of config maps; ${durationSec} s, \`-w 2\`) against the embedded mock, which shares the process and its cores. Operations/s here is racerig's profile executor and the mock together; the profile is written by \`bench/scenarios/profile-peak.ts\` (\`peakProfileYaml\`).`,
      ...body,
    ],
    commands,
    checks: [],
    raw,
  };
};

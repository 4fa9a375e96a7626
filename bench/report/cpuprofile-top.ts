/**
 * Summarises V8 `.cpuprofile` files (from `--cpu-prof`, e.g. the suite's `--cpu-prof <dir>`): the
 * functions with the most self time, per file (one file per thread). Usage:
 *   node dist-bench/bench/report/cpuprofile-top.js <file-or-dir> [top=25]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** SelfTime is one function's self time in a profile. */
export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** topSelfTime returns the `top` functions by self time (sampled), with their share of all samples. */
export function topSelfTime(profile: CpuProfile, top: number): { totalMs: number; rows: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const where = frame.url ? ` ${frame.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: totalUs ? us / totalUs : 0 }));
  return { totalMs: totalUs / 1000, rows };
}

function main(): void {
  const [target, topArg] = process.argv.slice(2);
  if (!target) {
    process.stderr.write('usage: cpuprofile-top <file.cpuprofile | dir> [top]\n');
    process.exitCode = 2;
    return;
  }
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(target, f))
    : [target];
  for (const file of files) {
    const { totalMs, rows } = topSelfTime(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(topArg ?? 25));
    process.stdout.write(`\n${relative(process.cwd(), file)}: ${totalMs.toFixed(0)} ms sampled\n`);
    for (const r of rows) process.stdout.write(`${(r.share * 100).toFixed(1).padStart(6)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();

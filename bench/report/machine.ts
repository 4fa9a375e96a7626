/** Facts about the machine and the software measured, for the header of bench/results.md. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { resolve, sep } from 'node:path';
import { REPO_ROOT } from '../measure/paths.js';
import { autocannonVersion } from '../tools/autocannon.js';
import { heyVersion } from '../tools/hey.js';
import { wrkVersion } from '../tools/wrk.js';
import { nginxVersion } from '../targets/nginx.js';

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** machineFacts returns label → value rows describing the machine, the versions and the racerig build. */
export function machineFacts(): [string, string][] {
  const cpu = cpus()[0];
  const dist = process.env.RACERIG_DIST || 'dist';
  // A build outside the repository (e.g. of a clean `git archive`) is described by its path and --note, not by this checkout.
  const outside = !resolve(REPO_ROOT, dist).startsWith(REPO_ROOT + sep);
  const dirty = !outside && git(['status', '--porcelain', '--', 'src', 'bin']) ? ' (src/ or bin/ has uncommitted changes)' : '';
  const build = outside ? `build at ${dist} (see Notes for its commit)` : `${git(['rev-parse', '--short', 'HEAD']) || 'unknown commit'}${dirty}, build ${dist}/`;
  return [
    ['CPU', `${cpu?.model ?? 'unknown'}, ${availableParallelism()} cores available`],
    ['Memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['OS', `${osName()}, Linux ${release()}`],
    ['Node.js', process.version],
    ['racerig', build],
    ['nginx', nginxVersion() ?? 'not installed'],
    ['autocannon', autocannonVersion() ?? 'not installed'],
    ['wrk', wrkVersion() ?? 'not installed'],
    ['hey', heyVersion() ?? 'not installed'],
    ['Load average at start (1/5/15 min)', loadavg().map((x) => x.toFixed(2)).join(' / ')],
  ];
}

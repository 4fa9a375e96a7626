/**
 * `racerig demo race`: the story end to end. Builds the example controller (examples/argo-race-controller)
 * with the race detector twice — as Argo Workflows 3.6.0-rc1 wrapped its transport, and with the rc2 fix —
 * runs the driving profile (argo-race) against the embedded mock with each build beside it, then compares
 * the two builds: the rc1-style build's races, panics and exits are new findings, the fixed build has none.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CliContext } from './context.js';
import { ExitCode } from '../exit-codes.js';
import { SutError, UsageError } from '../errors.js';
import type { RunResult } from '../results/model.js';

/** DemoRaceOptions are the flags of `racerig demo race`. */
export interface DemoRaceOptions {
  runs: number;
  outDir?: string;
  smoke: boolean;
  go: string;
  quiet: boolean;
  /** Profile name or file (default: the shipped argo-race). */
  profile: string;
}

/** BUILDS are the two builds of the example: the 3.6.0-rc1 bug and the rc2 fix (build tag `fixed`). */
export const BUILDS = [
  { name: 'rc1', label: '3.6.0-rc1-style (one global metrics wrapper)', tags: [] as string[] },
  { name: 'rc2', label: '3.6.0-rc2-style (a wrapper per client)', tags: ['fixed'] },
] as const;

/** exampleDir is the example controller's source folder in this racerig installation. */
export function exampleDir(): string {
  // dist/src/cli/demo-race.js → the package root is three folders up.
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../examples/argo-race-controller');
}

/** shellQuote quotes one argument for --sut's shell-like splitting. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'"'"'`)}'`;
}

/** goEnv is the environment racerig runs go in: cgo on (the race detector needs it), no module downloads, and a build cache even without HOME. */
export function goEnv(): Record<string, string> {
  const env: Record<string, string> = { CGO_ENABLED: '1', GOPROXY: 'off', GOFLAGS: '-mod=mod' };
  if (!process.env.GOCACHE && !process.env.HOME && !process.env.XDG_CACHE_HOME) env.GOCACHE = join(tmpdir(), 'racerig-go-cache');
  return env;
}

/** buildExample builds the example controller with -race (and `tags`) into `out`; rejects with a SutError saying how to get Go. */
export async function buildExample(go: string, tags: readonly string[], out: string, say: (s: string) => void): Promise<void> {
  const { execa } = await import('execa');
  const src = exampleDir();
  if (!existsSync(join(src, 'go.mod'))) throw new UsageError(`the example controller is missing: ${src}`);
  const version = await execa(go, ['version'], { reject: false });
  if (version.failed) {
    throw new SutError(
      `Go is needed to build the example controller with the race detector, and "${go} version" failed: ${version.shortMessage}`,
      'install it (Debian/Ubuntu: apt-get install golang-go gcc; elsewhere see go.dev/doc/install), or pass --go <path to the go binary>',
    );
  }
  const args = ['build', '-race', ...(tags.length ? ['-tags', tags.join(',')] : []), '-o', out, '.'];
  say(`racerig demo race: ${go} ${args.join(' ')}   (${version.stdout.trim()}, in ${src})\n`);
  const r = await execa(go, args, { cwd: src, reject: false, env: goEnv(), all: true });
  if (r.failed) throw new SutError(`building the example controller failed: ${r.shortMessage}`, `${r.all ?? ''}`.slice(-2000) || 'the race detector needs cgo: install gcc');
}

function countsByKind(r: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of r.findings ?? []) out[f.kind] = (out[f.kind] ?? 0) + f.count;
  return out;
}

/** demoRace runs the race demo and returns its exit code: 0 when the rc1-style build showed races and the fixed build none. */
export async function demoRace(o: DemoRaceOptions, ctx: CliContext): Promise<number> {
  const { main } = await import('./main.js');
  const { readResultFile } = await import('../results/read-result.js');
  const say = (s: string) => !o.quiet && ctx.stdout.write(s);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const dir = resolve(ctx.cwd, o.outDir ?? join('results', `demo-race-${stamp}`));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const t0 = Date.now();
  const perBuild: Record<string, RunResult[]> = {};
  for (const b of BUILDS) {
    const bin = join(dir, 'bin', `argo-race-controller-${b.name}`);
    await buildExample(o.go, b.tags, bin, say);
  }
  for (const b of BUILDS) {
    const bin = join(dir, 'bin', `argo-race-controller-${b.name}`);
    const sut = `${shellQuote(bin)} --server {server} --namespace {namespace} --metrics-addr 127.0.0.1:{port}`;
    perBuild[b.name] = [];
    for (let i = 1; i <= o.runs; i++) {
      say(`\n── ${b.name}: ${b.label}, run ${i} of ${o.runs} ──\n`);
      const out = join(dir, b.name, `run-${i}.json`);
      const code = await main(['run', o.profile, '--sut', sut, '-l', `build=${b.name}`, '-l', `run=${i}`, '-o', out, ...(o.smoke ? ['--smoke'] : []), ...(o.quiet ? ['-q'] : [])], ctx);
      if (code === ExitCode.Interrupted || code === ExitCode.SutFailed || code === ExitCode.Usage || code === ExitCode.ProfileInvalid) return code;
      perBuild[b.name]!.push((await readResultFile(out)).result);
    }
  }
  say(`\n── compare: fixed build (rc2) as the baseline, rc1-style build as the candidate ──\n`);
  const gateBuggy = await main(['compare', join(dir, 'rc2'), join(dir, 'rc1'), '--fail-on', 'new-findings'], ctx);
  say(`\n── compare: rc1-style build as the baseline, fixed build (rc2) as the candidate ──\n`);
  const gateFixed = await main(['compare', join(dir, 'rc1'), join(dir, 'rc2'), '--fail-on', 'new-findings'], ctx);

  const lines: string[] = ['', `racerig demo race: ${o.runs} run(s) per build in ${((Date.now() - t0) / 1000).toFixed(0)} s; results in ${dir}`];
  for (const b of BUILDS) {
    const runs = perBuild[b.name]!;
    lines.push(`  ${b.name} ${b.label}:`);
    runs.forEach((r, i) => {
      const kinds = Object.entries(countsByKind(r)).map(([k, n]) => `${k} ×${n}`).join(', ') || 'no findings';
      lines.push(`    run ${i + 1}: ${kinds}`);
    });
  }
  const raceSigs = perBuild.rc1!.map((r) => new Set((r.findings ?? []).filter((f) => f.kind === 'race').map((f) => f.signature)));
  const common = raceSigs.length ? [...raceSigs[0]!].filter((s) => raceSigs.every((set) => set.has(s))) : [];
  const buggyRaces = perBuild.rc1!.every((r) => (r.findings ?? []).some((f) => f.kind === 'race'));
  const fixedClean = perBuild.rc2!.every((r) => (r.findings ?? []).length === 0);
  lines.push(`  race signatures seen in every rc1-style run: ${common.length}${common.length ? `\n    ${common.join('\n    ')}` : ''}`);
  lines.push(`  compare --fail-on new-findings: rc1-style as candidate → exit ${gateBuggy}; fixed as candidate → exit ${gateFixed}`);
  const ok = buggyRaces && fixedClean && gateBuggy === ExitCode.Regression && gateFixed === ExitCode.Ok;
  lines.push(
    ok
      ? '  verdict: the rc1-style build races in every run and the fixed build never does — racerig told the two builds apart'
      : `  verdict: NOT shown (${[!buggyRaces && 'a rc1-style run had no race finding', !fixedClean && 'the fixed build had findings', gateBuggy !== ExitCode.Regression && 'the gate did not flag the rc1-style build', gateFixed !== ExitCode.Ok && 'the gate flagged the fixed build'].filter(Boolean).join('; ')})`,
  );
  ctx.stdout.write(lines.join('\n') + '\n');
  return ok ? ExitCode.Ok : ExitCode.ThresholdsFailed;
}

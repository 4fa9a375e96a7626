/** `racerig profiles list | show <name|file> | validate <files...> | schema`: the scenario profiles and their format. */
import type { CommandRegistrar } from './main.js';
import type { CliContext } from './context.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { formatResource } from '../profile/resource-ref.js';
import { listShippedProfiles, resolveProfileFile } from '../profile/shipped.js';
import type { Component, Profile } from '../profile/types.js';
import { formatDuration } from '../engine/duration.js';

// The loader, schema and smoke modules are imported on use: they load zod, which would add ~0.3 s to
// the start-up of every racerig command.

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

function describeLoad(c: Component): string {
  const l = c.load;
  const model = l.kind === 'rate' ? `${+l.perSecond.toFixed(3)}/s` : l.kind === 'ramp' ? `ramp ${l.from}→${l.to}/s` : `${l.workers} concurrent`;
  const limits = [c.iterations !== undefined ? `${c.iterations} iterations` : '', c.qps !== undefined ? `qps ${c.qps} burst ${c.burst}` : '', c.client ? `client ${c.client.name} (qps ${c.client.qps} burst ${c.client.burst}, shared)` : '', c.delayMs ? `after ${formatDuration(c.delayMs)}` : ''].filter(Boolean);
  return [model, ...limits].join(', ');
}

/** renderProfile renders a loaded profile for people: target, setup, phases with components and operations, measurements, thresholds. */
export function renderProfile(p: Profile, width = 100): string {
  const out: string[] = [`${p.name}${p.smoke ? ' (smoke)' : ''}  ${p.source.file}  sha256 ${p.source.sha256.slice(0, 12)}`, wrap(p.description, width, '  '), ''];
  out.push(`target namespace ${p.target.namespace}${p.target.createNamespace ? ' (created)' : ''}; cleanup ${p.cleanup.enabled ? 'on' : 'off'}`);
  if (p.setup.length) out.push(`setup: ${p.setup.map((s) => formatResource(s.resource)).join(', ')}`);
  for (const ph of p.phases) {
    const bound = [ph.durationMs !== undefined ? formatDuration(ph.durationMs) : '', ph.iterations !== undefined ? `${ph.iterations} iterations` : ''].filter(Boolean).join(', ');
    out.push(`phase ${ph.name} (${bound || 'bounded by its components'})`);
    for (const c of ph.components) {
      out.push(`  component ${c.name}: ${describeLoad(c)}; ${c.mode}`);
      for (const s of c.steps) out.push(`    ${s.kind === 'sleep' ? `sleep ${formatDuration(s.durationMs)}` : s.operation}${c.mode === 'mix' ? `  weight ${s.weight}` : ''}${s.as ? `  as ${s.as}` : ''}${s.delayMs !== undefined ? `  after ${formatDuration(s.delayMs)}` : ''}${s.background ? '  (background)' : ''}`);
    }
  }
  if (p.measure.length) out.push(`measure: ${p.measure.map((m) => m.name).join('; ')}`);
  if (p.thresholds.length) out.push(`thresholds: ${p.thresholds.map((t) => t.source).join('; ')}`);
  out.push(`operations: ${p.operations.join(', ')}`);
  return `${out.join('\n')}\n`;
}

/** registerProfilesCommand adds `racerig profiles` and its subcommands. */
export const registerProfilesCommand: CommandRegistrar = (program, ctx, setExit) => {
  const profiles = program.command('profiles').description('list, show and validate scenario profiles; print their JSON Schema');
  profiles
    .command('list')
    .description('list the shipped profiles with their descriptions')
    .action(() => {
      const width = ctx.stdout.columns ?? 100;
      const list = listShippedProfiles();
      const pad = Math.max(0, ...list.map((p) => p.name.length)) + 2;
      for (const p of list) {
        const text = wrap(p.description, width, ' '.repeat(pad));
        ctx.stdout.write(`${p.name.padEnd(pad)}${text.slice(pad)}\n`);
      }
      setExit(ExitCode.Ok);
    });
  profiles
    .command('show <profile>')
    .description('show a shipped profile (by name) or a profile file as loaded: phases, components, operations')
    .option('--json', 'print the normalized profile as JSON')
    .option('--smoke', 'show it as --smoke shortens it')
    .action(async (name: string, o: { json?: boolean; smoke?: boolean }) => {
      const [{ loadProfile }, { smokeProfile }] = await Promise.all([import('../profile/loader.js'), import('../profile/smoke.js')]);
      const profile = await loadProfile(resolveProfileFile(name, ctx.cwd), { cwd: ctx.cwd });
      const p = o.smoke ? smokeProfile(profile) : profile;
      ctx.stdout.write(o.json ? `${JSON.stringify(p, null, 2)}\n` : renderProfile(p, ctx.stdout.columns ?? 100));
      setExit(ExitCode.Ok);
    });
  profiles
    .command('validate <files...>')
    .description('validate profiles (files or shipped names): prints OK or every problem as file:line:column; exit code 3 on any')
    .action(async (files: string[]) => setExit(await validate(files, ctx)));
  profiles
    .command('schema')
    .description('print the JSON Schema of the profile format (as in profiles/schema.json)')
    .action(async () => {
      const { profileJsonSchema } = await import('../profile/schema.js');
      ctx.stdout.write(`${JSON.stringify(profileJsonSchema(), null, 2)}\n`);
      setExit(ExitCode.Ok);
    });
};

async function validate(files: string[], ctx: CliContext): Promise<number> {
  if (files.length === 0) throw new UsageError('no profile given', 'racerig profiles validate <file.yaml...>');
  const [{ checkProfile }, { formatProblem }] = await Promise.all([import('../profile/loader.js'), import('../profile/problem.js')]);
  let failed = 0;
  for (const name of files) {
    const file = resolveProfileFile(name, ctx.cwd);
    const { problems } = await checkProfile(file, { cwd: ctx.cwd });
    if (problems.length === 0) ctx.stdout.write(`OK ${file}\n`);
    else {
      failed++;
      for (const p of problems) ctx.stderr.write(`${formatProblem(p)}\n`);
      ctx.stderr.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    }
  }
  return failed ? ExitCode.ProfileInvalid : ExitCode.Ok;
}

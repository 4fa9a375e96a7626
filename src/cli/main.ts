/**
 * The racerig command-line program: builds the commander program, registers one command per file,
 * and maps every outcome to a documented exit code (see exit-codes.ts).
 */
import { Command, CommanderError } from 'commander';
import { processContext, type CliContext } from './context.js';
import { ExitCode } from '../exit-codes.js';
import { RacerigError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerRunCommand } from './run.js';
import { registerDemoCommand } from './demo.js';
import { registerMockCommand } from './mock.js';
import { registerCompareCommand } from './compare.js';
import { registerReportCommand } from './report.js';
import { registerProfilesCommand } from './profiles.js';
import { registerClusterCommand } from './cluster.js';
import { registerMergeCommand } from './merge.js';

/** CommandRegistrar adds one command to the program; its action reports the exit code through `setExit`. */
export type CommandRegistrar = (program: Command, ctx: CliContext, setExit: (code: number) => void) => void;

const registrars: CommandRegistrar[] = [registerRunCommand, registerDemoCommand, registerCompareCommand, registerMockCommand, registerReportCommand, registerProfilesCommand, registerClusterCommand, registerMergeCommand];

/** buildProgram returns the commander program wired to `ctx`. */
export function buildProgram(ctx: CliContext, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('racerig')
    .description('Stress rig for Kubernetes API servers and the controllers behind them.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    });
  for (const register of registrars) register(program, ctx, setExit);
  program.hook('preAction', (_program, command) => refuseEmptyValues(command));
  return program;
}

/** refuseEmptyValues throws a UsageError listing every option and argument of `command` given as an empty string. */
export function refuseEmptyValues(command: Command): void {
  const problems: string[] = [];
  for (const option of command.options) {
    const value: unknown = command.getOptionValue(option.attributeName());
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && v.trim() === '')) problems.push(`${option.long ?? option.short} must not be empty`);
  }
  command.registeredArguments.forEach((arg, i) => {
    const value: unknown = command.processedArgs[i];
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && v.trim() === '')) problems.push(`<${arg.name()}> must not be empty`);
  });
  if (problems.length === 1) throw new UsageError(problems[0]!, `see racerig ${command.name()} --help`);
  if (problems.length > 1) throw new UsageError(`invalid options:\n  - ${problems.join('\n  - ')}`, `see racerig ${command.name()} --help`);
}

/** main runs racerig with `argv` (without node and script) and resolves to the process exit code. */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildProgram(ctx, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return reportError(err, ctx);
  }
}

/** reportError prints an error for a person and returns its exit code. */
export function reportError(err: unknown, ctx: CliContext): number {
  if (err instanceof CommanderError) {
    // help and version "errors" are successful exits; commander already printed the message.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.Ok;
    }
    return ExitCode.Usage;
  }
  if (err instanceof RacerigError) {
    ctx.stderr.write(`racerig: error: ${err.message}\n`);
    if (err.hint) ctx.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  ctx.stderr.write(`racerig: internal error: ${e && e.stack ? e.stack : String(err)}\n`);
  return ExitCode.Internal;
}

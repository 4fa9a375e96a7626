/** Renders bench/results.md: machine, date, targets met or missed, every scenario's table and commands. */
import type { ScenarioReport } from '../scenarios/scenario.js';
import { codeBlock, table } from './markdown.js';
import { commandLine } from '../tools/tool.js';

/** ResultsInput is everything one suite run produced. */
export interface ResultsInput {
  quick: boolean;
  /** ISO 8601 UTC start time. */
  date: string;
  seconds: number;
  argv: string[];
  facts: [string, string][];
  target: string;
  reports: ScenarioReport[];
  failures: string[];
  notes: string[];
}

/** renderResults returns the Markdown text of the results file. */
export function renderResults(input: ResultsInput): string {
  const only = input.argv.indexOf('--only');
  const suite = only >= 0 && input.argv[only + 1] ? `${input.quick ? 'quick' : 'full'}-length scenarios ${input.argv[only + 1]} of the` : input.quick ? 'quick' : 'full';
  // Notes are printed in their own section; the invocation shows that there were some.
  const shown: string[] = [];
  for (let i = 0; i < input.argv.length; i++) {
    const arg = input.argv[i] as string;
    if (arg === '--note') i++;
    else if (!arg.startsWith('--note=')) shown.push(arg);
  }
  const withNotes = shown.length < input.argv.length ? ' --note … (see Notes)' : '';
  const dist = process.env.RACERIG_DIST ? `RACERIG_DIST=${process.env.RACERIG_DIST} ` : '';
  const invocation = `${dist}${commandLine('node', ['dist-bench/bench/main.js', ...shown])}${withNotes}`;
  const plain = input.argv.filter((a) => a !== '--quick').length === 0;
  const npmScript = plain ? `npm run ${input.quick ? 'bench:quick' : 'bench'}` : undefined;
  const parts: string[] = [
    `# racerig benchmark results (${suite} suite)`,
    `Measured ${input.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} by \`${invocation}\`${npmScript ? ` (\`${npmScript}\`)` : ''}, ${input.seconds.toFixed(0)} s in all. Every load went to 127.0.0.1. Throughput target: ${input.target}.`,
    '## Machine',
    table(['', ''], input.facts),
    'A load average well above 0 at the start means other work shared the CPUs and the numbers are noisy; compare runs made on a quiet machine.',
  ];
  const checks = input.reports.flatMap((r) => r.checks);
  if (checks.length) {
    parts.push(
      "## Issue 5's targets",
      table(
        ['target', 'measured', 'met'],
        checks.map((c) => [c.target, c.measured, c.met === null ? 'n/a' : c.met ? 'yes' : '**no**']),
      ),
    );
  }
  for (const r of input.reports) {
    parts.push(`## ${r.title}`, ...r.body);
    if (r.commands.length) parts.push('Commands (one run of each):', codeBlock(r.commands));
  }
  if (input.failures.length) parts.push('## Failed runs', input.failures.map((f) => `- ${f}`).join('\n'));
  if (input.notes.length) parts.push('## Notes', input.notes.map((n) => `- ${n}`).join('\n'));
  return parts.join('\n\n') + '\n';
}

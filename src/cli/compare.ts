/**
 * `racerig compare <baseline> <candidate>`: compares two builds' runs (files, folders or label
 * selectors over the results folder) and optionally gates on `--fail-on` rules (exit code 10).
 */
import { Option } from 'commander';
import type { CommandRegistrar } from './main.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import type { FailRule } from '../results/fail-on.js';
import { COMPARE_FORMATS, renderComparison, type CompareFormat } from '../report/compare-output.js';

interface CompareFlags {
  alpha: string;
  confidence: string;
  failOn?: string[];
  format: CompareFormat;
  resultsDir: string;
  ignoreProfile?: boolean;
}

function probability(flag: string, text: string): number {
  const v = Number(text);
  if (!(v > 0 && v < 1)) throw new UsageError(`${flag} must be a number between 0 and 1 (exclusive), got "${text}"`);
  return v;
}

/** registerCompareCommand adds `racerig compare`. */
export const registerCompareCommand: CommandRegistrar = (program, ctx, setExit) => {
  program
    .command('compare <baseline> <candidate>')
    .description(
      'compare two builds: each side is a result file, a folder of result files, or a label selector over the results folder (build=3.6.0-rc1)',
    )
    .option('--alpha <p>', 'significance level of the Mann-Whitney U test', '0.05')
    .option('--confidence <level>', 'confidence level of the median intervals', '0.95')
    .option(
      '--fail-on <rule>',
      'exit 10 when a rule breaks, e.g. "p99 > +10%", "throughput < -5%", "errors > +0.5pp", "new-findings" (repeatable)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .addOption(new Option('--format <format>', 'output notation').choices(COMPARE_FORMATS).default('text'))
    .option('--results-dir <dir>', 'folder searched by label selectors', 'results')
    .option('--ignore-profile', 'compare even when the runs come from different profiles')
    .action(async (baselineSpec: string, candidateSpec: string, flags: CompareFlags) => {
      // Loaded on use, so that other commands (a run) do not pay for them at start-up.
      const [{ selectResults }, { compareSets }, { evaluateRules, parseFailRule }] = await Promise.all([
        import('../results/select-results.js'),
        import('../results/compare.js'),
        import('../results/fail-on.js'),
      ]);
      const alpha = probability('--alpha', flags.alpha);
      const confidence = probability('--confidence', flags.confidence);
      const rules: FailRule[] = (flags.failOn ?? []).map(parseFailRule);
      const select = { cwd: ctx.cwd, resultsDir: flags.resultsDir };
      const baseline = await selectResults(baselineSpec, select);
      const candidate = await selectResults(candidateSpec, select);
      const cmp = compareSets(baseline, candidate, { alpha, confidence, ignoreProfile: flags.ignoreProfile });
      if (rules.some((r) => r.kind === 'new-findings') && !cmp.findings.observed) {
        cmp.warnings.push('--fail-on new-findings: no run carries findings (no observers ran), so it checks nothing');
      }
      const failures = evaluateRules(cmp, rules);
      ctx.stdout.write(renderComparison(cmp, flags.format, { rules: rules.map((r) => r.text), failures }));
      if (failures.length > 0) {
        if (flags.format !== 'text') for (const f of failures) ctx.stderr.write(`racerig: regression: ${f.rule}: ${f.message}\n`);
        setExit(ExitCode.Regression);
      }
    });
};

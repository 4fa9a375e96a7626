/**
 * `racerig merge <results...> -o merged.json`: merges the results of the shards of one run (or any
 * results of one target) exactly into one result file (see src/distributed/merge.ts).
 */
import { join, resolve } from 'node:path';
import type { CommandRegistrar } from './main.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { LoadedResult } from '../results/read-result.js';
import { outputPathProblem, writeWithFallback } from '../results/output-path.js';

interface MergeFlags {
  out?: string;
  force?: boolean;
  quiet?: boolean;
  resultsDir: string;
}

/** registerMergeCommand adds `racerig merge`. */
export const registerMergeCommand: CommandRegistrar = (program, ctx, setExit) => {
  program
    .command('merge <results...>')
    .description('merge the results of the shards of one run exactly (histograms added, counts summed) into one result: each argument is a result file, a folder of result files, or a label selector')
    .option('-o, --out <file>', 'merged result file (default results/<UTC timestamp>-<name>-merged.json)')
    .option('--force', 'merge even results of different targets or profiles, or shard and plain results together')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--results-dir <dir>', 'folder searched by label selectors', 'results')
    .action(async (specs: string[], flags: MergeFlags) => {
      const [{ selectResults }, { mergeResults }, { writeResult, defaultResultPath }, { renderSummary }] = await Promise.all([
        import('../results/select-results.js'),
        import('../distributed/merge.js'),
        import('../results/write-result.js'),
        import('../report/summary.js'),
      ]);
      const out = flags.out === undefined ? undefined : resolve(ctx.cwd, flags.out);
      if (out !== undefined) {
        const problem = outputPathProblem('-o, --out', out);
        if (problem) throw new UsageError(problem);
      }
      const inputs: LoadedResult[] = [];
      for (const spec of specs) {
        for (const r of (await selectResults(spec, { cwd: ctx.cwd, resultsDir: flags.resultsDir })).runs) {
          if (!inputs.some((x) => resolve(x.file) === resolve(r.file))) inputs.push(r);
        }
      }
      const merged = mergeResults(inputs, { force: flags.force === true });
      const resultsDir = join(ctx.cwd, 'results');
      const path = out ?? defaultResultPath(resultsDir, `${merged.name}-merged`, new Date(merged.startedAt));
      const w = writeWithFallback(path, (p) => writeResult(p, merged), [resultsDir]);
      if (w.failed) ctx.stderr.write(`racerig: cannot write the merged result to ${path} (${w.failed.message}); written to ${w.path} instead\n`);
      if (!flags.quiet) {
        ctx.stdout.write(renderSummary(merged));
        ctx.stdout.write(`\nmerged ${inputs.length} result${inputs.length === 1 ? '' : 's'}: ${w.path}${merged.partial ? ` (partial: ${merged.stoppedBy})` : ''}\n`);
      }
      setExit(w.failed ? ExitCode.OutputFallback : ExitCode.Ok);
    });
};

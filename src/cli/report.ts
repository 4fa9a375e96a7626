/**
 * `racerig report <result...>`: re-renders the terminal summary of result files (text, markdown or
 * JSON), prints HdrHistogram percentile distributions (`--hgrm`), and writes the HTML report (`--html`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Option } from 'commander';
import type { CommandRegistrar } from './main.js';
import { UsageError } from '../errors.js';
import type { LoadedResult } from '../results/read-result.js';
import { outputPathProblem } from '../results/output-path.js';

/** REPORT_FORMATS lists the accepted `report --format` values. */
export const REPORT_FORMATS = ['text', 'markdown', 'json'] as const;

interface ReportFlags {
  format: (typeof REPORT_FORMATS)[number];
  hgrm?: string | true;
  html?: string;
  resultsDir: string;
}

function hgrm(results: readonly LoadedResult[], operation: string | undefined, renderHgrm: (r: LoadedResult['result'], operation?: string) => string): string {
  return results
    .map(({ file, result }) => {
      if (operation !== undefined && !result.operations.some((o) => o.name === operation)) {
        throw new UsageError(`--hgrm: ${file} has no operation "${operation}"`, `its operations: ${result.operations.map((o) => o.name).join(', ')}`);
      }
      return (results.length > 1 ? `# ${file}\n` : '') + renderHgrm(result, operation);
    })
    .join('\n');
}

/** registerReportCommand adds `racerig report`. */
export const registerReportCommand: CommandRegistrar = (program, ctx) => {
  program
    .command('report <results...>')
    .description('show result files again: each argument is a result file, a folder of result files, or a label selector (build=3.6.0)')
    .addOption(new Option('--format <format>', 'output notation').choices(REPORT_FORMATS).default('text'))
    .option('--hgrm [operation]', "print HdrHistogram's percentile distribution (milliseconds) of one operation, or of every operation")
    .option('--html <file>', 'also write a self-contained HTML report (opens offline; several results overlay their curves)')
    .option('--results-dir <dir>', 'folder searched by label selectors', 'results')
    .action(async (specs: string[], flags: ReportFlags) => {
      // Loaded on use, so that other commands (a run) do not pay for them at start-up.
      const [{ selectResults }, { renderSummary }, { renderHgrm }, { renderResultMarkdown }, { reportJson }, { renderHtmlReport }] = await Promise.all([
        import('../results/select-results.js'),
        import('../report/summary.js'),
        import('../report/hgrm.js'),
        import('../report/result-markdown.js'),
        import('../report/result-json.js'),
        import('../report/html-report.js'),
      ]);
      if (flags.html !== undefined) {
        const problem = outputPathProblem('--html', resolve(ctx.cwd, flags.html));
        if (problem) throw new UsageError(problem);
      }
      const results: LoadedResult[] = [];
      for (const spec of specs) {
        for (const r of (await selectResults(spec, { cwd: ctx.cwd, resultsDir: flags.resultsDir })).runs) {
          if (!results.some((x) => x.file === r.file)) results.push(r);
        }
      }
      if (flags.hgrm !== undefined) {
        ctx.stdout.write(hgrm(results, flags.hgrm === true ? undefined : flags.hgrm, renderHgrm));
      } else if (flags.format === 'json') {
        ctx.stdout.write(JSON.stringify(reportJson(results), null, 2) + '\n');
      } else if (flags.format === 'markdown') {
        ctx.stdout.write(results.map(renderResultMarkdown).join('\n'));
      } else {
        ctx.stdout.write(results.map((r) => (results.length > 1 ? `file: ${r.file}\n` : '') + renderSummary(r.result)).join('\n'));
      }
      if (flags.html !== undefined) {
        const path = resolve(ctx.cwd, flags.html);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, renderHtmlReport(results));
        ctx.stderr.write(`racerig: wrote HTML report ${path}\n`);
      }
    });
};

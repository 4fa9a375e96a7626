/**
 * Selecting the runs of one side of a comparison (or of a report): a result file, a folder of
 * result files (searched recursively), or a label selector over the results folder.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isResultDocument, parseResult, readResultFile, ResultFileError, type LoadedResult } from './read-result.js';
import { looksLikeSelector, matchesSelector, parseSelector } from './label-selector.js';

/** ResultSet is the runs one argument selected, oldest first. */
export interface ResultSet {
  /** The argument as given (path or selector). */
  spec: string;
  /** How the runs were selected: "file", "folder" or "selector". */
  kind: 'file' | 'folder' | 'selector';
  runs: LoadedResult[];
}

/** SelectOptions says where relative paths start and which folder label selectors search. */
export interface SelectOptions {
  cwd: string;
  /** Folder searched by label selectors, relative to cwd (default `results`). */
  resultsDir?: string;
}

/** selectResults resolves one argument to its runs; throws ResultFileError when it selects none. */
export async function selectResults(spec: string, options: SelectOptions): Promise<ResultSet> {
  const path = resolve(options.cwd, spec);
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile()) return { spec, kind: 'file', runs: [await readResultFile(path)] };
  if (info?.isDirectory()) {
    const runs = await readFolder(path);
    if (runs.length === 0) {
      throw new ResultFileError('RACERIG_RESULT_NONE', `${spec}: the folder holds no racerig result files (*.json)`);
    }
    return { spec, kind: 'folder', runs };
  }
  if (looksLikeSelector(spec)) {
    const requirements = parseSelector(spec);
    const dir = resolve(options.cwd, options.resultsDir ?? 'results');
    const all = await readFolder(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw new ResultFileError('RACERIG_RESULT_NONE', `label selector "${spec}": results folder ${dir} does not exist`, 'pass --results-dir <folder>');
      }
      throw err;
    });
    const runs = all.filter((r) => matchesSelector(r.result.labels, requirements));
    if (runs.length === 0) {
      const seen = new Map<string, Set<string>>();
      for (const r of all) {
        for (const req of requirements) {
          const v = r.result.labels[req.key];
          if (v !== undefined) (seen.get(req.key) ?? seen.set(req.key, new Set()).get(req.key)!).add(v);
        }
      }
      const known = [...seen].map(([k, vs]) => `${k}: ${[...vs].sort().join(', ')}`).join('; ');
      throw new ResultFileError(
        'RACERIG_RESULT_NONE',
        `label selector "${spec}" matches none of the ${all.length} results in ${relative(options.cwd, dir) || '.'}`,
        known ? `labels found there: ${known}` : 'label runs with `racerig run --label key=value`',
      );
    }
    return { spec, kind: 'selector', runs };
  }
  throw new ResultFileError('RACERIG_RESULT_NONE', `${spec}: no such file or folder, and not a label selector (key=value)`);
}

/** readFolder reads every result file below `dir` (recursively), skipping JSON that is not a racerig result, oldest run first. */
export async function readFolder(dir: string): Promise<LoadedResult[]> {
  const out: LoadedResult[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith('.json')) {
        let doc: unknown;
        try {
          doc = JSON.parse(await readFile(p, 'utf8'));
        } catch {
          continue; // not JSON: not a result file
        }
        if (isResultDocument(doc)) out.push({ file: p, result: parseResult(doc, p) });
      }
    }
  };
  await walk(dir);
  out.sort((a, b) => (a.result.startedAt ?? '').localeCompare(b.result.startedAt ?? ''));
  return out;
}

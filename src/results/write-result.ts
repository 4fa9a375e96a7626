/** Writing result files atomically (temp file in the same folder, then rename). */
import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunResult } from './model.js';
import { assertOutputPath } from './output-path.js';

/**
 * writeFileAtomic writes `data` to `path` so that readers see either the old file or the whole new one.
 * It never replaces anything but a regular file, and never creates folders on a kernel filesystem.
 */
export function writeFileAtomic(path: string, data: string): void {
  assertOutputPath(path);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** writeResult writes a result file atomically as pretty JSON. */
export function writeResult(path: string, result: RunResult): void {
  writeFileAtomic(path, JSON.stringify(result, null, 2) + '\n');
}

/** defaultResultPath returns `<dir>/<UTC timestamp>-<name>.json`, e.g. results/20261126T071500Z-127.0.0.1_8080.json. */
export function defaultResultPath(dir: string, name: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'run';
  return join(dir, `${stamp}-${safe}.json`);
}

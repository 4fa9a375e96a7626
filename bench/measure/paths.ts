/** Where things are: the repository root (found from this file, whatever the build folder). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'racerig') return dir;
    dir = dirname(dir);
  }
  throw new Error('bench: cannot find the racerig repository root above ' + fileURLToPath(import.meta.url));
}

/** REPO_ROOT is the absolute path of the racerig repository. */
export const REPO_ROOT = findRepoRoot();

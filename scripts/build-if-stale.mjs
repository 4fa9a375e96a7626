// Builds (scripts/clean.mjs, then tsc) only when a source (src/, test/, bench/, tsconfig*.json,
// package.json) changed after the last successful build began, or a source was added or deleted since
// (a deleted one would leave its compiled test behind): `npm start` and `npm test` right after `npm ci`
// (which built) skip a rebuild. The stamp is dist/.build-stamp, so a cleaned dist/ always rebuilds.
// Usage: node scripts/build-if-stale.mjs [--force]   (--force: build even when current; `npm run build`)
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const stampPath = join(root, 'dist', '.build-stamp');

/** sources lists the files whose change needs a build, with their mtimes (ms). */
function sources() {
  const files = new Map();
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(relative(root, p), statSync(p).mtimeMs);
    }
  };
  for (const d of ['src', 'test', 'bench']) walk(join(root, d));
  for (const name of readdirSync(root)) if (/^tsconfig.*\.json$/.test(name) || name === 'package.json') files.set(name, statSync(join(root, name)).mtimeMs);
  return files;
}

/** stale says why a build is needed, or '' when dist/ is current. */
function stale(files) {
  if (!existsSync(stampPath)) return 'no build stamp';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return 'unreadable build stamp';
  }
  for (const [f, m] of files) if (!(m < stamp.startedAt)) return `${f} changed`;
  // A deleted (or renamed) source leaves its compiled file behind: rebuild from clean.
  const known = new Set(files.keys());
  for (const f of stamp.files ?? []) if (!known.has(f)) return `${f} deleted`;
  for (const f of known) if (!stamp.files?.includes(f)) return `${f} added`;
  return '';
}

const startedAt = Date.now();
const files = sources();
const why = process.argv.includes('--force') ? 'forced' : stale(files);
if (why) {
  if (why !== 'forced') process.stderr.write(`racerig: building (${why})\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const args of [[join(root, 'scripts/clean.mjs')], [tsc, '-p', join(root, 'tsconfig.json')]]) {
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  // Sources changed during the build are newer than startedAt: the next run builds again.
  writeFileSync(stampPath, JSON.stringify({ startedAt, files: [...files.keys()].sort() }) + '\n');
}

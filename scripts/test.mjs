// Runs every compiled test file (dist/**/*.test.js) with Node's built-in test runner.
// Usage: node scripts/test.mjs [substring filter...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(relative(root, p));
  }
}
walk(join(root, process.env.RACERIG_DIST || 'dist'));
files.sort();
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no test files found under dist/ (did the build run?)');
  process.exit(1);
}
// Two test files at a time: most tests wait on servers, child processes and timers, so two files share
// a 2-core machine well (the whole suite in ~6 min instead of ~10). RACERIG_TEST_CONCURRENCY changes it.
const concurrency = process.env.RACERIG_TEST_CONCURRENCY || '2';
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...selected], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, RACERIG_TEST: '1' },
});
process.exit(r.status ?? 1);

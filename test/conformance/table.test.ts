/**
 * The conformance README shows the same table as checks.ts, and every check names at least one client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHECKS, markdownTable } from './checks.js';

test('test/conformance/README.md carries the table of checks.ts', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../test/conformance/README.md', import.meta.url)), 'utf8');
  assert.ok(readme.includes(markdownTable()), 'regenerate the README table from checks.ts (markdownTable)');
  for (const c of CHECKS) assert.match(c.clients, /^[knp]+$/, c.id);
  assert.equal(new Set(CHECKS.map((c) => c.id)).size, CHECKS.length, 'check ids are unique');
});

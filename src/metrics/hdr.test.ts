import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as entry from 'hdr-histogram-js';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, fromJsModules } from './hdr.js';

const params = { lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 as const, bitBucketSize: 64 as const, autoResize: false };
const values = [0, 1, 2, 999, 1000, 1001, 65_535, 1_000_000, 42_424_242, 3_600_000_000];

test('the JS-only hdr-histogram-js modules load (not the package entry with its WebAssembly build)', () => {
  assert.equal(fromJsModules, true);
});

test('build, encode and decode match the package entry exactly, in both directions', () => {
  const ours = build(params);
  const theirs = entry.build(params);
  assert.equal(ours.constructor, theirs.constructor);
  assert.equal(ours.autoResize, false);
  for (const [i, v] of values.entries()) {
    ours.recordValueWithCount(v, i + 1);
    theirs.recordValueWithCount(v, i + 1);
  }
  const encoded = encodeIntoCompressedBase64(ours);
  assert.equal(encoded, entry.encodeIntoCompressedBase64(theirs));
  const back = decodeFromCompressedBase64(encoded, 64, false);
  const backByEntry = entry.decodeFromCompressedBase64(encoded, 64, false);
  assert.equal(back.constructor, backByEntry.constructor);
  assert.equal(back.totalCount, theirs.totalCount);
  for (const p of [0, 50, 90, 99, 99.9, 100]) assert.equal(back.getValueAtPercentile(p), theirs.getValueAtPercentile(p), `p${p}`);
  assert.equal(encodeIntoCompressedBase64(back), encoded);
  assert.throws(() => decodeFromCompressedBase64('AAAA', 64, false), /Encoding not supported/);
});

test('loading the histogram module does not load the package entry (its WebAssembly build)', () => {
  const here = fileURLToPath(new URL('./hdr.js', import.meta.url));
  const script = `import('${here}').then(() => { const loaded = Object.keys(require.cache).filter((f) => f.includes('hdr-histogram-js')); console.log(JSON.stringify(loaded)); })`;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const loaded = JSON.parse(out.stdout) as string[];
  assert.ok(loaded.some((f) => f.endsWith('JsHistogram.encoding.js')), loaded.join('\n'));
  assert.ok(!loaded.some((f) => /[\\/]wasm[\\/]|[\\/]dist[\\/]index\.js$/.test(f)), loaded.join('\n'));
});

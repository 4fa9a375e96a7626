import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeBundle, MAX_BUNDLE_BYTES, packBundle, unpackBundle } from './bundle.js';
import { loadProfile } from '../profile/loader.js';

test('a bundle holds the profile and every file it references, and unpacks to a folder the profile loads from', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bundle-test-'));
  try {
    mkdirSync(join(dir, 'manifests', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'manifests', 'deep', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    writeFileSync(join(dir, 'unused.yaml'), 'not: referenced\n');
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'name: p\ndescription: d\nsetup:\n  - file: manifests/deep/cm.yaml\nphases:\n  - name: a\n    duration: 1s\n    components:\n      - name: c\n        rate: 1\n        scenario:\n          - create: {manifest: {file: manifests/deep/cm.yaml}}\n');
    const profile = await loadProfile(file);
    assert.deepEqual(profile.source.files, [join(dir, 'manifests', 'deep', 'cm.yaml')], 'the loader lists the referenced file once');
    const encoded = packBundle(file, profile.source.files!);
    const content = decodeBundle(encoded, 'test');
    assert.deepEqual(Object.keys(content.files).sort(), ['manifests/deep/cm.yaml', 'p.yaml'], 'only what the profile references');
    const unpacked = unpackBundle(content);
    try {
      const again = await loadProfile(unpacked.profile);
      assert.equal(again.source.sha256, profile.source.sha256);
      assert.equal(readFileSync(join(unpacked.dir, 'manifests', 'deep', 'cm.yaml'), 'utf8'), readFileSync(join(dir, 'manifests', 'deep', 'cm.yaml'), 'utf8'));
    } finally {
      unpacked.remove();
    }
    assert.equal(existsSync(unpacked.dir), false, 'remove() deletes the folder');
    assert.throws(() => packBundle(file, [join(tmpdir(), 'elsewhere.yaml')]), /bundles the profile's folder only.*elsewhere\.yaml/s);
    assert.throws(() => unpackBundle({ profile: 'p.yaml', files: { '../escape.yaml': 'x' } }), /outside its folder/);
    assert.throws(() => decodeBundle('not a bundle', 'environment variable RACERIG_BUNDLE'), /environment variable RACERIG_BUNDLE holds no racerig profile bundle/);
    // Incompressible content beyond the limit is refused with the sizes.
    writeFileSync(join(dir, 'manifests', 'big.yaml'), randomBytes(MAX_BUNDLE_BYTES).toString('hex'));
    assert.throws(() => packBundle(file, [join(dir, 'manifests', 'big.yaml')]), /KiB compressed, more than the 96 KiB a shard pod can receive/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

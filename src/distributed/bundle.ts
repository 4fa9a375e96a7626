/**
 * The profile bundle of a distributed profile run: the profile file and every file it references
 * (manifests, the mock's log file), relative to the profile's folder, as one gzip-compressed,
 * base64-encoded JSON text. The coordinator stores it in the Job's ConfigMap; each shard pod gets it
 * as an environment variable (`--bundle <VAR>`) and unpacks it into a temporary folder.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';

/** BUNDLE_ENV is the environment variable a shard pod receives the bundle in. */
export const BUNDLE_ENV = 'RACERIG_BUNDLE';

/**
 * MAX_BUNDLE_BYTES caps the encoded bundle: it travels as one environment variable, and Linux refuses
 * to start a process with a single environment string over 128 KiB (a ConfigMap holds up to 1 MiB).
 */
export const MAX_BUNDLE_BYTES = 96 * 1024;

/** BundleContent is the decoded bundle: the profile's path and every file by path, relative to the profile's folder ('/' separators). */
export interface BundleContent {
  profile: string;
  files: Record<string, string>;
}

/** packBundle reads the profile `file` and the `referenced` files (absolute paths) into an encoded bundle; throws a UsageError when a file lies outside the profile's folder or the bundle is too large. */
export function packBundle(file: string, referenced: readonly string[]): string {
  const dir = dirname(resolve(file));
  const files: Record<string, string> = {};
  const outside: string[] = [];
  for (const abs of [resolve(file), ...referenced]) {
    const rel = relative(dir, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      outside.push(abs);
      continue;
    }
    files[rel.split(sep).join('/')] = readFileSync(abs, 'utf8');
  }
  if (outside.length) throw new UsageError(`a distributed run bundles the profile's folder only; these files lie outside ${dir}: ${outside.join(', ')}`, 'move them beside the profile (or below its folder) and refer to them by a relative path');
  const content: BundleContent = { profile: relative(dir, resolve(file)).split(sep).join('/'), files };
  const encoded = gzipSync(JSON.stringify(content), { level: 9 }).toString('base64');
  if (encoded.length > MAX_BUNDLE_BYTES) {
    throw new UsageError(`the profile and the files it references are ${Math.ceil(encoded.length / 1024)} KiB compressed, more than the ${MAX_BUNDLE_BYTES / 1024} KiB a shard pod can receive in one environment variable`, 'make the manifests smaller (or fewer), or run the shards by hand with --shard i/N');
  }
  return encoded;
}

/** decodeBundle decodes an encoded bundle; throws a UsageError naming `what` when it is not one. */
export function decodeBundle(encoded: string, what: string): BundleContent {
  try {
    const content = JSON.parse(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8')) as BundleContent;
    if (typeof content.profile !== 'string' || typeof content.files !== 'object' || content.files === null) throw new Error('no profile or files');
    return content;
  } catch (err) {
    throw new UsageError(`${what} holds no racerig profile bundle: ${(err as Error).message}`);
  }
}

/** unpackBundle writes a bundle's files into a new temporary folder; returns the folder, the profile's path in it, and a function that removes the folder. */
export function unpackBundle(content: BundleContent): { dir: string; profile: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bundle-'));
  const inside = (rel: string): string => {
    const abs = resolve(dir, rel);
    if (relative(dir, abs).startsWith('..') || isAbsolute(relative(dir, abs))) throw new UsageError(`the profile bundle names a file outside its folder: ${rel}`);
    return abs;
  };
  for (const [rel, text] of Object.entries(content.files)) {
    const abs = inside(rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  return { dir, profile: inside(content.profile), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Manifests for `racerig cluster deploy`: every document of every file (`kind: List` expanded), the
 * `--set-image container=image` overrides applied to every pod template, and the objects ordered so that
 * namespaces and CRDs are applied before what lives in them.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { UsageError } from '../errors.js';

/** Manifest is one object to apply, with the file it came from. */
export interface Manifest {
  obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };
  file: string;
}

/** ImageOverride sets the image of every container named `container` ('*': every container). */
export interface ImageOverride {
  container: string;
  image: string;
}

/** parseSetImage parses `--set-image <container>=<image>` values. */
export function parseSetImage(values: string[]): ImageOverride[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--set-image must be <container>=<image>, got "${v}"`);
    return { container: v.slice(0, eq), image: v.slice(eq + 1) };
  });
}

/** readManifests reads every object of `files` (YAML or JSON, several documents each); reports every problem at once. */
export function readManifests(files: string[]): Manifest[] {
  const out: Manifest[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      continue;
    }
    for (const doc of parseAllDocuments(text)) {
      if ('errors' in doc && doc.errors.length) {
        for (const e of doc.errors) problems.push(`${file}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`);
        continue;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
      } catch (err) {
        // A "billion laughs" document: its aliases expand past the limit.
        problems.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      if (value === null || value === undefined) continue;
      const items = isObject(value) && value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
      for (const item of items) {
        if (!isObject(item) || typeof item.apiVersion !== 'string' || typeof item.kind !== 'string' || !isObject(item.metadata) || typeof item.metadata.name !== 'string' || !item.metadata.name) {
          problems.push(`${file}: every object needs apiVersion, kind and metadata.name`);
          continue;
        }
        out.push({ obj: item as Manifest['obj'], file });
      }
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  if (!out.length) throw new UsageError(`no objects in ${files.join(', ')}`);
  const rank = (m: Manifest) => (m.obj.kind === 'Namespace' ? 0 : m.obj.kind === 'CustomResourceDefinition' ? 1 : 2);
  return out.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i).map((x) => x.m);
}

/** podSpecsOf returns the pod specs inside an object (a pod's own, a workload's template, a CronJob's job template). */
export function podSpecsOf(obj: Record<string, unknown>): Record<string, unknown>[] {
  const spec = obj.spec;
  if (!isObject(spec)) return [];
  if (obj.kind === 'Pod') return [spec];
  const tmpl = (s: Record<string, unknown>) => (isObject(s.template) && isObject(s.template.spec) ? [s.template.spec] : []);
  if (obj.kind === 'CronJob') return isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec) ? tmpl(spec.jobTemplate.spec) : [];
  return tmpl(spec);
}

/** setImages applies the overrides to every manifest (in place); throws a UsageError naming overrides that matched no container. */
export function setImages(manifests: Manifest[], overrides: ImageOverride[]): void {
  const used = new Set<ImageOverride>();
  for (const m of manifests) {
    for (const ps of podSpecsOf(m.obj)) {
      for (const key of ['initContainers', 'containers']) {
        const list = ps[key];
        if (!Array.isArray(list)) continue;
        for (const c of list as Record<string, unknown>[]) {
          for (const o of overrides) {
            if (o.container === '*' || o.container === c.name) {
              c.image = o.image;
              used.add(o);
            }
          }
        }
      }
    }
  }
  const unused = overrides.filter((o) => !used.has(o));
  if (unused.length) throw new UsageError(`--set-image: no container named ${unused.map((o) => `"${o.container}"`).join(', ')} in the manifests`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

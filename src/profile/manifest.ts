/** Manifests of create steps and setup: inline or from files relative to the profile, labelled with the run, templated. */
import { RUN_LABEL } from './types.js';
import type { LoadContext } from './load-context.js';
import { refFromManifest, type ResourceRef } from './resource-ref.js';
import { hasTemplate, type Template } from './template.js';
import { buildValueTemplate, type ValueTemplate } from './value-template.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** LoadedManifest is one manifest ready to render, with its type and where it was written. */
export interface LoadedManifest {
  resource: ResourceRef;
  manifest: ValueTemplate;
  source: YamlSource;
  path: DataPath;
}

const RUN_ID_TEMPLATE: Template = { source: '{{run.id}}', parts: [{ kind: 'var', name: 'run.id' }] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** loadManifests resolves the manifest written at `path` of the profile: one object inline, or every document of a file. */
export function loadManifests(ctx: LoadContext, path: DataPath, raw: Record<string, unknown>, objects: ReadonlySet<string>): LoadedManifest[] {
  if (typeof raw.file === 'string' && raw.apiVersion === undefined) {
    const docs = ctx.yamlFile(ctx.source, [...path, 'file'], raw.file);
    if (!docs) return [];
    if (docs.length === 0) ctx.report(ctx.source, [...path, 'file'], `${raw.file} holds no manifest`);
    return docs.flatMap((doc) => manifestOf(ctx, doc, [], doc.data, objects));
  }
  return manifestOf(ctx, ctx.source, path, raw, objects);
}

function manifestOf(ctx: LoadContext, src: YamlSource, path: DataPath, value: unknown, objects: ReadonlySet<string>): LoadedManifest[] {
  if (!isRecord(value)) {
    ctx.report(src, path, 'a manifest must be a map with apiVersion and kind');
    return [];
  }
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) {
    ctx.report(src, path, 'a manifest needs apiVersion and kind (strings)');
    return [];
  }
  if (value.metadata !== undefined && !isRecord(value.metadata)) {
    ctx.report(src, [...path, 'metadata'], 'metadata must be a map');
    return [];
  }
  const metadata = { ...((value.metadata as Record<string, unknown> | undefined) ?? {}) };
  if (typeof metadata.name !== 'string' && typeof metadata.generateName !== 'string') {
    ctx.report(src, path, `${kind} manifest needs metadata.name or metadata.generateName`, 'e.g. name: "pod-{{worker}}-{{iteration}}" or generateName: pod-');
  }
  const labels = isRecord(metadata.labels) ? { ...metadata.labels } : {};
  labels[RUN_LABEL] = RUN_ID_TEMPLATE.source;
  const labelled = { ...value, metadata: { ...metadata, labels } };
  const manifest = buildValueTemplate(labelled, (p, text) => {
    if (p.length === 3 && p[0] === 'metadata' && p[1] === 'labels' && p[2] === RUN_LABEL) return RUN_ID_TEMPLATE;
    return hasTemplate(text) ? ctx.template(src, [...path, ...p], text, objects) : undefined;
  });
  return [{ resource: refFromManifest(apiVersion, kind), manifest, source: src, path }];
}

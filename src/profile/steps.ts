/** Normalization of steps: typed fields, parsed resources and templates, default operation names. */
import { normalizeCondition } from './condition.js';
import { parseFieldPath, type PathSegment } from './field-path.js';
import type { LoadContext } from './load-context.js';
import { loadManifests } from './manifest.js';
import { guessResource, parseResourceName, type ResourceRef } from './resource-ref.js';
import { STEP_KINDS, StepSchemas, type StepFields, type StepInput, type StepKind } from './schema.js';
import { RESERVED_NAMES, hasTemplate, type Template } from './template.js';
import type { Step, StepBase } from './types.js';
import { buildValueTemplate, type ValueTemplate } from './value-template.js';
import type { DataPath } from './yaml-source.js';

/** DEFAULT_NAMESPACE_TEMPLATE renders the target namespace. */
export const DEFAULT_NAMESPACE_TEMPLATE: Template = { source: '{{namespace}}', parts: [{ kind: 'var', name: 'namespace' }] };

const DEFAULT_WAIT_TIMEOUT_MS = 30_000;

/** STORING_KINDS are the step kinds whose response object `as:` can store. */
export const STORING_KINDS: readonly StepKind[] = ['create', 'get', 'list', 'update', 'patch', 'wait'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** StepDraft is a normalized step before its operation gets an index. */
export type StepDraft = Step extends infer S ? (S extends Step ? Omit<S, 'operationIndex'> : never) : never;

/** stepKindOf returns the kind of a raw step when it has exactly one kind key. */
export function stepKindOf(raw: unknown): StepKind | undefined {
  if (!isRecord(raw)) return undefined;
  const kinds = Object.keys(raw).filter((k) => (STEP_KINDS as readonly string[]).includes(k));
  return kinds.length === 1 ? (kinds[0] as StepKind) : undefined;
}

/** defaultOperationName is `<verb> <resource>` (e.g. `create pods`, `patch pods/status`, `GET /healthz`); sleep has none. */
export function defaultOperationName(kind: StepKind, resource: ResourceRef | undefined, httpMethod?: string, httpPath?: string): string {
  if (kind === 'sleep') return '';
  if (kind === 'event') return 'record events';
  if (kind === 'http') return `${httpMethod ?? 'GET'} ${httpPath ?? ''}`;
  if (!resource) return kind;
  return `${kind} ${resource.resource}${resource.subresource ? `/${resource.subresource}` : ''}`;
}

/** guessOperationName names the operation of a raw step that may be invalid (used to check thresholds regardless). */
export function guessOperationName(raw: unknown): string | undefined {
  const kind = stepKindOf(raw);
  if (!kind || !isRecord(raw)) return undefined;
  if (typeof raw.operation === 'string') return raw.operation;
  const body = raw[kind];
  if (kind === 'exec' || kind === 'logs') return `${kind} pods`;
  if (kind === 'event') return 'record events';
  if (!isRecord(body)) return kind === 'sleep' ? '' : undefined;
  if (kind === 'http') return defaultOperationName(kind, undefined, typeof body.method === 'string' ? body.method.toUpperCase() : undefined, String(body.path ?? ''));
  if (typeof body.resource === 'string') {
    const ref = parseResourceName(body.resource);
    return typeof ref === 'string' ? undefined : defaultOperationName(kind, ref);
  }
  const m = body.manifest;
  if (isRecord(m) && typeof m.kind === 'string') return defaultOperationName(kind, { resource: guessResource(m.kind), group: '' });
  return undefined;
}

/** checkTemplates reports the template problems of every string below `path` (for steps that are invalid otherwise). */
function checkTemplates(ctx: LoadContext, path: DataPath, value: unknown, objects: ReadonlySet<string>): void {
  if (typeof value === 'string') ctx.template(ctx.source, path, value, objects);
  else if (Array.isArray(value)) value.forEach((v, i) => checkTemplates(ctx, [...path, i], v, objects));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) checkTemplates(ctx, [...path, k], v, objects);
}

/**
 * normalizeStep validates and normalizes the raw step at `path`; `objects` holds the `as:` names of earlier steps of the
 * iteration. Returns undefined when the step is invalid (its zod problems are reported by the whole-profile parse).
 */
export function normalizeStep(ctx: LoadContext, path: DataPath, raw: unknown, objects: ReadonlySet<string>): StepDraft | undefined {
  const kind = stepKindOf(raw);
  if (!kind) return undefined;
  const parsed = StepSchemas[kind].safeParse(raw);
  if (!parsed.success) {
    checkTemplates(ctx, [...path, kind], (raw as Record<string, unknown>)[kind], objects);
    return undefined;
  }
  const step = parsed.data as StepInput;
  const src = ctx.source;
  const fields = <K extends StepKind>(k: K): StepFields<K> => (step as unknown as Record<string, unknown>)[k] as StepFields<K>;
  const at = src.pos(path);
  const p = [...path, kind];
  const tpl = (field: string, text: string | undefined): Template | undefined => (text === undefined ? undefined : ctx.template(src, [...p, field], text, objects));
  // Only strings holding an expression become slots: fixed strings stay in the fixed JSON text (no work per render).
  const value = (sub: DataPath, v: unknown): ValueTemplate =>
    buildValueTemplate(v, (q, text) => (hasTemplate(text) ? ctx.template(src, [...p, ...sub, ...q], text, objects) : undefined));
  if (step.as !== undefined && !STORING_KINDS.includes(kind)) ctx.report(src, [...path, 'as'], `as: on a ${kind} step stores nothing`, `only ${STORING_KINDS.join(', ')} steps return an object`, true);
  else if (step.as !== undefined && RESERVED_NAMES.includes(step.as)) ctx.report(src, [...path, 'as'], `as: ${JSON.stringify(step.as)} is a reserved template name`, `reserved: ${RESERVED_NAMES.join(', ')}`);
  const base = (resource: ResourceRef | undefined, method?: string, httpPath?: string): Omit<StepBase, 'kind' | 'operationIndex'> => ({
    operation: step.operation ?? defaultOperationName(kind, resource, method, httpPath),
    ...(step.as !== undefined ? { as: step.as } : {}),
    weight: step.weight ?? 1,
    ...(step.delay !== undefined ? { delayMs: step.delay } : {}),
    background: step.background ?? false,
    at,
  });
  if (step.background && step.as !== undefined) ctx.report(src, [...path, 'as'], 'a background step stores nothing for later steps', 'the iteration does not wait for it; drop as: or background:');
  if (kind === 'sleep' && (step.background || step.delay !== undefined)) ctx.report(src, [...path, kind], 'delay and background do nothing on a sleep step', 'write the sleep on its own');
  const resourceOf = (text: string): ResourceRef | undefined => {
    const ref = parseResourceName(text);
    if (typeof ref === 'string') {
      ctx.report(src, [...p, 'resource'], ref, 'name resources like kubectl: pods, workflows.argoproj.io, pods/status');
      return undefined;
    }
    return ref;
  };
  const ns = (text: string | undefined): Template => tpl('namespace', text) ?? DEFAULT_NAMESPACE_TEMPLATE;
  const opt = <T>(key: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [key]: v });

  switch (kind) {
    case 'create': {
      const s = fields('create');
      const manifests = loadManifests(ctx, [...p, 'manifest'], s.manifest as Record<string, unknown>, objects);
      if (manifests.length > 1) ctx.report(src, [...p, 'manifest'], 'a create step takes one manifest; this file holds several', 'use setup for several objects, or one step per object');
      const m = manifests[0];
      if (!m) return undefined;
      const resource = s.resource !== undefined ? resourceOf(s.resource) : m.resource;
      if (!resource) return undefined;
      return { kind, ...base(resource), resource, namespace: ns(s.namespace), manifest: m.manifest };
    }
    case 'get': {
      const s = fields('get');
      const resource = resourceOf(s.resource);
      if (!resource) return undefined;
      return { kind, ...base(resource), resource, namespace: ns(s.namespace), name: tpl('name', s.name)! };
    }
    case 'list': {
      const s = fields('list');
      const resource = resourceOf(s.resource);
      if (!resource) return undefined;
      return {
        kind, ...base(resource), resource, namespace: ns(s.namespace), allNamespaces: s.allNamespaces ?? false,
        ...opt('labelSelector', tpl('labelSelector', s.labelSelector)), ...opt('fieldSelector', tpl('fieldSelector', s.fieldSelector)),
        ...opt('limit', s.limit), allPages: s.allPages ?? false, ...opt('resourceVersion', s.resourceVersion),
      };
    }
    case 'watch': {
      const s = fields('watch');
      const resource = resourceOf(s.resource);
      if (!resource) return undefined;
      return {
        kind, ...base(resource), resource, namespace: ns(s.namespace), allNamespaces: s.allNamespaces ?? false,
        ...opt('labelSelector', tpl('labelSelector', s.labelSelector)), ...opt('fieldSelector', tpl('fieldSelector', s.fieldSelector)),
        count: s.count ?? 1, ...opt('forMs', s.for), ...opt('resourceVersion', tpl('resourceVersion', s.resourceVersion)), allowBookmarks: s.allowBookmarks ?? true,
      };
    }
    case 'update': {
      const s = fields('update');
      const resource = resourceOf(s.resource);
      if (!resource) return undefined;
      const set: Array<{ field: string; path: PathSegment[]; value: ValueTemplate }> = [];
      for (const [field, v] of Object.entries(s.set)) {
        const fp = parseFieldPath(field);
        if (typeof fp === 'string') ctx.report(src, [...p, 'set', field], fp, undefined, true);
        else set.push({ field, path: fp, value: value(['set', field], v) });
      }
      if (set.length === 0 && Object.keys(s.set).length === 0) ctx.report(src, [...p, 'set'], 'update needs at least one field to set', 'e.g. set: {metadata.annotations.touched: "{{uuid}}"}');
      return { kind, ...base(resource), resource, namespace: ns(s.namespace), name: tpl('name', s.name)!, set, retryOnConflict: s.retryOnConflict ?? 0, optimistic: s.optimistic ?? false };
    }
    case 'patch': {
      const s = fields('patch');
      const resource = resourceOf(s.resource);
      if (!resource) return undefined;
      const type = s.type ?? 'merge';
      if ((type === 'json') !== Array.isArray(s.body)) {
        ctx.report(src, [...p, 'body'], type === 'json' ? 'a json patch body is a list of operations' : `a ${type} patch body is a map`, 'e.g. [{op: replace, path: /metadata/labels/x, value: y}] for type json');
      }
      if (type === 'apply' && isRecord(s.body) && (typeof s.body.apiVersion !== 'string' || typeof s.body.kind !== 'string')) {
        ctx.report(src, [...p, 'body'], 'an apply patch body needs apiVersion and kind');
      }
      return {
        kind, ...base(resource), resource, namespace: ns(s.namespace), name: tpl('name', s.name)!, type, body: value(['body'], s.body),
        ...opt('fieldManager', s.fieldManager), force: s.force ?? false,
      };
    }
    case 'delete': {
      const s = fields('delete');
      const resource = resourceOf(s.resource);
      if (!resource) return undefined;
      return {
        kind, ...base(resource), resource, namespace: ns(s.namespace), name: tpl('name', s.name)!,
        ...opt('gracePeriodSeconds', s.gracePeriodSeconds), ...opt('propagationPolicy', s.propagationPolicy), ignoreNotFound: s.ignoreNotFound ?? false,
      };
    }
    case 'deletecollection': {
      const s = fields('deletecollection');
      const resource = resourceOf(s.resource);
      if (!resource) return undefined;
      return {
        kind, ...base(resource), resource, namespace: ns(s.namespace),
        ...opt('labelSelector', tpl('labelSelector', s.labelSelector)), ...opt('fieldSelector', tpl('fieldSelector', s.fieldSelector)),
        ...opt('gracePeriodSeconds', s.gracePeriodSeconds), ...opt('propagationPolicy', s.propagationPolicy),
      };
    }
    case 'exec': {
      const s = fields('exec');
      const resource: ResourceRef = { resource: 'pods', group: '', version: 'v1', subresource: 'exec' };
      if (s.containers && s.container !== undefined) ctx.report(src, [...p, 'containers'], 'exec takes container or containers, not both', 'containers: {allExcept: [main]} execs into every other running container');
      if (s.containers?.from !== undefined && !objects.has(s.containers.from)) {
        ctx.report(src, [...p, 'containers', 'from'], `no earlier step stores ${JSON.stringify(s.containers.from)}`, `stored objects: ${[...objects].join(', ') || 'none'} (as: on an earlier step)`);
      }
      return {
        kind, ...base({ resource: 'pods', group: '' }), resource, namespace: ns(s.namespace), pod: tpl('pod', s.pod)!, ...opt('container', tpl('container', s.container)),
        ...opt('containers', s.containers ? { allExcept: s.containers.allExcept, ...opt('from', s.containers.from) } : undefined),
        command: s.command.map((c, i) => ctx.template(src, [...p, 'command', i], c, objects)), ...opt('stdin', s.stdin), expectExitCode: s.expectExitCode ?? 0, ...opt('timeoutMs', s.timeout),
        protocol: s.protocol ?? 'websocket',
      };
    }
    case 'logs': {
      const s = fields('logs');
      const resource: ResourceRef = { resource: 'pods', group: '', version: 'v1', subresource: 'log' };
      return {
        kind, ...base({ resource: 'pods', group: '' }), resource, namespace: ns(s.namespace), pod: tpl('pod', s.pod)!, ...opt('container', tpl('container', s.container)),
        ...opt('followMs', s.follow), ...opt('tailLines', s.tailLines), timestamps: s.timestamps ?? false,
      };
    }
    case 'wait': {
      const s = fields('wait');
      const resource = resourceOf(s.resource);
      const until = normalizeCondition(ctx, src, [...p, 'until'], s.until);
      if (!resource || !until) return undefined;
      return { kind, ...base(resource), resource, namespace: ns(s.namespace), name: tpl('name', s.name)!, until, timeoutMs: s.timeout ?? DEFAULT_WAIT_TIMEOUT_MS };
    }
    case 'event': {
      const s = fields('event');
      const resource: ResourceRef = { resource: 'events', group: '', version: 'v1' };
      const io = s.involvedObject;
      const tplIn = (field: string, text: string | undefined): Template | undefined => (text === undefined ? undefined : ctx.template(src, [...p, 'involvedObject', field], text, objects));
      return {
        kind, ...base(resource), resource, namespace: ns(s.namespace),
        involvedObject: { apiVersion: io.apiVersion, kind: io.kind, name: tplIn('name', io.name)!, ...opt('namespace', tplIn('namespace', io.namespace)), ...opt('uid', tplIn('uid', io.uid)) },
        reason: tpl('reason', s.reason)!, message: tpl('message', s.message)!, type: s.type ?? 'Normal', component: s.component ?? 'racerig',
      };
    }
    case 'sleep':
      return { kind, ...base(undefined), durationMs: fields('sleep') };
    case 'http': {
      const s = fields('http');
      const method = (s.method ?? 'GET').toUpperCase();
      if (!s.path.startsWith('/')) ctx.report(src, [...p, 'path'], 'an http path starts with /', 'the target URL comes from the kubeconfig or the embedded mock');
      const headers: Record<string, Template> = {};
      for (const [k, v] of Object.entries(s.headers ?? {})) headers[k.toLowerCase()] = ctx.template(src, [...p, 'headers', k], v, objects);
      const body = s.body === undefined ? undefined : typeof s.body === 'string' ? { text: tpl('body', s.body)! } : { json: value(['body'], s.body) };
      const expectStatus = s.expectStatus === undefined ? [] : Array.isArray(s.expectStatus) ? s.expectStatus : [s.expectStatus];
      return { kind, ...base(undefined, method, s.path), method, path: tpl('path', s.path)!, headers, ...opt('body', body), expectStatus };
    }
  }
}

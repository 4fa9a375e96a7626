/**
 * normalizeProfile walks the parsed profile section by section, tolerating invalid parts (the whole-profile zod
 * parse reports those), so that template, manifest, bound and threshold problems are all found in the same load.
 */
import { describeCondition, normalizeCondition } from './condition.js';
import type { LoadContext } from './load-context.js';
import { loadManifests } from './manifest.js';
import { formatResource, parseResourceName } from './resource-ref.js';
import { ComponentSchema, MeasureSchema, MockSchema, ObserverSchema, PhaseSchema, ProfileSchema, SutSchema } from './schema.js';
import { splitCommandLine } from '../sut/command-line.js';
import { DEFAULT_NAMESPACE_TEMPLATE, guessOperationName, normalizeStep, type StepDraft } from './steps.js';
import { compilePattern } from '../observe/log-scanner.js';
import { parseThreshold, THRESHOLD_GRAMMAR, type Threshold } from './threshold.js';
import type { Component, ComponentLoad, Measurement, Observer, Phase, Profile, ProfileMockOptions, SetupObject, Step, SutSpec } from './types.js';
import type { DataPath } from './yaml-source.js';

const DEFAULT_MEASURE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_CLEANUP_TIMEOUT_MS = 60_000;
const DEFAULT_CROSS_CHECK_TOLERANCE = 0.01;
const NO_OBJECTS: ReadonlySet<string> = new Set();

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** normalizeProfile builds the normalized profile from the data and its whole-profile zod parse, or undefined when any problem was found (those not from zod are in ctx.problems). */
export function normalizeProfile(ctx: LoadContext, source: Profile['source'], parsed: ReturnType<typeof ProfileSchema.safeParse>): Profile | undefined {
  const data = ctx.source.data;
  if (!isRecord(data)) return undefined;
  const operations: string[] = [];
  const opIndex = (name: string): number => {
    if (!name) return -1;
    let i = operations.indexOf(name);
    if (i < 0) i = operations.push(name) - 1;
    return i;
  };
  const clients = normalizeClients(data.clients);
  const phases = list(data.phases).map((raw, i) => normalizePhase(ctx, ['phases', i], raw, opIndex, clients));
  checkUnique(ctx, list(data.phases), ['phases'], 'phase');
  const setup = list(data.setup).flatMap((raw, i) => normalizeSetup(ctx, ['setup', i], raw));
  const measure = list(data.measure).map((raw, i) => normalizeMeasure(ctx, ['measure', i], raw));
  const known = new Set(list(data.phases).flatMap((ph) => (isRecord(ph) ? list(ph.components) : [])).flatMap((c) => (isRecord(c) ? [...list(c.scenario), ...list(c.mix)] : [])).map(guessOperationName).filter((n): n is string => !!n));
  for (const op of operations) known.add(op);
  for (const m of measure) if (m) known.add(m.name);
  const thresholds = list(data.thresholds).map((raw, i) => normalizeThreshold(ctx, ['thresholds', i], raw, known, new Set(measure.flatMap((m) => (m ? [m.name] : [])))));
  const mock = normalizeMock(ctx, data.mock);
  const sut = data.sut === undefined ? undefined : normalizeSut(ctx, data.sut);
  const observe = list(data.observe)
    .map((raw, i) => normalizeObserver(ctx, ['observe', i], raw))
    .filter((o): o is Observer => !!o);
  if (!parsed.success || ctx.problems.length > 0) return undefined;
  const p = parsed.data;
  const cleanup = typeof p.cleanup === 'object' ? { enabled: p.cleanup.enabled ?? true, timeoutMs: p.cleanup.timeout ?? DEFAULT_CLEANUP_TIMEOUT_MS } : { enabled: p.cleanup ?? true, timeoutMs: DEFAULT_CLEANUP_TIMEOUT_MS };
  return {
    name: p.name,
    description: p.description,
    source,
    target: {
      namespace: p.target?.namespace ?? 'default',
      createNamespace: p.target?.createNamespace ?? false,
      ...(p.target?.kubeconfig !== undefined ? { kubeconfig: ctx.resolvePath(p.target.kubeconfig).abs } : {}),
      ...(p.target?.context !== undefined ? { context: p.target.context } : {}),
    },
    mock: mock ?? {},
    clients,
    setup,
    phases: phases as Phase[],
    measure: measure as Measurement[],
    thresholds: thresholds as Threshold[],
    cleanup,
    observe,
    ...(sut ? { sut } : {}),
    operations,
    smoke: false,
  };
}

function checkUnique(ctx: LoadContext, items: unknown[], path: DataPath, what: string): void {
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (!isRecord(it) || typeof it.name !== 'string') return;
    if (seen.has(it.name)) ctx.report(ctx.source, [...path, i, 'name'], `duplicate ${what} name ${JSON.stringify(it.name)}`, `${what} names must be unique`);
    seen.add(it.name);
  });
}

type Clients = Record<string, { qps: number; burst: number }>;

function normalizeClients(raw: unknown): Clients {
  const out: Clients = {};
  if (!isRecord(raw)) return out;
  for (const [name, c] of Object.entries(raw)) {
    if (isRecord(c) && typeof c.qps === 'number' && c.qps > 0) out[name] = { qps: c.qps, burst: typeof c.burst === 'number' ? c.burst : Math.max(1, Math.ceil(c.qps)) };
  }
  return out;
}

function normalizePhase(ctx: LoadContext, path: DataPath, raw: unknown, opIndex: (name: string) => number, clients: Clients): Phase | undefined {
  if (!isRecord(raw)) return undefined;
  const rawComponents = list(raw.components);
  const components = rawComponents.map((c, i) => normalizeComponent(ctx, [...path, 'components', i], c, raw, opIndex, clients));
  checkUnique(ctx, rawComponents, [...path, 'components'], 'component');
  const bounded = (v: unknown) => isRecord(v) && v.iterations !== undefined;
  if (raw.duration === undefined && raw.iterations === undefined && !(rawComponents.length > 0 && rawComponents.every(bounded))) {
    ctx.report(ctx.source, path, `phase ${JSON.stringify(typeof raw.name === 'string' ? raw.name : `#${String(path[path.length - 1])}`)} has no bound`, 'give it a duration and/or iterations (or iterations on every component)');
  }
  const parsed = PhaseSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const ph = parsed.data;
  if (ph.duration === 0) ctx.report(ctx.source, [...path, 'duration'], 'a phase duration must be longer than 0');
  if (components.some((c) => !c)) return undefined;
  return { name: ph.name, ...(ph.duration !== undefined ? { durationMs: ph.duration } : {}), ...(ph.iterations !== undefined ? { iterations: ph.iterations } : {}), components: components as Component[], at: ctx.source.pos(path) };
}

function normalizeComponent(ctx: LoadContext, path: DataPath, raw: unknown, phase: Record<string, unknown>, opIndex: (name: string) => number, clients: Clients): Component | undefined {
  if (!isRecord(raw)) return undefined;
  const mode = raw.mix !== undefined && raw.scenario === undefined ? 'mix' : 'scenario';
  const objects = new Set<string>();
  const steps: Array<StepDraft | undefined> = list(raw[mode]).map((s, i) => {
    const step = normalizeStep(ctx, [...path, mode, i], s, mode === 'scenario' ? objects : NO_OBJECTS);
    if (mode === 'scenario' && isRecord(s) && typeof s.as === 'string') objects.add(s.as);
    return step;
  });
  const name = JSON.stringify(typeof raw.name === 'string' ? raw.name : `#${String(path[path.length - 1])}`);
  const models = (['rate', 'every', 'ramp', 'concurrency'] as const).filter((k) => raw[k] !== undefined);
  if (models.length !== 1) {
    ctx.report(ctx.source, path, `component ${name} needs exactly one load model${models.length ? `; found ${models.join(', ')}` : ''}`, 'rate: N (iterations/s), every: 2s, ramp: {from, to}, or concurrency: N (closed model)');
  }
  if ((raw.scenario === undefined) === (raw.mix === undefined)) {
    ctx.report(ctx.source, path, `component ${name} needs exactly one of scenario or mix`, 'scenario: steps of one iteration in order; mix: one weighted step per iteration');
  }
  if (raw.burst !== undefined && raw.qps === undefined) ctx.report(ctx.source, [...path, 'burst'], 'burst without qps', 'set qps too (requests per second)', true);
  if (typeof raw.client === 'string') {
    if (raw.qps !== undefined) ctx.report(ctx.source, [...path, 'client'], 'a component takes client or qps, not both', 'the client\'s qps and burst apply');
    else if (!clients[raw.client]) ctx.report(ctx.source, [...path, 'client'], `unknown client ${JSON.stringify(raw.client)}`, `clients: ${Object.keys(clients).join(', ') || 'none (add a top-level clients: {name: {qps, burst}})'}`, true);
  }
  const parsed = ComponentSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  if (c.every === 0) ctx.report(ctx.source, [...path, 'every'], 'every must be longer than 0');
  if (steps.some((s) => !s) || models.length !== 1) return undefined;
  const load: ComponentLoad =
    c.rate !== undefined ? { kind: 'rate', perSecond: c.rate } : c.every !== undefined ? { kind: 'rate', perSecond: 1000 / c.every } : c.ramp !== undefined ? { kind: 'ramp', from: c.ramp.from, to: c.ramp.to } : { kind: 'concurrency', workers: c.concurrency! };
  const iterations = c.iterations ?? (typeof phase.iterations === 'number' ? phase.iterations : undefined);
  return {
    name: c.name,
    load,
    ...(c.maxInFlight !== undefined ? { maxInFlight: c.maxInFlight } : {}),
    ...(c.qps !== undefined ? { qps: c.qps, burst: c.burst ?? Math.max(1, Math.ceil(c.qps)) } : {}),
    ...(c.client !== undefined && clients[c.client] ? { client: { name: c.client, ...clients[c.client]! } } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
    delayMs: c.delay ?? 0,
    mode,
    steps: (steps as StepDraft[]).map((s) => ({ ...s, operationIndex: opIndex(s.operation) }) as Step),
    at: ctx.source.pos(path),
  };
}

function normalizeSetup(ctx: LoadContext, path: DataPath, raw: unknown): SetupObject[] {
  if (!isRecord(raw)) return [];
  return loadManifests(ctx, path, raw, NO_OBJECTS).map((m) => ({ resource: m.resource, namespace: DEFAULT_NAMESPACE_TEMPLATE, manifest: m.manifest, at: m.source.pos(m.path) }));
}

function normalizeMeasure(ctx: LoadContext, path: DataPath, raw: unknown): Measurement | undefined {
  const parsed = MeasureSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const m = parsed.data;
  const resource = parseResourceName(m.resource);
  if (typeof resource === 'string') {
    ctx.report(ctx.source, [...path, 'resource'], resource);
    return undefined;
  }
  const to = normalizeCondition(ctx, ctx.source, [...path, 'to'], m.to);
  const from = m.from === undefined || m.from === 'created' ? 'created' : normalizeCondition(ctx, ctx.source, [...path, 'from'], m.from);
  if (!to || !from) return undefined;
  const name = m.name ?? `${formatResource(resource)} ${from === 'created' ? 'created' : describeCondition(from)}→${describeCondition(to)}`;
  const namespace = m.namespace === undefined ? DEFAULT_NAMESPACE_TEMPLATE : ctx.template(ctx.source, [...path, 'namespace'], m.namespace, NO_OBJECTS);
  return { name, resource, namespace, from, to, timeoutMs: m.timeout ?? DEFAULT_MEASURE_TIMEOUT_MS, at: ctx.source.pos(path) };
}

function normalizeThreshold(ctx: LoadContext, path: DataPath, raw: unknown, operations: ReadonlySet<string>, measures: ReadonlySet<string>): Threshold | undefined {
  if (typeof raw !== 'string') return undefined;
  const t = parseThreshold(raw);
  if (typeof t === 'string') {
    ctx.report(ctx.source, path, t, THRESHOLD_GRAMMAR);
    return undefined;
  }
  if (t.operation !== undefined && t.stat !== 'findings' && !operations.has(t.operation)) {
    const names = [...operations].filter((n) => n && (t.unit === 'ms' || !measures.has(n)));
    ctx.problems.push({ ...ctx.source.posInScalar(path, t.operation), message: `threshold names unknown operation ${JSON.stringify(t.operation)}`, hint: `operations: ${names.join(', ') || 'none'}` });
    return undefined;
  }
  if (t.operation !== undefined && measures.has(t.operation) && t.unit !== 'ms') {
    ctx.report(ctx.source, path, `${JSON.stringify(t.operation)} is a measurement: only latency statistics (pNN, min, max, mean) apply to it`);
    return undefined;
  }
  return t;
}

function normalizeSut(ctx: LoadContext, raw: unknown): SutSpec | undefined {
  const parsed = SutSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  let command: string[] | undefined;
  if (typeof p.command === 'string') {
    try {
      command = splitCommandLine(p.command, 'sut.command');
    } catch (err) {
      ctx.report(ctx.source, ['sut', 'command'], (err as Error).message);
    }
  } else if (p.command) command = p.command;
  const r = p.ready ?? {};
  const given = (['log', 'http', 'delay'] as const).filter((k) => r[k] !== undefined);
  if (given.length > 1) ctx.report(ctx.source, ['sut', 'ready', given[1]!], `sut.ready takes one of log, http or delay, not ${given.join(' and ')}`);
  let ready: SutSpec['ready'] = { kind: 'none' };
  if (r.log !== undefined) {
    try {
      new RegExp(r.log);
      ready = { kind: 'log', pattern: r.log };
    } catch (err) {
      ctx.report(ctx.source, ['sut', 'ready', 'log'], `not a regular expression: ${(err as Error).message}`);
    }
  } else if (r.http !== undefined) {
    if (!/^https?:\/\//.test(r.http)) ctx.report(ctx.source, ['sut', 'ready', 'http'], `sut.ready.http must be an http:// or https:// URL, got ${JSON.stringify(r.http)}`);
    ready = { kind: 'http', url: r.http };
  } else if (r.delay !== undefined) ready = { kind: 'delay', ms: r.delay };
  for (const [i, pat] of (p.patterns ?? []).entries()) {
    if (pat.length > 2 && pat.startsWith('/') && pat.endsWith('/')) {
      try {
        new RegExp(pat.slice(1, -1));
      } catch (err) {
        ctx.report(ctx.source, ['sut', 'patterns', i], `not a regular expression: ${(err as Error).message}`);
      }
    }
  }
  return {
    ...(command ? { command } : {}),
    ready,
    readyTimeoutMs: r.timeout ?? 60_000,
    stopGraceMs: p.stopGrace ?? 10_000,
    restart: p.restart ?? 'never',
    env: p.env ?? {},
    patterns: p.patterns ?? [],
  };
}

function normalizeMock(ctx: LoadContext, raw: unknown): ProfileMockOptions | undefined {
  const parsed = MockSchema.safeParse(raw ?? {});
  if (!parsed.success) return undefined;
  const { logs, ...rest } = parsed.data;
  const out: ProfileMockOptions = { ...rest };
  if (logs) {
    const file = logs.file === undefined ? undefined : ctx.fileExists(ctx.source, ['mock', 'logs', 'file'], logs.file);
    out.logs = { ...(logs.lines ? { lines: logs.lines } : {}), ...(file ? { file } : {}) };
  }
  if (rest.faults?.latency?.some((r) => r.distribution.kind === 'uniform' && r.distribution.maxMs < r.distribution.minMs)) {
    ctx.report(ctx.source, ['mock', 'faults', 'latency'], 'a uniform latency needs maxMs ≥ minMs');
  }
  return out;
}

function normalizeObserver(ctx: LoadContext, path: DataPath, raw: unknown): Observer | undefined {
  const parsed = ObserverSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const o = parsed.data;
  const ns = (text: string | undefined) => (text === undefined ? DEFAULT_NAMESPACE_TEMPLATE : ctx.template(ctx.source, [...path, 'namespace'], text, NO_OBJECTS));
  switch (o.kind) {
    case 'podLogs': {
      const patterns = o.patterns ?? [];
      patterns.forEach((p, j) => {
        try {
          compilePattern(p);
        } catch (err) {
          ctx.report(ctx.source, [...path, 'patterns', j], (err as Error).message, 'a substring, or a JavaScript regular expression between slashes: /lost lease \\d+/i');
        }
      });
      return { kind: 'podLogs', namespace: ns(o.namespace), selector: o.selector, patterns };
    }
    case 'restarts':
      return { kind: 'restarts', namespace: ns(o.namespace), selector: o.selector };
    case 'metrics': {
      const common = {
        kind: 'metrics' as const,
        metrics: o.metrics ?? [],
        ...(o.crossCheck ? { crossCheck: { sutMetric: o.crossCheck.sutMetric, userAgent: o.crossCheck.userAgent, tolerance: o.crossCheck.tolerance ?? DEFAULT_CROSS_CHECK_TOLERANCE, slack: o.crossCheck.slack ?? 5 } } : {}),
      };
      if ((o.url === undefined) === (o.pod === undefined)) {
        ctx.report(ctx.source, path, o.url === undefined ? 'a metrics observer needs url or pod' : 'a metrics observer takes either url or pod, not both', 'url: "http://127.0.0.1:9090/metrics", or pod: {namespace: argo, selector: app=workflow-controller, port: 9090, path: /metrics}');
        return undefined;
      }
      if (o.pod) {
        const namespace = o.pod.namespace === undefined ? DEFAULT_NAMESPACE_TEMPLATE : ctx.template(ctx.source, [...path, 'pod', 'namespace'], o.pod.namespace, NO_OBJECTS);
        const pod = { namespace, selector: o.pod.selector, port: o.pod.port, path: o.pod.path ?? '/metrics' };
        return { ...common, pod };
      }
      return { ...common, url: o.url! };
    }
  }
}

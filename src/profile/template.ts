/**
 * Templates in profile strings: `{{run.id}}`, `{{phase}}`, `{{component}}`, `{{iteration}}`, `{{worker}}`,
 * `{{namespace}}`, `{{profile}}`, `{{uuid}}`, `{{now}}`, `{{random.int 1 100}}`, `{{random.string 8}}`, and objects of
 * earlier steps of the same iteration (`{{pod.name}}`, `{{pod.status.podIP}}`). Parsed once at load time
 * into plain data (it crosses to worker threads), compiled once per worker into closures: no parsing per render.
 */
import { randomUUID } from 'node:crypto';
import { parseFieldPath, readField, type PathSegment } from './field-path.js';

/** VARIABLES are the template variables that need no declaration. */
export const VARIABLES = ['run.id', 'profile', 'phase', 'component', 'iteration', 'worker', 'namespace', 'uuid', 'now'] as const;

/** Variable is one of VARIABLES. */
export type Variable = (typeof VARIABLES)[number];

/** RESERVED_NAMES cannot be used as `as:` object names because templates read them as variables. */
export const RESERVED_NAMES: readonly string[] = ['run', 'profile', 'phase', 'component', 'iteration', 'worker', 'namespace', 'uuid', 'now', 'random'];

/** METADATA_SHORTCUTS are object fields read from `metadata` (`{{pod.name}}` is `{{pod.metadata.name}}`). */
export const METADATA_SHORTCUTS: readonly string[] = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'labels', 'annotations', 'generateName'];

/** TemplatePart is one parsed piece of a template (plain data). */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: Variable }
  | { kind: 'randomInt'; min: number; max: number }
  | { kind: 'randomString'; length: number }
  | { kind: 'object'; object: string; path: PathSegment[] };

/** Template is a parsed template string: `source` as written, `parts` to render. */
export interface Template {
  source: string;
  parts: TemplatePart[];
}

/** TemplateScope is what a render reads: the run, phase, component, iteration (0-based), worker (0-based) and named objects. */
export interface TemplateScope {
  runId: string;
  profile: string;
  phase: string;
  component: string;
  iteration: number;
  worker: number;
  namespace: string;
  /** Objects stored by earlier steps of this iteration under their `as:` names (parsed JSON). */
  objects: Record<string, unknown>;
}

/** TemplateFn renders a compiled template; safe to call from any number of concurrent iterations. */
export type TemplateFn = (scope: TemplateScope) => string;

/** TemplateIssue is a problem in a template string; `needle` is the text to point at. */
export interface TemplateIssue {
  message: string;
  hint?: string;
  needle: string;
}

const RANDOM_STRING_MAX = 253;

/** hasTemplate tells whether a string contains a template expression. */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/** staticTemplate wraps a literal string as a template. */
export function staticTemplate(text: string): Template {
  return { source: text, parts: text ? [{ kind: 'text', text }] : [] };
}

/** isStaticTemplate tells whether a template renders the same text every time. */
export function isStaticTemplate(t: Template): boolean {
  return t.parts.every((p) => p.kind === 'text');
}

/** parseTemplate parses `text`, checking object references against `objects` (names declared by earlier steps). */
export function parseTemplate(text: string, objects: ReadonlySet<string>): { template: Template; issues: TemplateIssue[] } {
  const parts: TemplatePart[] = [];
  const issues: TemplateIssue[] = [];
  let i = 0;
  let literal = '';
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      issues.push({ message: `unclosed template expression in ${JSON.stringify(text)}`, hint: 'close it with }}', needle: text.slice(open) });
      break;
    }
    const raw = text.slice(open, close + 2);
    const part = parseExpression(text.slice(open + 2, close).trim(), objects);
    if (typeof part === 'object' && 'message' in part) issues.push({ ...part, needle: raw });
    else {
      if (literal) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push(part);
    }
    i = close + 2;
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return { template: { source: text, parts }, issues };
}

function parseExpression(expr: string, objects: ReadonlySet<string>): TemplatePart | { message: string; hint?: string } {
  const words = expr.split(/\s+/).filter(Boolean);
  const head = words[0] ?? '';
  if (head === 'random.int') {
    const [min, max] = words.slice(1).map(Number);
    if (words.length !== 3 || !Number.isInteger(min) || !Number.isInteger(max) || min! > max!) {
      return { message: `invalid {{${expr}}}`, hint: 'write {{random.int MIN MAX}} with integers MIN ≤ MAX' };
    }
    return { kind: 'randomInt', min: min!, max: max! };
  }
  if (head === 'random.string') {
    const n = Number(words[1]);
    if (words.length !== 2 || !Number.isInteger(n) || n < 1 || n > RANDOM_STRING_MAX) {
      return { message: `invalid {{${expr}}}`, hint: `write {{random.string N}} with 1 ≤ N ≤ ${RANDOM_STRING_MAX}` };
    }
    return { kind: 'randomString', length: n };
  }
  if (words.length !== 1) return { message: `invalid template expression {{${expr}}}`, hint: 'only random.int and random.string take arguments' };
  if ((VARIABLES as readonly string[]).includes(head)) return { kind: 'var', name: head as Variable };
  const dot = head.search(/[.[]/);
  const object = dot < 0 ? head : head.slice(0, dot);
  const known = `variables: ${VARIABLES.join(', ')}, random.int, random.string; objects: ${objects.size ? [...objects].join(', ') : 'none (name one with as: on an earlier step of the same scenario)'}`;
  if (!objects.has(object)) return { message: `unknown template reference ${JSON.stringify(object)} in {{${expr}}}`, hint: known };
  if (dot < 0) return { message: `{{${expr}}} needs a field, e.g. {{${object}.name}}`, hint: 'objects render one field at a time' };
  const path = parseFieldPath(head.slice(head[dot] === '.' ? dot + 1 : dot));
  if (typeof path === 'string') return { message: path };
  const first = path[0];
  if (first && 'key' in first && METADATA_SHORTCUTS.includes(first.key)) path.unshift({ key: 'metadata' });
  return { kind: 'object', object, path };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}

/** stringifyValue renders a field value: strings as they are, scalars with String, structures as JSON, missing as ''. */
export function stringifyValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** compilePart builds the closure that renders one part. */
export function compilePart(p: TemplatePart): TemplateFn {
  switch (p.kind) {
    case 'text': {
      const text = p.text;
      return () => text;
    }
    case 'randomInt': {
      const { min, max } = p;
      return () => String(min + Math.floor(Math.random() * (max - min + 1)));
    }
    case 'randomString': {
      const n = p.length;
      return () => randomString(n);
    }
    case 'object': {
      const { object, path } = p;
      return (s) => stringifyValue(readField(s.objects[object], path));
    }
    case 'var':
      switch (p.name) {
        case 'run.id':
          return (s) => s.runId;
        case 'profile':
          return (s) => s.profile;
        case 'phase':
          return (s) => s.phase;
        case 'component':
          return (s) => s.component;
        case 'iteration':
          return (s) => String(s.iteration);
        case 'worker':
          return (s) => String(s.worker);
        case 'namespace':
          return (s) => s.namespace;
        case 'uuid':
          return () => randomUUID();
        case 'now':
          return () => new Date().toISOString().replace('Z', '000Z');
      }
  }
}

/** compileTemplate turns a parsed template into a render function (call once, render many times). */
export function compileTemplate(t: Template): TemplateFn {
  const fns = t.parts.map(compilePart);
  if (fns.length === 0) return () => '';
  if (isStaticTemplate(t)) {
    const text = t.parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
    return () => text;
  }
  if (fns.length === 1) return fns[0]!;
  if (fns.length === 2) {
    const [a, b] = fns as [TemplateFn, TemplateFn];
    return (s) => a(s) + b(s);
  }
  return (s) => {
    let out = '';
    for (let i = 0; i < fns.length; i++) out += fns[i]!(s);
    return out;
  };
}

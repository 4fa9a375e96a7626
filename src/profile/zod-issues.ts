/** Turns zod issues into located problems: unions resolved to the option that was meant, unknown keys at their key. */
import type { z } from 'zod';
import { keyHint, knownKeysAt } from './known-keys.js';
import { STEP_COMMON_KEYS, STEP_KINDS } from './schema.js';
import type { Problem } from './problem.js';
import type { DataPath, YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

/** formatPath renders a data path as `phases[0].components[1].rate`. */
export function formatPath(path: DataPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(top level)';
}

function valueAt(data: unknown, path: DataPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a map' : `${typeof v} ${JSON.stringify(v)}`);

/** issuesToProblems converts the zod issues of validating `source`'s data with `schema` into problems, every one located. */
export function issuesToProblems(issues: readonly Issue[], source: YamlSource, schema: z.ZodType): Problem[] {
  const out: Problem[] = [];
  const convert = (issue: Issue, base: DataPath) => convertIssue(issue, source, base, out, schema, convert);
  for (const issue of issues) convert(issue, []);
  return out;
}

type Convert = (issue: Issue, base: DataPath) => void;

function convertIssue(issue: Issue, source: YamlSource, base: DataPath, out: Problem[], schema: z.ZodType, convert: Convert): void {
  const path = [...base, ...(issue.path as Array<string | number>)];
  const value = valueAt(source.data, path);
  const where = formatPath(path);
  switch (issue.code) {
    case 'invalid_union': {
      if (issue.errors.length === STEP_KINDS.length) {
        if (isRecord(value)) return stepUnion(issue.errors, value, source, path, out, convert);
        out.push(source.problem(path, `${where}: a step is a map with one kind key, got ${describe(value)}`, 'e.g. - get: {resource: pods, name: web}'));
        return;
      }
      const options = (issue as { options?: unknown[] }).options;
      if (issue.errors.length === 0 && Array.isArray(options)) {
        const names = options.map(String);
        const close = typeof value === 'string' ? keyHint(value, names) : undefined;
        out.push(source.problem(path, `${where}: unknown value ${describe(value)}`, close?.startsWith('did') ? close : `one of ${names.join(', ')}`));
        return;
      }
      const best = pickOption(issue.errors);
      if (best) for (const e of best) convert(e, path);
      else out.push(source.problem(path, `${where}: expected ${expectedTypes(issue.errors)}, got ${describe(value)}`));
      return;
    }
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        const hint = keyHint(key, knownKeysAt(schema, source.data, path));
        out.push(source.problem([...path, key], `${where === '(top level)' ? '' : `${where}: `}unknown key ${JSON.stringify(key)}`, hint, true));
      }
      return;
    case 'invalid_type':
      if (value === undefined) {
        const parent = path.slice(0, -1);
        const key = path[path.length - 1];
        const prefix = parent.length ? `${formatPath(parent)}: ` : '';
        out.push(source.problem(parent, `${prefix}missing required key ${JSON.stringify(key)}`, `expected ${issue.expected}`));
      } else out.push(source.problem(path, `${where}: expected ${issue.expected}, got ${describe(value)}`));
      return;
    case 'too_small':
      out.push(source.problem(path, `${where}: ${Array.isArray(value) ? `needs at least ${String(issue.minimum)} item(s)` : `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}`}`));
      return;
    case 'too_big':
      out.push(source.problem(path, `${where}: must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}`));
      return;
    case 'invalid_value':
      out.push(source.problem(path, `${where}: ${describe(value)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`));
      return;
    case 'custom': {
      const hint = (issue.params as { hint?: string } | undefined)?.hint;
      out.push(source.problem(path, `${where}: ${issue.message}`, hint));
      return;
    }
    default:
      out.push(source.problem(path, `${where}: ${issue.message}`));
  }
}

/** expectedTypes lists what the options of a union expected at its root, e.g. `boolean or object`. */
function expectedTypes(options: readonly (readonly Issue[])[]): string {
  const types = new Set<string>();
  for (const errs of options) for (const e of errs) if (e.path.length === 0 && e.code === 'invalid_type') types.add(e.expected);
  return [...types].join(' or ') || 'something else';
}

/** pickOption chooses the union option the writer most likely meant: the type matched at the root, fewest issues. */
function pickOption(options: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  const rootMismatch = (errs: readonly Issue[]) => errs.some((e) => e.path.length === 0 && e.code === 'invalid_type');
  const ranked = [...options].sort((a, b) => Number(rootMismatch(a)) - Number(rootMismatch(b)) || a.length - b.length);
  const best = ranked[0];
  return best && !rootMismatch(best) ? best : undefined;
}

function stepUnion(options: readonly (readonly Issue[])[], value: Record<string, unknown>, source: YamlSource, path: DataPath, out: Problem[], convert: Convert): void {
  const keys = Object.keys(value);
  const kinds = keys.filter((k) => (STEP_KINDS as readonly string[]).includes(k));
  const where = formatPath(path);
  const hint = `a step is one of ${STEP_KINDS.join(', ')}`;
  if (kinds.length === 1) {
    for (const e of options[STEP_KINDS.indexOf(kinds[0] as (typeof STEP_KINDS)[number])]!) convert(e, path);
    return;
  }
  if (kinds.length > 1) {
    out.push(source.problem([...path, kinds[1]!], `${where}: a step has exactly one kind, found ${kinds.join(' and ')}`, 'split it into several steps', true));
    return;
  }
  const other = keys.filter((k) => !(STEP_COMMON_KEYS as readonly string[]).includes(k));
  if (other.length === 0) out.push(source.problem(path, `${where}: step without a kind`, hint));
  else for (const k of other) out.push(source.problem([...path, k], `${where}: unknown step ${JSON.stringify(k)}`, keyHint(k, STEP_KINDS)?.startsWith('did') ? `${keyHint(k, STEP_KINDS)} ${hint}` : hint, true));
}

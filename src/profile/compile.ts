/**
 * compileTemplates: turns every Template of a normalized step (or any part of a profile) into a render function
 * and every ValueTemplate into a JSON-text render function, once per worker, keeping the other fields as they are.
 */
import { compileTemplate, type Template, type TemplateFn, type TemplateScope } from './template.js';
import { compileValueTemplate, type ValueTemplate } from './value-template.js';

/** ValueFn renders the JSON text of a templated value. */
export type ValueFn = (scope: TemplateScope) => string;

/** Compiled maps a type's Template fields to TemplateFn and its ValueTemplate fields to ValueFn, recursively. */
export type Compiled<T> = T extends Template
  ? TemplateFn
  : T extends ValueTemplate
    ? ValueFn
    : T extends ReadonlyArray<infer U>
      ? Array<Compiled<U>>
      : T extends object
        ? { [K in keyof T]: Compiled<T[K]> }
        : T;

function isTemplate(v: object): v is Template {
  return typeof (v as Template).source === 'string' && Array.isArray((v as Template).parts) && Object.keys(v).length === 2;
}

function isValueTemplate(v: object): v is ValueTemplate {
  return Array.isArray((v as ValueTemplate).chunks) && Array.isArray((v as ValueTemplate).slots) && 'value' in v;
}

/** compileTemplates returns a copy of `value` with templates compiled; call it once per worker (not per request). */
export function compileTemplates<T>(value: T): Compiled<T> {
  if (value === null || typeof value !== 'object') return value as Compiled<T>;
  if (Array.isArray(value)) return value.map((v: unknown) => compileTemplates(v)) as Compiled<T>;
  if (isTemplate(value)) return compileTemplate(value) as Compiled<T>;
  if (isValueTemplate(value)) return compileValueTemplate(value) as Compiled<T>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = compileTemplates(v);
  return out as Compiled<T>;
}

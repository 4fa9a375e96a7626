/**
 * Templated JSON values (manifests, patch and request bodies): the JSON text is cut at load time into fixed
 * chunks around the templated strings, so a render is one string concatenation with no object copy.
 */
import { compileTemplate, type Template, type TemplateFn, type TemplateScope } from './template.js';
import type { DataPath } from './yaml-source.js';

/** ValueTemplate is a JSON value whose strings may hold templates (plain data; crosses to worker threads). */
export interface ValueTemplate {
  /** The value as written, template strings unrendered. */
  value: unknown;
  /** JSON text around the slots: chunks.length === slots.length + 1. */
  chunks: string[];
  /** The template rendered into each slot, inside a JSON string. */
  slots: Template[];
}

/** buildValueTemplate serializes `value`, asking `templateOf` for each string; strings it maps to a template become slots. */
export function buildValueTemplate(value: unknown, templateOf: (path: DataPath, text: string) => Template | undefined): ValueTemplate {
  const chunks: string[] = [];
  const slots: Template[] = [];
  let cur = '';
  const walk = (v: unknown, path: Array<string | number>): void => {
    if (typeof v === 'string') {
      const t = templateOf(path, v);
      if (!t) cur += JSON.stringify(v);
      else {
        chunks.push(`${cur}"`);
        slots.push(t);
        cur = '"';
      }
    } else if (Array.isArray(v)) {
      cur += '[';
      v.forEach((e, i) => {
        if (i) cur += ',';
        walk(e ?? null, [...path, i]);
      });
      cur += ']';
    } else if (v !== null && typeof v === 'object') {
      cur += '{';
      let first = true;
      for (const [k, e] of Object.entries(v)) {
        if (e === undefined) continue;
        cur += `${first ? '' : ','}${JSON.stringify(k)}:`;
        first = false;
        walk(e, [...path, k]);
      }
      cur += '}';
    } else cur += JSON.stringify(v ?? null);
  };
  walk(value, []);
  chunks.push(cur);
  return { value, chunks, slots };
}

function escapeJson(s: string): string {
  const q = JSON.stringify(s);
  return q.slice(1, q.length - 1);
}

/** compileValueTemplate returns a function rendering the JSON text of the value for a scope. */
export function compileValueTemplate(vt: ValueTemplate): (scope: TemplateScope) => string {
  const { chunks } = vt;
  if (vt.slots.length === 0) {
    const text = chunks[0]!;
    return () => text;
  }
  const fns: TemplateFn[] = vt.slots.map(compileTemplate);
  return (scope) => {
    let out = chunks[0]!;
    for (let i = 0; i < fns.length; i++) out += escapeJson(fns[i]!(scope)) + chunks[i + 1]!;
    return out;
  };
}

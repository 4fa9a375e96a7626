/** Which keys a zod object schema allows at a data path, and the closest one to a misspelt key, for "did you mean" hints. */
import type { z } from 'zod';
import type { DataPath } from './yaml-source.js';

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType };

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    if (d.innerType && (d.type === 'optional' || d.type === 'default' || d.type === 'prefault' || d.type === 'nullable' || d.type === 'readonly')) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else return cur;
  }
}

function objectOptions(s: z.ZodType): Array<Record<string, z.ZodType>> {
  const d = defOf(unwrap(s));
  if (d.type === 'object' && d.shape) return [d.shape];
  if (d.type === 'union' && d.options) return d.options.flatMap(objectOptions);
  return [];
}

/** knownKeysAt returns the keys allowed in the map at `path` of `data` validated by `schema` (empty when unknown). */
export function knownKeysAt(schema: z.ZodType, data: unknown, path: DataPath): string[] {
  let cur: z.ZodType | undefined = schema;
  let value = data;
  const pick = (s: z.ZodType, v: unknown): Record<string, z.ZodType> | undefined => {
    const shapes = objectOptions(s);
    const keys = v !== null && typeof v === 'object' ? Object.keys(v) : [];
    return shapes.map((shape) => ({ shape, score: keys.filter((k) => k in shape).length })).sort((a, b) => b.score - a.score)[0]?.shape;
  };
  for (const seg of path) {
    if (!cur) return [];
    const d = defOf(unwrap(cur));
    if (d.type === 'array' && d.element) cur = d.element;
    else cur = pick(cur, value)?.[seg as string];
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  return cur ? Object.keys(pick(cur, value) ?? {}) : [];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** keyHint suggests the closest known key to `key`, or lists the known keys. */
export function keyHint(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0]!;
  if (best.d <= Math.max(1, Math.floor(best.k.length / 3))) return `did you mean ${JSON.stringify(best.k)}?`;
  return `known keys: ${known.filter((k) => k !== '$schema').join(', ')}`;
}

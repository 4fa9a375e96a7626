/** Field conditions of wait steps and measurements. */
import type { z } from 'zod';
import { parseFieldPath } from './field-path.js';
import type { LoadContext } from './load-context.js';
import type { ConditionSchema } from './schema.js';
import type { Condition, Scalar } from './types.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** normalizeCondition checks that exactly one comparison is given and parses the field path. */
export function normalizeCondition(ctx: LoadContext, src: YamlSource, path: DataPath, c: z.output<typeof ConditionSchema>): Condition | undefined {
  const given = (['equals', 'notEquals', 'in', 'exists'] as const).filter((k) => c[k] !== undefined);
  if (given.length !== 1) {
    ctx.report(src, path, `a condition needs exactly one of equals, notEquals, in, exists${given.length ? `; found ${given.join(', ')}` : ''}`, 'e.g. {field: status.phase, equals: Running}');
    return undefined;
  }
  const fieldPath = parseFieldPath(c.field);
  if (typeof fieldPath === 'string') {
    ctx.report(src, [...path, 'field'], fieldPath);
    return undefined;
  }
  const op = given[0]!;
  const values: Scalar[] = op === 'in' ? c.in! : [c[op] as Scalar];
  return { field: c.field, path: fieldPath, op, values };
}

/** describeCondition renders a condition briefly, e.g. `Running` or `status.ready exists`. */
export function describeCondition(c: Condition): string {
  switch (c.op) {
    case 'equals':
      return String(c.values[0]);
    case 'notEquals':
      return `${c.field}!=${String(c.values[0])}`;
    case 'in':
      return c.values.map(String).join('|');
    case 'exists':
      return `${c.field} ${c.values[0] ? 'exists' : 'absent'}`;
  }
}

/** Evaluating a profile condition (field equals / notEquals / in / exists) against an object. */
import type { Condition, Scalar } from '../profile/types.js';
import { readField } from '../profile/field-path.js';

/** conditionHolds tells whether `obj` satisfies `c`; values compare as strings when their types differ. */
export function conditionHolds(obj: unknown, c: Condition): boolean {
  const v = readField(obj, c.path);
  switch (c.op) {
    case 'exists':
      return (v !== undefined) === (c.values[0] !== false);
    case 'equals':
      return same(v, c.values[0]!);
    case 'notEquals':
      return !same(v, c.values[0]!);
    case 'in':
      return c.values.some((x) => same(v, x));
  }
}

function same(v: unknown, x: Scalar): boolean {
  if (v === x) return true;
  if (v === undefined || v === null || x === null) return false;
  return String(v) === String(x);
}

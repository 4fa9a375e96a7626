/**
 * Label selectors over result labels, in the Kubernetes equality-based form:
 * `build=3.6.0-rc1`, `build!=3.5.0`, `build=3.6.0,node=n2` (every requirement must hold).
 */
import { UsageError } from '../errors.js';

/** LabelRequirement is one `key=value` (or `key!=value`) clause of a selector. */
export interface LabelRequirement {
  key: string;
  value: string;
  negated: boolean;
}

const CLAUSE = /^\s*([A-Za-z0-9][A-Za-z0-9._/-]*)\s*(!=|==|=)\s*([^,]*?)\s*$/;

/** looksLikeSelector tells whether a command-line argument is meant as a label selector rather than a path. */
export function looksLikeSelector(arg: string): boolean {
  return arg.split(',').every((c) => CLAUSE.test(c));
}

/** parseSelector parses `k=v[,k2!=v2...]`; throws UsageError on a malformed clause. */
export function parseSelector(text: string): LabelRequirement[] {
  return text.split(',').map((clause) => {
    const m = CLAUSE.exec(clause);
    if (!m) throw new UsageError(`invalid label selector clause "${clause}" in "${text}"`, 'write key=value or key!=value, separated by commas');
    return { key: m[1]!, value: m[3]!, negated: m[2] === '!=' };
  });
}

/** matchesSelector tells whether `labels` satisfy every requirement. */
export function matchesSelector(labels: Record<string, string>, requirements: readonly LabelRequirement[]): boolean {
  return requirements.every((r) => (labels[r.key] === r.value) !== r.negated);
}

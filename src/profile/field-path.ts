/**
 * Field paths into Kubernetes objects: `status.phase`, `spec.containers[0].image`,
 * `status.conditions[type=Ready].status`, `metadata.labels[app.kubernetes.io/name]`.
 */

/** PathSegment is one step of a field path: a key, an index, or the first list element whose `field` equals `value`. */
export type PathSegment = { key: string } | { index: number } | { match: { field: string; value: string } };

/** parseFieldPath parses a field path at load time, or returns an error message. */
export function parseFieldPath(text: string): PathSegment[] | string {
  const out: PathSegment[] = [];
  let i = 0;
  const bad = (why: string) => `invalid field path ${JSON.stringify(text)}: ${why}`;
  if (!text) return bad('empty');
  while (i < text.length) {
    if (text[i] === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) return bad('unclosed [');
      const inner = text.slice(i + 1, end);
      const eq = inner.indexOf('=');
      if (/^\d+$/.test(inner)) out.push({ index: Number(inner) });
      else if (eq > 0) out.push({ match: { field: inner.slice(0, eq), value: inner.slice(eq + 1) } });
      else if (inner) out.push({ key: inner });
      else return bad('empty []');
      i = end + 1;
      if (i < text.length && text[i] !== '.' && text[i] !== '[') return bad(`unexpected ${JSON.stringify(text[i])} after ]`);
      if (text[i] === '.') i++;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
    if (j === i) return bad('empty segment');
    out.push({ key: text.slice(i, j) });
    i = text[j] === '.' ? j + 1 : j;
    if (text[j] === '.' && i === text.length) return bad('ends with .');
  }
  return out;
}

/** readField returns the value at `path` in `obj`, or undefined when any step is missing. */
export function readField(obj: unknown, path: readonly PathSegment[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if ('key' in seg) cur = (cur as Record<string, unknown>)[seg.key];
    else if ('index' in seg) cur = Array.isArray(cur) ? cur[seg.index] : undefined;
    else {
      if (!Array.isArray(cur)) return undefined;
      const { field, value } = seg.match;
      cur = cur.find((e) => e !== null && typeof e === 'object' && String((e as Record<string, unknown>)[field]) === value);
    }
  }
  return cur;
}

/** writeField sets the value at `path` in `obj`, creating missing maps; returns false when the path cannot be written. */
export function writeField(obj: Record<string, unknown>, path: readonly PathSegment[], value: unknown): boolean {
  let cur: unknown = obj;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if ('key' in seg) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return false;
      const m = cur as Record<string, unknown>;
      if (last) m[seg.key] = value;
      else cur = m[seg.key] ??= {};
    } else if ('index' in seg) {
      if (!Array.isArray(cur) || seg.index >= cur.length) return false;
      if (last) cur[seg.index] = value;
      else cur = cur[seg.index];
    } else {
      const el = readField(cur, [seg]);
      if (el === undefined || last) return false;
      cur = el;
    }
  }
  return true;
}
